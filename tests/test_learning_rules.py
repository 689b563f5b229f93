"""Learning rules and schedules against hand-written float64 references, across resume."""

import json

import numpy as np
import pytest
import torch

from pylearn2.monitor import Monitor
from pylearn2.training_algorithms import learning_rule as lr_mod
from pylearn2.training_algorithms.schedules import (
    AnnealedLearningRate,
    ExponentialDecay,
    LinearDecay,
    LinearDecayOverEpoch,
    OneOverEpoch,
    linear_decay,
)
from pylearn2.utils import serial
from pylearn2.utils.exc import ConfigError

LR, SCALES = 0.05, [1.0, 0.5]


def reference(rule, grads_seq, params):
    """float64 numpy versions of each rule's update, step by step."""
    params = [p.copy() for p in params]
    state = [dict() for _ in params]
    for t, grads in enumerate(grads_seq, start=1):
        for i, (g, scale) in enumerate(zip(grads, SCALES)):
            s = state[i]
            if rule == "momentum":
                s["v"] = 0.9 * s.get("v", 0) - LR * scale * g
                params[i] = params[i] + s["v"]
            elif rule == "nesterov":
                s["v"] = 0.9 * s.get("v", 0) - LR * scale * g
                params[i] = params[i] + 0.9 * s["v"] - LR * scale * g
            elif rule == "adadelta":
                eps = LR * scale
                s["g2"] = 0.95 * s.get("g2", 0) + 0.05 * g ** 2
                delta = -np.sqrt(s.get("dx2", 0) + eps) / np.sqrt(s["g2"] + eps) * g
                s["dx2"] = 0.95 * s.get("dx2", 0) + 0.05 * delta ** 2
                params[i] = params[i] + delta
            elif rule == "adagrad":
                s["sum"] = s.get("sum", 0) + g ** 2
                params[i] = params[i] - LR * scale * g / np.maximum(np.sqrt(s["sum"]), 1e-5)
            elif rule == "rmsprop":
                s["ms"] = 0.9 * s.get("ms", 0) + 0.1 * g ** 2
                params[i] = params[i] - LR * scale * g / np.maximum(np.sqrt(s["ms"]), 1e-5)
            elif rule == "adam":
                s["m"] = 0.9 * s.get("m", 0) + 0.1 * g
                s["v"] = 0.999 * s.get("v", 0) + 0.001 * g ** 2
                mhat, vhat = s["m"] / (1 - 0.9 ** t), s["v"] / (1 - 0.999 ** t)
                params[i] = params[i] - LR * scale * mhat / (np.sqrt(vhat) + 1e-8)
    return params


def make_rule(name):
    return {
        "momentum": lambda: lr_mod.Momentum(0.9),
        "nesterov": lambda: lr_mod.Momentum(0.9, nesterov_momentum=True),
        "adadelta": lambda: lr_mod.AdaDelta(0.95),
        "adagrad": lambda: lr_mod.AdaGrad(1e5),
        "rmsprop": lambda: lr_mod.RMSProp(0.9, 1e5),
        "adam": lambda: lr_mod.Adam(),
    }[name]()


@pytest.mark.parametrize("name", ["momentum", "nesterov", "adadelta", "adagrad", "rmsprop", "adam"])
def test_rule_matches_reference_through_save_and_resume(name, tmp_path):
    rng = np.random.default_rng(0)
    init = [rng.normal(size=(3, 2)), rng.normal(size=(2,))]
    grads_seq = [[rng.normal(size=p.shape) for p in init] for _ in range(6)]
    params = [torch.tensor(p, dtype=torch.float64) for p in init]
    rule = make_rule(name)
    rule.setup([("W", params[0]), ("b", params[1])])
    for grads in grads_seq[:3]:
        rule.apply(params, [torch.tensor(g) for g in grads], LR, SCALES)
    tree, tensors = serial.to_jsonable(rule.state_dict())
    restored = serial.from_jsonable(json.loads(json.dumps(tree)), tensors)
    rule = make_rule(name)
    rule.setup([("W", params[0]), ("b", params[1])])
    rule.load_state_dict(restored)
    for grads in grads_seq[3:]:
        rule.apply(params, [torch.tensor(g) for g in grads], LR, SCALES)
    for got, want in zip(params, reference(name, grads_seq, init)):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)


def test_momentum_validation_and_adjustor_schedule():
    with pytest.raises(Exception, match="init_momentum"):
        lr_mod.Momentum(1.0)
    adjust = lr_mod.MomentumAdjustor(final_momentum=0.9, start=2, saturate=6)
    adjust._initial = 0.5
    got = [adjust.current_momentum(e) for e in range(9)]
    want = [0.5, 0.5, 0.5, 0.6, 0.7, 0.8, 0.9, 0.9, 0.9]
    np.testing.assert_allclose(got, want)
    with pytest.raises(Exception, match="saturate"):
        lr_mod.MomentumAdjustor(0.9, start=5, saturate=2)


class FakeAlgorithm:
    learning_rate = 1.0


def test_per_batch_schedules():
    algo = FakeAlgorithm()
    decay = ExponentialDecay(decay_factor=2.0, min_lr=0.1)
    rates = []
    for _ in range(5):
        decay(algo)
        rates.append(algo.learning_rate)
    np.testing.assert_allclose(rates, [0.5, 0.25, 0.125, 0.1, 0.1])
    algo = FakeAlgorithm()
    lin = LinearDecay(start=2, saturate=5, decay_factor=0.1)
    rates = []
    for _ in range(6):
        lin(algo)
        rates.append(algo.learning_rate)
    step = (1 - 0.1) / 4
    np.testing.assert_allclose(rates, [1.0, 1 - step, 1 - 2 * step, 1 - 3 * step, 0.1, 0.1])
    state = lin.state_dict()
    fresh = LinearDecay(start=2, saturate=5, decay_factor=0.1)
    fresh.load_state_dict(state)
    assert fresh._count == 6 and fresh._base_lr == 1.0


def test_epoch_schedules():
    one = OneOverEpoch(start=2, half_life=4, min_lr=0.05)
    assert [one.rate(1.0, e) for e in (0, 1, 2, 4, 100)] == \
        [1.0, 1.0, 1.0, pytest.approx(4 / 6), 0.05]
    lin = LinearDecayOverEpoch(start=1, saturate=4, decay_factor=0.2)
    step = 0.8 / 4
    np.testing.assert_allclose([lin.rate(1.0, e) for e in range(6)],
                               [1.0, 1 - step, 1 - 2 * step, 1 - 3 * step, 0.2, 0.2])
    assert linear_decay(2.0, 0, 1, 3, 0.5) == 2.0


def json_round_trip(state):
    tree, tensors = serial.to_jsonable(state)
    return serial.from_jsonable(json.loads(json.dumps(tree)), tensors)


@pytest.mark.parametrize("make, formula", [
    (lambda: ExponentialDecay(decay_factor=1.5, min_lr=0.05),
     lambda t: max(0.05, 0.8 / 1.5 ** t)),
    (lambda: LinearDecay(start=3, saturate=7, decay_factor=0.25),
     lambda t: 0.8 if t < 3 else 0.2 if t >= 7 else 0.8 - (0.8 - 0.2) / 5 * (t - 2)),
    (lambda: AnnealedLearningRate(anneal_start=4), lambda t: 0.8 * min(1.0, 4 / t)),
])
def test_per_batch_schedule_matches_formula_across_resume(make, formula):
    algo = FakeAlgorithm()
    algo.learning_rate = 0.8
    schedule = make()
    rates = []
    for t in range(1, 13):
        if t == 6:  # save, rebuild, restore mid-schedule
            state = json_round_trip(schedule.state_dict())
            schedule = make()
            schedule.load_state_dict(state)
        schedule(algo)
        rates.append(algo.learning_rate)
    np.testing.assert_allclose(rates, [formula(t) for t in range(1, 13)], rtol=1e-12)


def test_exponential_decay_survives_astronomical_batch_counts():
    decay = ExponentialDecay(decay_factor=1.5, min_lr=1e-6)
    assert decay.rate(0.1, 10 ** 9) == 1e-6


def test_one_over_epoch_defaults_and_validation():
    one = OneOverEpoch(start=3)  # half_life = start + 1 = 4
    assert one.half_life == 4
    np.testing.assert_allclose([one.rate(1.0, c) for c in (2, 3, 7)], [1.0, 1.0, 0.5])
    assert OneOverEpoch(start=0).rate(1.0, 1) == 0.5
    with pytest.raises(ConfigError, match="half_life"):
        OneOverEpoch(start=1, half_life=0)


class EpochModel:
    def __init__(self):
        self.monitor = Monitor(self)


class EpochAlgorithm:
    def __init__(self, rule=None):
        self.learning_rate = 0.3
        self.learning_rule = rule


@pytest.mark.parametrize("kind", ["one_over", "linear", "momentum"])
def test_epoch_schedules_follow_the_count_and_resume_from_epochs_seen(kind):
    """Driven like Train drives them: setup, monitor before epoch 1, then after each epoch;
    after epoch 4 the run restarts from a checkpoint (fresh objects, restored state)."""
    def build():
        algo = EpochAlgorithm(lr_mod.Momentum(0.5))
        ext = {"one_over": lambda: OneOverEpoch(start=2, half_life=3, min_lr=0.01),
               "linear": lambda: LinearDecayOverEpoch(start=2, saturate=5, decay_factor=0.1),
               "momentum": lambda: lr_mod.MomentumAdjustor(0.9, start=2, saturate=6)}[kind]()
        return algo, ext

    def value(algo):
        return algo.learning_rule.momentum if kind == "momentum" else algo.learning_rate

    def expected(c):  # float64 references for count c = epochs_seen + 1
        if kind == "one_over":
            return 0.3 if c < 2 else max(0.01, 0.3 * 3 / (3 + c - 2))
        if kind == "linear":
            step = (0.3 - 0.03) / 4
            return 0.3 if c < 2 else 0.03 if c >= 5 else 0.3 - step * (c - 1)
        return 0.5 + (0.9 - 0.5) * min(1.0, max(0.0, (c - 2) / 4))

    model = EpochModel()
    algo, ext = build()
    ext.setup(model=model, algorithm=algo)
    seen = []
    for epoch in range(9):
        ext.on_monitor(model=model, algorithm=algo)
        if epoch == 4:  # Train saves after on_monitor; resume from that checkpoint
            saved_value, state = value(algo), json_round_trip(ext.state_dict())
            algo, ext = build()
            fresh = EpochModel()
            ext.setup(model=fresh, algorithm=algo)
            ext.load_state_dict(state)
            if kind == "momentum":
                algo.learning_rule.momentum = saved_value
            else:
                algo.learning_rate = saved_value
            fresh.monitor._epochs_seen = model.monitor.get_epochs_seen()
            model = fresh
        seen.append(value(algo))
        model.monitor.report_epoch()
    np.testing.assert_allclose(seen, [expected(e + 1) for e in range(9)], rtol=1e-12)


def test_momentum_adjustor_jumps_when_saturate_equals_start():
    adjust = lr_mod.MomentumAdjustor(final_momentum=0.8, start=3, saturate=3)
    adjust._initial = 0.5
    assert [adjust.current_momentum(c) for c in (1, 2, 3, 4)] == [0.5, 0.5, 0.8, 0.8]
    with pytest.raises(ConfigError, match="final_momentum"):
        lr_mod.MomentumAdjustor(final_momentum=1.0, start=1, saturate=2)


def test_rmsprop_channels_report_mean_square_gradients():
    params = [torch.zeros(3, 2, dtype=torch.float64), torch.zeros(2, dtype=torch.float64)]
    rule = lr_mod.RMSProp(decay=0.9)
    rule.setup([("layers.0.W", params[0]), ("layers.0.b", params[1])])
    model = EpochModel()
    rule.add_channels_to_monitor(model.monitor)
    rng = np.random.default_rng(3)
    grads = [[rng.normal(size=p.shape) for p in params] for _ in range(4)]
    for g in grads:
        rule.apply(params, [torch.tensor(x) for x in g], 0.1, [1.0, 1.0])
    model.monitor()
    ms = 0.0
    for g in grads:
        ms = 0.9 * ms + 0.1 * g[0] ** 2
    last = model.monitor.last
    assert last("mean_square_grad_layers_0_W_min") == pytest.approx(ms.min(), rel=1e-12)
    assert last("mean_square_grad_layers_0_W_max") == pytest.approx(ms.max(), rel=1e-12)
    assert last("mean_square_grad_layers_0_W_mean") == pytest.approx(ms.mean(), rel=1e-12)
    assert "mean_square_grad_layers_0_b_mean" in model.monitor.channels


def test_rules_refuse_bad_hyperparameters():
    for make, word in ((lambda: lr_mod.AdaDelta(1.0), "decay"),
                       (lambda: lr_mod.AdaGrad(0.0), "max_scaling"),
                       (lambda: lr_mod.RMSProp(decay=-0.1), "decay"),
                       (lambda: lr_mod.Adam(beta2=1.0), "beta2")):
        with pytest.raises(ConfigError, match=word):
            make()
