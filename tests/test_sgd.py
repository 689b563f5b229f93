"""SGD: callbacks, monitoring costs, channels, constraints, batch sizes, and exact resume."""

import numpy as np
import pytest
import torch
from conftest import assert_same_training

from pylearn2.costs.mlp import Default, WeightDecay
from pylearn2.costs.mlp.dropout import Dropout
from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.mlp import MLP, RectifiedLinear, Softmax
from pylearn2.termination_criteria import EpochCounter
from pylearn2.train import Train
from pylearn2.train_extensions import ChannelSmoother, SharedSetter
from pylearn2.train_extensions.best_params import MonitorBasedSaveBest
from pylearn2.train_extensions.polyak import PolyakAveraging
from pylearn2.training_algorithms.learning_rule import Momentum, MomentumAdjustor, RMSProp
from pylearn2.training_algorithms.sgd import SGD, ExponentialDecay, LinearDecayOverEpoch
from pylearn2.utils import serial
from pylearn2.utils.exc import ConfigError


def classification_data(n=40, nvis=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, nvis)).astype(np.float32)
    y = (X[:, :1] > 0).astype(np.int64) + 2 * (X[:, 1:2] > 0)
    return DenseDesignMatrix(X=X, y=y, y_labels=4)


def classifier(max_col_norm=None):
    return MLP(nvis=5, seed=[7], layers=[
        RectifiedLinear(dim=8, layer_name="h0", irange=0.5, max_col_norm=max_col_norm),
        Softmax(n_classes=4, layer_name="y", irange=0.3, max_col_norm=max_col_norm),
    ])


class Counter:
    def __init__(self):
        self.calls = 0

    def __call__(self, algorithm):
        self.calls += 1


@pytest.mark.parametrize("as_list", [False, True])
def test_update_callbacks_one_object_or_a_list_run_after_every_batch(as_list):
    first, second = Counter(), Counter()
    callbacks = [first, second] if as_list else first
    algorithm = SGD(learning_rate=0.01, batch_size=7, update_callbacks=callbacks,
                    termination_criterion=EpochCounter(2))
    Train(dataset=classification_data(), model=classifier(), algorithm=algorithm).main_loop()
    assert first.calls == 2 * 6  # 40 examples in batches of 7: 6 batches per epoch
    assert second.calls == (12 if as_list else 0)


def test_constraints_hold_after_every_update():
    model = classifier(max_col_norm=0.4)
    norms = []

    def check(algorithm):
        for layer in model.layers:
            norms.append(float(layer.W.detach().norm(dim=0).max()))

    Train(dataset=classification_data(), model=model, algorithm=SGD(
        learning_rate=1.0, batch_size=10, update_callbacks=check,
        termination_criterion=EpochCounter(2))).main_loop()
    assert len(norms) == 2 * 4 * 2 and max(norms) <= 0.4 * (1 + 1e-5)
    assert min(norms) > 0.39  # a large learning rate pushes every column onto the bound


def test_monitoring_costs_and_rate_channels():
    data = classification_data()
    model = classifier()
    decay = WeightDecay({"h0": 0.5})
    algorithm = SGD(learning_rate=0.05, batch_size=10, learning_rule=Momentum(0.5),
                    monitoring_dataset={"valid": data}, monitoring_costs={"wd": decay},
                    termination_criterion=EpochCounter(3))
    Train(dataset=data, model=model, algorithm=algorithm,
          extensions=[MomentumAdjustor(final_momentum=0.9, start=1, saturate=3),
                      LinearDecayOverEpoch(start=1, saturate=3, decay_factor=0.1)]).main_loop()
    channels = model.monitor.channels
    W = model.layers[0].W.detach().double().numpy()
    assert channels["valid_wd"].val_record[-1] == pytest.approx(0.5 * (W ** 2).sum(), rel=1e-6)
    # The record after epoch e holds the value used while training epoch e; the schedules
    # give epoch c the value for count c (linear from count 1 to count 3).
    np.testing.assert_allclose(channels["momentum"].val_record, [0.5, 0.5, 0.7, 0.9])
    step = (0.05 - 0.005) / 3
    np.testing.assert_allclose(channels["learning_rate"].val_record,
                               [0.05, 0.05 - step, 0.05 - 2 * step, 0.005])


def test_set_batch_size_resizes_a_model_with_a_forced_batch_size(tmp_path):
    data = classification_data(n=40)
    inner = MLP(layer_name="inner", batch_size=12,
                layers=[Softmax(n_classes=4, layer_name="y", irange=0.1)])
    forced = MLP(nvis=5, batch_size=12, layers=[inner])
    Train(dataset=data, model=forced, algorithm=SGD(
        learning_rate=0.1, batch_size=10, set_batch_size=True,
        termination_criterion=EpochCounter(1))).main_loop()
    assert forced.monitor.get_batches_seen() == 4
    for mlp in (forced, inner):
        assert mlp.force_batch_size == 10 and mlp.batch_size == 10
    serial.save(tmp_path / "m.pkl", forced)
    reloaded = serial.load(tmp_path / "m.pkl")
    assert reloaded.force_batch_size == 10 and reloaded.layers[0].batch_size == 10


def test_init_momentum_is_a_deprecated_spelling_of_momentum():
    runs = []
    for kwargs in ({"init_momentum": 0.6}, {"learning_rule": Momentum(0.6)}):
        model = classifier()
        with pytest.warns(DeprecationWarning) if "init_momentum" in kwargs else _nothing():
            algorithm = SGD(learning_rate=0.05, batch_size=10,
                            termination_criterion=EpochCounter(2), **kwargs)
        Train(dataset=classification_data(), model=model, algorithm=algorithm).main_loop()
        runs.append([p.detach().clone() for p in model.parameters()])
    for p, q in zip(*runs):
        assert torch.equal(p, q)
    with pytest.raises(ConfigError, match="both init_momentum and learning_rule"):
        SGD(learning_rate=0.1, init_momentum=0.5, learning_rule=Momentum(0.5))


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class CrashAfter:
    """A batch hook that kills the run after ``n`` batches (like a killed process)."""

    def __init__(self, n):
        self.n = n

    def on_batch_end(self, **kwargs):
        self.n -= 1
        if self.n == 0:
            raise KeyboardInterrupt("killed")


def full_job(path, valid, with_crash=None):
    """Dropout, RMSProp, per-batch and per-epoch schedules, Polyak averaging, best-model
    saving, a smoothed channel and a SharedSetter: every piece of state that must resume."""
    model = MLP(nvis=5, seed=[3], layers=[
        RectifiedLinear(dim=16, layer_name="h0", irange=0.5),
        Softmax(n_classes=4, layer_name="y", irange=0.3),
    ])
    polyak = PolyakAveraging(start=2)
    algorithm = SGD(
        learning_rate=0.05, batch_size=8, cost=Dropout(default_input_include_prob=0.8,
                                                       default_input_scale=1.25, seed=5),
        learning_rule=RMSProp(decay=0.8), monitoring_dataset={"valid": valid},
        update_callbacks=ExponentialDecay(decay_factor=1.01, min_lr=1e-3),
        termination_criterion=EpochCounter(5))
    job = Train(dataset=classification_data(n=50), model=model, algorithm=algorithm,
                save_path=str(path), save_freq=1, extensions=[
                    polyak,
                    MonitorBasedSaveBest(channel_name="valid_y_misclass",
                                         save_path=str(path) + ".best"),
                    ChannelSmoother("valid_objective", "valid_objective_smooth", k=3),
                    SharedSetter([[3, "algorithm.cost.default_input_include_prob", 0.9]]),
                ])
    if with_crash is not None:
        job.extensions.append(CrashAfter(with_crash))
    return job, polyak


def test_killed_and_resumed_run_is_bit_identical(tmp_path):
    valid = classification_data(n=30, seed=1)
    straight, straight_polyak = full_job(tmp_path / "a.pkl", valid)
    straight.main_loop()
    crashed, _ = full_job(tmp_path / "b.pkl", valid, with_crash=7 * 3 + 4)  # mid-epoch 4
    with pytest.raises(KeyboardInterrupt):
        crashed.main_loop()
    assert crashed.model.monitor.get_epochs_seen() == 3
    resumed, resumed_polyak = full_job(tmp_path / "b.pkl", valid)
    resumed.main_loop(resume=True)
    assert_same_training(straight, resumed)
    for key, value in straight_polyak.average.items():
        assert torch.equal(resumed_polyak.average[key], value)
    assert resumed.algorithm.learning_rate == straight.algorithm.learning_rate
    assert resumed.algorithm.cost.default_input_include_prob == 0.9
    assert resumed.extensions[1].best_cost == straight.extensions[1].best_cost
    smooth = straight.model.monitor.channels["valid_objective_smooth"].val_record
    raw = straight.model.monitor.channels["valid_objective"].val_record
    np.testing.assert_allclose(smooth, [np.mean(raw[max(0, i - 2):i + 1]) for i in range(6)])


@pytest.mark.parametrize("monitor_objective", ["dropout", "deterministic"])
def test_dropout_monitoring(monitor_objective):
    """The model's channels use the unmasked network; ``objective`` is the masked cost
    (as the original recorded it) unless monitor_objective='deterministic'."""
    data = classification_data()
    model = classifier()
    Train(dataset=data, model=model, algorithm=SGD(
        learning_rate=0.05, batch_size=10, cost=Dropout(seed=1, monitor_objective=monitor_objective),
        monitoring_dataset={"valid": data}, termination_criterion=EpochCounter(1))).main_loop()
    X = torch.as_tensor(data.X)
    Y = torch.nn.functional.one_hot(torch.as_tensor(data.y[:, 0]), 4).float()
    with torch.no_grad():
        unmasked = float(Default().expr(model, (X, Y)))
    assert model.monitor.last("valid_y_nll") == pytest.approx(unmasked, rel=1e-5)
    if monitor_objective == "deterministic":
        assert model.monitor.last("valid_objective") == pytest.approx(unmasked, rel=1e-6)
    else:
        assert abs(model.monitor.last("valid_objective") - unmasked) > 1e-3


def test_csv_rows_include_channels_that_extensions_write_on_monitor(tmp_path):
    import csv

    job = Train(dataset=classification_data(n=40), model=classifier(), save_path=str(tmp_path / "m.pkl"),
                save_freq=1, algorithm=SGD(learning_rate=0.05, batch_size=10,
                                           monitoring_dataset={"valid": classification_data(n=20, seed=3)},
                                           termination_criterion=EpochCounter(3)),
                extensions=[ChannelSmoother("valid_objective", "valid_objective_smooth", k=2)])
    job.main_loop()
    with open(tmp_path / "m.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2, 3]
    raw = [float(r["valid_objective"]) for r in rows]
    smooth = [float(r["valid_objective_smooth"]) for r in rows]
    expected = [raw[0]] + [(raw[i - 1] + raw[i]) / 2 for i in range(1, len(raw))]
    np.testing.assert_allclose(smooth, expected, rtol=1e-12)
