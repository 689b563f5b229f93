"""The monitor pass: one forward per monitoring batch, parameter channels once per call.

References: the same channels computed the old way (every producer running the network
itself, example-weighted means in float64) and numpy float64 formulas of the channels.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import classification_data

from pylearn2.costs.cost import SumOfCosts
from pylearn2.costs.mlp import Default, WeightDecay
from pylearn2.models.mlp import MLP, Sigmoid, Softmax, Tanh
from pylearn2.monitor import Monitor, read_channel
from pylearn2.utils.exc import ConfigError


def network() -> MLP:
    return MLP(nvis=5, seed=[3, 1, 4], layers=[
        Tanh(dim=7, layer_name="h0", irange=0.4),
        Sigmoid(dim=6, layer_name="h1", irange=0.4),
        Softmax(n_classes=4, layer_name="y", irange=0.3)])


def monitored(model, cost=None, batch_size=5, **datasets):
    monitor = Monitor(model)
    sets = datasets or {"valid": classification_data(n=23, seed=1)}
    monitor.setup(dataset=sets, cost=cost or Default(), batch_size=batch_size)
    return monitor


def old_path_means(model, cost, dataset, batch_size):
    """Each channel the way the monitor used to compute it: the cost and the model's
    channels each running the network on their own, means weighted by batch size."""
    X = torch.from_numpy(dataset.X)
    Y = torch.nn.functional.one_hot(torch.from_numpy(dataset.y[:, 0]), 4).float()
    sums, total = {}, 0
    with torch.no_grad():
        for start in range(0, len(X), batch_size):
            data = (X[start:start + batch_size], Y[start:start + batch_size])
            n = len(data[0])
            channels = dict(cost.get_monitoring_channels(model, data))
            channels["objective"] = cost.monitoring_expr(model, data)
            channels.update(model.get_monitoring_channels(data))
            for name, value in channels.items():
                sums[name] = sums.get(name, 0.0) + float(value.to(torch.float64)) * n
            total += n
    return {name: value / total for name, value in sums.items()}


def count_matmuls(monkeypatch):
    calls = []
    real_addmm = torch.addmm

    def counting(*args, **kwargs):
        calls.append(args[2].shape)
        return real_addmm(*args, **kwargs)

    monkeypatch.setattr(torch, "addmm", counting)
    return calls


def test_one_forward_per_monitoring_batch(monkeypatch):
    model = network()
    monitor = monitored(model, cost=SumOfCosts([Default(), [1e-3, WeightDecay([1.0, 1.0, 1.0])]]))
    calls = count_matmuls(monkeypatch)
    monitor.batches_per_call = 1
    monitor()
    batches = 5  # 23 examples in batches of 5
    assert len(calls) == 3 * batches  # one matmul per layer per batch, nothing repeated
    assert [tuple(s) for s in calls[:3]] == [(5, 7), (7, 6), (6, 4)]
    calls.clear()
    monitor.batches_per_call = None  # the four full batches in one call, then the tail
    monitor()
    assert len(calls) == 3 * 2  # one matmul per layer per call (vmap shows a batch's shape)


def test_direct_calls_still_run_the_network_themselves(monkeypatch):
    model = network()
    data = (torch.zeros(3, 5), torch.eye(4)[:3])
    calls = count_matmuls(monkeypatch)
    with torch.no_grad():
        Default().expr(model, data)
        model.get_monitoring_channels(data)
    assert len(calls) == 3 + 3 + 1  # cost, channels, and the nll from the logits


def test_channel_values_equal_the_separate_passes():
    model = network()
    dataset = classification_data(n=23, seed=1)
    cost = SumOfCosts([Default(), [1e-3, WeightDecay([1.0, 1.0, 1.0])]])
    monitor = monitored(model, cost=cost, valid=dataset)
    monitor.batches_per_call = 1
    monitor()
    expected = old_path_means(model, cost, dataset, 5)
    for name, value in expected.items():
        got = monitor.last(f"valid_{name}")  # parameter channels through their alias
        assert got == value, name  # the same operations, so the same numbers
    monitor.batches_per_call = None  # runs of batches per call: the same up to rounding
    monitor()
    for name, value in expected.items():
        assert monitor.last(f"valid_{name}") == pytest.approx(value, rel=1e-6, abs=1e-7), name


def test_channels_match_float64_formulas():
    model = network()
    dataset = classification_data(n=23, seed=1)
    monitor = monitored(model, valid=dataset)
    monitor()
    W = [layer.W.detach().double().numpy() for layer in model.layers]
    b = [layer.b.detach().double().numpy() for layer in model.layers]
    h0 = np.tanh(dataset.X.astype(np.float64) @ W[0] + b[0])
    h1 = 1 / (1 + np.exp(-(h0 @ W[1] + b[1])))
    z = h1 @ W[2] + b[2]
    log_p = z - z.max(1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(1, keepdims=True))
    labels = dataset.y[:, 0]
    assert monitor.last("valid_y_nll") == pytest.approx(-log_p[np.arange(23), labels].mean(),
                                                        rel=1e-5)
    assert monitor.last("valid_objective") == pytest.approx(monitor.last("valid_y_nll"), rel=1e-6)
    assert monitor.last("valid_y_misclass") == pytest.approx((z.argmax(1) != labels).mean())
    assert monitor.last("h1_col_norms_max") == pytest.approx(
        np.linalg.norm(W[1], axis=0).max(), rel=1e-6)
    assert monitor.last("h0_row_norms_min") == pytest.approx(
        np.linalg.norm(W[0], axis=1).min(), rel=1e-6)
    # batch-size weighted mean of the per-batch mean activation (batches of 5, 5, 5, 5, 3)
    per_batch = [h0[i:i + 5].mean(0).mean() * len(h0[i:i + 5]) for i in range(0, 23, 5)]
    assert monitor.last("valid_h0_mean_x_mean_u") == pytest.approx(sum(per_batch) / 23, rel=1e-5)


def test_parameter_channels_are_recorded_once_under_one_name(monkeypatch):
    model = network()
    monitor = monitored(model, train=classification_data(n=20, seed=0),
                        valid=classification_data(n=23, seed=1))
    norm_calls = []
    real = type(model.layers[0]).get_param_monitoring_channels

    def counting(self):
        norm_calls.append(self.layer_name)
        return real(self)

    monkeypatch.setattr(type(model.layers[0]), "get_param_monitoring_channels", counting)
    monitor()
    assert norm_calls == ["h0"]  # once per monitor call, not per batch or per dataset
    names = list(monitor.channels)
    assert "h0_col_norms_max" in names
    assert not [n for n in names if n.endswith("norms_max") and n.startswith(("train", "valid"))]
    W = model.layers[0].W.detach().double().numpy()
    expected = np.linalg.norm(W, axis=0).max()
    for name in ("h0_col_norms_max", "valid_h0_col_norms_max", "train_h0_col_norms_max"):
        assert name in monitor.channels
        assert monitor.channels[name] is monitor.channels["h0_col_norms_max"]
        assert monitor.channel(name).val_record == [pytest.approx(expected, rel=1e-6)]
        assert monitor.channels.get(name) is monitor.channels["h0_col_norms_max"]
    model.monitor = monitor
    assert read_channel(model, "valid_h0_col_norms_max") == pytest.approx(expected, rel=1e-6)
    assert "valid_h0_col_norms_max" in monitor.channel_names()
    assert "test_h0_col_norms_max" not in monitor.channels
    with pytest.raises(ConfigError, match="test_h0_col_norms_max"):
        monitor.channel("test_h0_col_norms_max")


def test_aliases_survive_the_model_file_and_push_monitor(tmp_path):
    from pylearn2.monitor import push_monitor
    from pylearn2.utils import serial

    model = network()
    model.monitor = monitored(model)
    model.monitor()
    path = tmp_path / "m.pkl"
    serial.save(path, model)
    loaded = serial.load(path)
    assert loaded.monitor.last("valid_h1_col_norms_mean") == model.monitor.last("h1_col_norms_mean")
    pushed = push_monitor(loaded, "monitor_stage_0", save_records=True)
    assert pushed.monitor.last("valid_h1_col_norms_mean") == model.monitor.last("h1_col_norms_mean")
    assert pushed.monitor_stage_0.last("valid_y_row_norms_max") == model.monitor.last(
        "y_row_norms_max")


def test_per_dataset_option_keeps_a_copy_per_dataset(monkeypatch):
    sets = {"train": classification_data(n=20, seed=0), "valid": classification_data(n=23, seed=1)}
    once = monitored(network(), **sets)
    once()
    monkeypatch.setenv("PYLEARN2_PARAM_CHANNELS", "per_dataset")
    copies = monitored(network(), **sets)
    copies()
    assert "h0_col_norms_max" not in copies.channels
    for prefix in ("train_", "valid_"):
        assert copies.channels[f"{prefix}h0_col_norms_max"].dataset_name == prefix[:-1]
        assert copies.last(f"{prefix}h0_col_norms_max") == once.last("h0_col_norms_max")
    assert sorted(copies.channel_names()) == sorted(once.channel_names() - {
        n for n in once.channels if n.startswith(("h0_", "h1_", "y_"))})
    argument = Monitor(network(), param_channels="per_dataset")
    argument.setup(dataset=sets, cost=Default(), batch_size=5)
    monkeypatch.delenv("PYLEARN2_PARAM_CHANNELS")
    argument()
    assert "valid_y_col_norms_min" in list(argument.channels)


def test_a_monitor_holding_per_dataset_copies_keeps_extending_them():
    """A model file written before parameter channels were recorded once: its per-dataset
    histories go on, and no second, unprefixed history starts."""
    model = network()
    before = Monitor(model, param_channels="per_dataset")
    before.setup(dataset={"valid": classification_data(n=23, seed=1)}, cost=Default(),
                 batch_size=5)
    before()
    state = before.state_dict()
    state.pop("aliases")
    resumed = Monitor(model)
    resumed.load_state_dict(state)
    resumed.setup(dataset={"valid": classification_data(n=23, seed=1)}, cost=Default(),
                  batch_size=5)
    resumed()
    assert len(resumed.channels["valid_h0_col_norms_max"].val_record) == 2
    assert "h0_col_norms_max" not in resumed.channels


def test_unknown_param_channel_mode_is_a_clear_error():
    monitor = Monitor(network(), param_channels="twice")
    monitor.setup(dataset={"valid": classification_data(n=10)}, cost=Default(), batch_size=5)
    with pytest.raises(ConfigError, match="param_channels.*once, per_dataset"):
        monitor()


def test_termination_and_save_best_accept_the_per_dataset_names(tmp_path):
    from helpers import small_job

    from pylearn2.termination_criteria import ChannelTarget, MonitorBased
    from pylearn2.train_extensions.best_params import MonitorBasedSaveBest

    best = MonitorBasedSaveBest("valid_h0_col_norms_max", save_path=str(tmp_path / "best.pkl"))
    job = small_job(extensions=[best], epochs=3)
    job.main_loop()
    record = job.model.monitor.channels["h0_col_norms_max"].val_record
    assert len(record) == 4 and best.best_cost == min(record)
    assert ChannelTarget("valid_h0_col_norms_max", target=1e9).continue_learning(job.model) is False
    criterion = MonitorBased(channel_name="valid_y_col_norms_mean", N=1)
    assert criterion.continue_learning(job.model) is True
    assert criterion.best_value == job.model.monitor.last("y_col_norms_mean")


def test_channels_that_come_and_go_between_batches_are_summed_by_name():
    model = network()
    monitor = monitored(model)
    seen = []

    def sometimes(data):
        seen.append(len(data))
        out = {"always": torch.tensor(1.0)}
        if len(seen) % 2:
            out["odd_batches"] = torch.tensor(float(len(data)))
        return out

    from pylearn2.space import VectorSpace

    monitor.add_producer(sometimes, (VectorSpace(5), "features"), "valid", "valid_")
    monitor()
    assert monitor.last("valid_always") == 1.0
    # batches 1, 3, 5 have 5, 5 and 3 examples: (25 + 25 + 9) / 23
    assert monitor.last("valid_odd_batches") == pytest.approx(59 / 23)


def test_dry_run_knows_the_per_dataset_names_of_parameter_channels(tmp_path):
    from helpers import small_job

    from pylearn2.train_checks import check_experiment
    from pylearn2.train_extensions.best_params import MonitorBasedSaveBest

    good = MonitorBasedSaveBest("valid_h0_col_norms_max", save_path=str(tmp_path / "b.pkl"))
    assert check_experiment(small_job(extensions=[good])).errors == []
    bad = MonitorBasedSaveBest("valid_h0_col_norm_max", save_path=str(tmp_path / "b.pkl"))
    (problem,) = check_experiment(small_job(extensions=[bad])).errors
    assert "valid_h0_col_norm_max" in problem.message


def test_activation_channels_match_float64_formulas():
    from pylearn2.models.mlp.statistics import activation_channels

    H = np.random.default_rng(5).normal(size=(9, 4, 3)).astype(np.float32)
    got = activation_channels(torch.from_numpy(H), dotted=True)
    flat = H.reshape(9, -1).astype(np.float64)
    per_unit = {"max": flat.max(0), "mean": flat.mean(0), "min": flat.min(0)}
    per_unit["range"] = per_unit["max"] - per_unit["min"]
    expected = {f"{x}_x.{u}_u": getattr(np, u)(v) for x, v in per_unit.items()
                for u in ("max", "mean", "min")}
    assert list(got) == list(expected)
    for name, value in expected.items():
        assert float(got[name]) == pytest.approx(value, rel=1e-6, abs=1e-7), name


def test_a_dataset_whose_producers_publish_nothing_records_nothing():
    from pylearn2.space import VectorSpace

    monitor = Monitor(network())
    monitor.add_dataset(classification_data(n=12, seed=1), batch_size=5, name="valid")
    monitor.add_producer(lambda data: {}, (VectorSpace(5), "features"), "valid", "valid_")
    monitor()
    assert not any(name.startswith("valid_") for name in monitor.channels)
