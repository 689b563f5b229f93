"""Termination criteria, LR adjustment, augmentation and the continued-training pattern."""

import numpy as np
import pytest
import torch

from pylearn2.config import yaml_parse
from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.monitor import Monitor, get_channel, push_monitor, read_channel
from pylearn2.termination_criteria import (
    And,
    ChannelInf,
    ChannelTarget,
    EpochCounter,
    MatchChannel,
    MonitorBased,
    Or,
)
from pylearn2.train_extensions.window_flip import WindowAndFlip
from pylearn2.training_algorithms.sgd import MonitorBasedLRAdjuster
from pylearn2.utils import serial
from pylearn2.utils.exc import ConfigError


class FakeModel:
    def __init__(self, values, name="v"):
        self.monitor = Monitor(self)
        self.name = name
        self.values = values

    def step(self, value):
        channel = self.monitor._channel(self.name)
        channel.val_record.append(value)
        self.monitor.report_epoch()


def run(criterion, values):
    model = FakeModel(values)
    decisions = []
    for value in values:
        model.step(value)
        decisions.append(criterion.continue_learning(model))
    return decisions


def test_monitor_based_countdown_and_reason():
    crit = MonitorBased(prop_decrease=0.1, N=2, channel_name="v")
    # 10 -> 8 improves by >= 10%; 7.5 and 7.4 do not; stop after two epochs without.
    assert run(crit, [10.0, 8.0, 7.5, 7.4]) == [True, True, True, False]
    assert "did not improve" in crit.reason
    with pytest.raises(ConfigError, match="Did you mean 'v'"):
        MonitorBased(channel_name="vv").continue_learning(_with_value(1.0))


def _with_value(value):
    model = FakeModel([value])
    model.step(value)
    return model


def test_channel_target_inf_and_combinations():
    assert run(ChannelTarget("v", 0.5), [1.0, 0.6, 0.5]) == [True, True, False]
    assert run(ChannelInf("v"), [1.0, float("inf")]) == [True, False]
    both = And([EpochCounter(3, new_epochs=False), ChannelTarget("v", 0.1)])
    assert run(both, [1.0, 0.5, 0.4]) == [True, True, False]
    either = Or([EpochCounter(1, new_epochs=False), ChannelTarget("v", 0.1)])
    assert run(either, [1.0, 0.05]) == [True, False]
    assert "max_epochs=1" in either.reason and "target" in either.reason


def test_epoch_counter_new_epochs_and_state():
    model = _with_value(1.0)
    model.step(1.0)  # two epochs already seen, as after push_monitor(transfer_experience)
    fresh = EpochCounter(2, new_epochs=True)
    absolute = EpochCounter(2, new_epochs=False)
    assert fresh.continue_learning(model) and not absolute.continue_learning(model)
    restored = EpochCounter(2)
    restored.load_state_dict(fresh.state_dict())
    assert restored._start == 2


def test_monitor_based_lr_adjuster():
    class Algo:
        learning_rate = 1.0

    adjuster = MonitorBasedLRAdjuster(shrink_amt=0.5, grow_amt=2.0, channel_name="v")
    model, algo = FakeModel([]), Algo()
    rates = []
    for value in [1.0, 1.2, 1.1, 0.5]:
        model.step(value)
        adjuster.on_monitor(model=model, algorithm=algo)
        rates.append(algo.learning_rate)
    # up -> shrink; down by less than 1% ... 1.2 -> 1.1 is a 8% drop: unchanged; 1.1 -> 0.5 too
    assert rates == [1.0, 0.5, 0.5, 0.5]
    model.step(0.499)
    adjuster.on_monitor(model=model, algorithm=algo)
    assert algo.learning_rate == 1.0  # fell by under 1%: grow


def test_window_and_flip():
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(6, 5, 5, 1)).astype(np.float32)
    train, test = DenseDesignMatrix(topo_view=images), DenseDesignMatrix(topo_view=images.copy())
    ext = WindowAndFlip((3, 3), randomize=[train], center=[test], rng=[1])
    ext.setup()
    np.testing.assert_array_equal(test.get_topological_view(), images[:, 1:4, 1:4])
    first = train.get_topological_view().copy()
    for k in range(6):
        window = first[k]
        hits = [(r, c) for r in range(3) for c in range(3)
                if np.array_equal(images[k, r:r + 3, c:c + 3], window)
                or np.array_equal(images[k, r:r + 3, c:c + 3][:, ::-1], window)]
        assert hits
    ext.on_monitor()
    assert not np.array_equal(train.get_topological_view(), first)
    with pytest.raises(ConfigError, match="larger"):
        WindowAndFlip((9, 9), randomize=[DenseDesignMatrix(topo_view=images)]).setup()


def test_continued_training_pattern(tmp_path):
    first = yaml_parse.load(f"""
    !obj:pylearn2.train.Train {{
        dataset: &train !obj:pylearn2.datasets.digits.Digits {{ which_set: 'train', stop: 200 }},
        model: !obj:pylearn2.models.mlp.MLP {{ nvis: 64, layers: [
            !obj:pylearn2.models.mlp.Softmax {{ layer_name: 'y', n_classes: 10, irange: 0. }} ] }},
        algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {{
            learning_rate: .1, batch_size: 20,
            monitoring_dataset: {{ 'train': *train,
                'valid': !obj:pylearn2.datasets.digits.Digits {{ which_set: 'valid' }} }},
            termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter {{ max_epochs: 3 }} }},
        save_path: '{tmp_path}/stage0.pkl', save_freq: 1 }}""")
    first.main_loop()
    target = read_channel(first.model, "train_objective")
    second = yaml_parse.load(f"""
    !obj:pylearn2.train.Train {{
        dataset: &train !obj:pylearn2.datasets.digits.Digits {{ which_set: 'train' }},
        model: !obj:pylearn2.monitor.push_monitor {{
            model: !pkl: '{tmp_path}/stage0.pkl', name: 'monitor_stage_0',
            transfer_experience: True }},
        algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {{
            learning_rate: .05, batch_size: 20,
            monitoring_dataset: {{ 'train': *train,
                'valid': !obj:pylearn2.datasets.digits.Digits {{ which_set: 'valid' }} }},
            termination_criterion: !obj:pylearn2.termination_criteria.Or {{ criteria: [
                !obj:pylearn2.termination_criteria.MatchChannel {{
                    channel_name: 'valid_objective', prev_channel_name: 'train_objective',
                    prev_monitor_name: 'monitor_stage_0' }},
                !obj:pylearn2.termination_criteria.EpochCounter {{ max_epochs: 1 }} ] }} }},
        save_path: '{tmp_path}/stage1.pkl', save_freq: 1 }}""")
    assert second.model.monitor_stage_0.last("train_objective") == pytest.approx(target)
    assert second.model.monitor.get_epochs_seen() == 3
    second.main_loop()
    # Or asks its members in order and stops asking at the first "continue" (the original's
    # short-circuit): the EpochCounter is first consulted, and starts counting, only on the
    # epoch MatchChannel first says stop, so one more epoch follows that one.
    assert second.model.monitor.get_epochs_seen() == 5
    data = yaml_parse.load("!obj:pylearn2.datasets.digits.Digits { which_set: 'valid' }")
    from pylearn2.costs.mlp import Default

    stage1 = serial.load(f"{tmp_path}/stage1.pkl")
    value = get_channel(stage1, data, "objective", Default(), 50)
    assert value == pytest.approx(second.model.monitor.last("valid_objective"), rel=1e-5)
    # The stage-0 history travels with the model file, so a third stage can read it.
    assert read_channel(stage1, "train_objective", "monitor_stage_0") == target
    assert stage1.monitor_stage_0.channels["train_objective"].epoch_record == [0, 1, 2, 3]
    with pytest.raises(ConfigError, match="no monitor"):
        MatchChannel("a", "b", "nope").continue_learning(second.model)
    assert push_monitor  # the YAML above used it through !obj:


def tiny_classification(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    y = (X[:, :1] > 0).astype(np.int64)
    return DenseDesignMatrix(X=X, y=y, y_labels=2)


def tiny_softmax():
    from pylearn2.models.mlp import MLP, Softmax

    return MLP(nvis=3, seed=[2], layers=[Softmax(n_classes=2, layer_name="y", irange=0.3)])


def sgd(epochs, **kwargs):
    from pylearn2.training_algorithms.sgd import SGD

    return SGD(learning_rate=kwargs.pop("learning_rate", 0.1), batch_size=10,
               termination_criterion=EpochCounter(epochs), **kwargs)


def test_save_best_in_a_run_writes_exactly_the_improving_epochs(tmp_path, monkeypatch):
    from pylearn2.train import Train
    from pylearn2.train_extensions.best_params import MonitorBasedSaveBest

    writes = []
    real_save = serial.save

    def spy(path, model, **kwargs):
        if path.endswith("best.pkl"):
            writes.append(model.monitor.get_epochs_seen())
        real_save(path, model, **kwargs)

    monkeypatch.setattr(serial, "save", spy)
    best = MonitorBasedSaveBest("valid_y_misclass", save_path=str(tmp_path / "best.pkl"),
                                store_best_model=True)
    model = tiny_softmax()
    Train(dataset=tiny_classification(), model=model, extensions=[best], algorithm=sgd(
        6, learning_rate=0.3, monitoring_dataset={"valid": tiny_classification(seed=1)})).main_loop()
    record = model.monitor.channels["valid_y_misclass"].val_record
    improving = [e for e, v in enumerate(record) if v < min(record[:e], default=np.inf)]
    assert writes == improving and best.best_cost == min(record)
    saved = serial.load(str(tmp_path / "best.pkl"))
    assert saved.monitor.get_epochs_seen() == improving[-1]
    assert saved.tag["MonitorBasedSaveBest"]["best_cost"] == min(record)
    assert best.best_model.monitor.get_epochs_seen() == improving[-1]


class Snapshots:
    def __init__(self):
        self.taken = []

    def on_monitor(self, model, **kwargs):
        self.taken.append({k: v.clone() for k, v in model.state_dict().items()})


def test_keep_best_params_by_cost_or_channel():
    from pylearn2.costs.mlp import Default
    from pylearn2.monitor import get_channel
    from pylearn2.train import Train
    from pylearn2.train_extensions.best_params import KeepBestParams

    valid = tiny_classification(seed=1)
    for make in (lambda m: KeepBestParams(m, Default(), valid, batch_size=7),
                 lambda m: KeepBestParams(channel_name="valid_objective")):
        model = tiny_softmax()
        keep = make(model)
        snap = Snapshots()
        snapshots = snap.taken
        Train(dataset=tiny_classification(), model=model, extensions=[keep, snap],
              algorithm=sgd(5, learning_rate=2.0,
                            monitoring_dataset={"valid": valid})).main_loop()
        values = model.monitor.channels["valid_objective"].val_record
        best = int(np.argmin(values))
        for key, tensor in snapshots[best].items():  # restored at the end of training
            assert torch.equal(model.state_dict()[key], tensor)
        assert keep.best_cost == pytest.approx(min(values), rel=1e-6)
        assert get_channel(model, valid, "objective", Default(), 40) == \
            pytest.approx(min(values), rel=1e-5)
    with pytest.raises(ConfigError, match="channel_name, or cost"):
        KeepBestParams()


def test_shared_setter_applies_updates_by_epoch_and_publishes_them():
    from pylearn2.train import Train
    from pylearn2.train_extensions import SharedSetter

    setter = SharedSetter([[0, "algorithm.learning_rate", 0.05],
                           [2, "algorithm.learning_rate", 0.01],
                           [3, "model.layers.0.W_lr_scale", 0.5]])
    model = tiny_softmax()
    job = Train(dataset=tiny_classification(), model=model, extensions=[setter],
                algorithm=sgd(4))
    job.main_loop()
    # the record after epoch e shows the rate used in epoch e; updates land after epoch e
    assert model.monitor.channels["algorithm_learning_rate"].val_record == \
        [0.1, 0.05, 0.05, 0.01, 0.01]
    assert model.layers[0].W_lr_scale == 0.5
    fresh = SharedSetter([[2, "algorithm.learning_rate", 0.01]])
    algo = sgd(1)
    fresh.load_state_dict({"applied_through": 3})  # before setup: applied at setup
    fresh.setup(model=tiny_softmax(), algorithm=algo)
    assert algo.learning_rate == 0.01
    with pytest.raises(ConfigError, match="starting with one of"):
        SharedSetter([[1, "learning_rate", 0.1]])
    with pytest.raises(ConfigError, match="has no attribute 'lerning_rate'"):
        SharedSetter([[1, "algorithm.lerning_rate", 0.1]]).setup(model=tiny_softmax(),
                                                                  algorithm=algo)


def test_channel_smoother_and_its_checks():
    from pylearn2.train_extensions import ChannelSmoother

    model = FakeModel([])
    smoother = ChannelSmoother("v", "v_smooth", k=2)
    for value in [4.0, 2.0, 6.0]:
        model.step(value)
        smoother.on_monitor(model=model)
    assert model.monitor.channels["v_smooth"].val_record == [4.0, 3.0, 4.0]
    assert model.monitor.channels["v_smooth"].epoch_record == [1, 2, 3]
    with pytest.raises(ConfigError, match="k must be"):
        ChannelSmoother("v", "w", k=0)


def test_window_and_flip_resumes_with_the_same_windows():
    rng = np.random.default_rng(5)
    images = rng.uniform(size=(8, 6, 6, 1)).astype(np.float32)

    def build():
        train = DenseDesignMatrix(topo_view=images.copy())
        return train, WindowAndFlip((4, 4), randomize=[train], rng=[3])

    train, ext = build()
    ext.setup()
    ext.on_monitor()
    ext.on_monitor()
    state = ext.state_dict()
    expected_now = train.get_topological_view().copy()
    ext.on_monitor()
    expected_next = train.get_topological_view().copy()
    train2, ext2 = build()
    ext2.setup()
    ext2.load_state_dict(state)
    np.testing.assert_array_equal(train2.get_topological_view(), expected_now)
    ext2.on_monitor()
    np.testing.assert_array_equal(train2.get_topological_view(), expected_next)


def test_polyak_saves_the_averaged_parameters(tmp_path):
    from pylearn2.train import Train
    from pylearn2.train_extensions.polyak import PolyakAveraging

    polyak = PolyakAveraging(start=1, save_path=str(tmp_path / "avg.pkl"))
    model = tiny_softmax()
    Train(dataset=tiny_classification(), model=model, extensions=[polyak],
          algorithm=sgd(3)).main_loop()
    saved = serial.load(str(tmp_path / "avg.pkl"))
    for name, value in saved.named_parameters():
        assert torch.equal(value.detach(), polyak.average[name])
        assert not torch.equal(value.detach(), dict(model.named_parameters())[name].detach())
