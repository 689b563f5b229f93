"""Learning rules and schedules against hand-written float64 references, across resume."""

import json

import numpy as np
import pytest
import torch

from pylearn2.training_algorithms import learning_rule as lr_mod
from pylearn2.training_algorithms.schedules import (
    ExponentialDecay,
    LinearDecay,
    LinearDecayOverEpoch,
    OneOverEpoch,
    linear_decay,
)
from pylearn2.utils import serial

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
