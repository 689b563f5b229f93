"""DefaultTrainingAlgorithm, EpochMonitor, PatienceBasedTermCrit, BGD step shrinkers and
FixedVarDescr/merge."""

import numpy as np
import pytest
import torch

from pylearn2.costs.cost import FixedVarDescr, FixedVarDescrDataSpecsError, merge
from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.model import Model
from pylearn2.monitor import Monitor
from pylearn2.space import VectorSpace
from pylearn2.termination_criteria import EpochCounter
from pylearn2.training_algorithms.bgd_steps import BacktrackingStepShrinker, ScaleStep, StepShrinker
from pylearn2.training_algorithms.default import DefaultTrainingAlgorithm
from pylearn2.training_algorithms.sgd_callbacks import EpochMonitor, PatienceBasedTermCrit
from pylearn2.utils.exc import ConfigError


class SelfTrainer(Model):
    """Moves its mean towards each batch's mean; stops after `limit` batches."""

    def __init__(self, nvis=3, limit=None):
        super().__init__()
        self.nvis, self.limit = nvis, limit
        self.mu = torch.nn.Parameter(torch.zeros(nvis))
        self.calls = []
        self.input_space = VectorSpace(nvis)

    def train_batch(self, dataset, batch_size):
        X = torch.as_tensor(dataset.get_batch_design(batch_size))
        with torch.no_grad():
            self.mu.add_(0.5 * (X.mean(0) - self.mu))
        self.calls.append(batch_size)
        return self.limit is None or len(self.calls) < self.limit

    def get_monitoring_data_specs(self):
        return (self.input_space, "features")

    def get_monitoring_channels(self, data):
        return {"dist": (data - self.mu).pow(2).sum(1).mean()}


def toy_data():
    return DenseDesignMatrix(X=np.random.default_rng(0).normal(2.0, 1.0, size=(40, 3)))


def test_default_training_algorithm_runs_the_models_own_updates():
    from pylearn2.train import Train

    data = toy_data()
    model = SelfTrainer()
    algo = DefaultTrainingAlgorithm(batch_size=5, batches_per_iter=4, monitoring_dataset=data,
                                    termination_criterion=EpochCounter(3))
    Train(dataset=data, model=model, algorithm=algo).main_loop()
    assert model.calls == [5] * 12
    dist = model.monitor.channels["dist"].val_record
    assert len(dist) == 4 and dist[-1] < dist[0]
    stopper = SelfTrainer(limit=6)
    Train(dataset=data, model=stopper,
          algorithm=DefaultTrainingAlgorithm(batch_size=5, batches_per_iter=4)).main_loop()
    assert len(stopper.calls) == 6  # train_batch said False in the second epoch
    with pytest.raises(ConfigError, match="train_batch"):
        DefaultTrainingAlgorithm(batch_size=2).setup(torch.nn.Linear(2, 2), data)


class FakeModel:
    def __init__(self, values, name="objective"):
        self.monitor = Monitor(None)
        ch = self.monitor._channel(name)
        ch.val_record.extend(values)


def test_patience_based_term_crit_follows_the_rule():
    values = [10.0, 9.0, 8.95, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0]
    crit = PatienceBasedTermCrit(prop_decrease=0.05, initial_patience=3, patience_increase=2.0)
    decisions, model = [], FakeModel([])
    best, patience = np.inf, 3
    expected = []
    for v in values:
        model.monitor.channels["objective"].val_record.append(v)
        decisions.append(crit(model))
        n = len(model.monitor.channels["objective"].val_record)
        if v < best * 0.95:
            patience, best = max(patience, n * 2.0), v
        expected.append(n < patience)
    assert decisions == expected and decisions[-1] is False and decisions[5] is True
    with pytest.raises(ConfigError, match="channel_name"):
        PatienceBasedTermCrit(0.1, 3, channel_name="valid_y_misclass")(model)


def test_epoch_monitor_runs_the_monitor_every_monitor_rate_batches():
    class M:
        def __init__(self):
            self.runs = 0
            self.monitor = self

        def get_epochs_seen(self):
            return 0

        def __call__(self):
            self.runs += 1

    m = M()
    cb = EpochMonitor(m, tick_rate=2, monitor_rate=3)
    for _ in range(7):
        cb(None)
    assert m.runs == 2
    state = cb.state_dict()
    other = EpochMonitor(m, monitor_rate=3)
    other.load_state_dict(state)
    other(None)
    other(None)
    assert m.runs == 3


class Algo:
    def __init__(self):
        self.scale_step = 1.0


def test_scale_step_and_step_shrinker():
    algo = Algo()
    s = ScaleStep(scale=0.5, min_value=0.2)
    for _ in range(4):
        s.on_monitor(algorithm=algo)
    assert algo.scale_step == 0.2
    model = FakeModel([5.0], "valid_objective")
    algo = Algo()
    shrink = StepShrinker("valid_objective", scale=0.5, giveup_after=0.2, scale_up=1.5,
                          max_scale=1.2)
    steps = []
    for v in [4.0, 4.5, 3.0, 3.5, 3.6, 3.7]:
        model.monitor.channels["valid_objective"].val_record.append(v)
        shrink.on_monitor(model=model, algorithm=algo)
        steps.append(algo.scale_step)
    assert steps == pytest.approx([1.2, 0.6, 0.9, 0.45, 0.225, 0.2]) and not shrink.continue_learning(model)


def test_backtracking_step_shrinker_restores_previous_parameters():
    model = torch.nn.Linear(2, 1)
    model.monitor = Monitor(None)
    record = model.monitor._channel("objective").val_record
    algo = Algo()
    bt = BacktrackingStepShrinker("objective", scale=0.5, giveup_after=0.01)
    record.append(1.0)
    bt.on_monitor(model=model, algorithm=algo)
    good = [p.detach().clone() for p in model.parameters()]
    with torch.no_grad():
        for p in model.parameters():
            p.add_(10.0)
    record.append(2.0)  # worse: go back to the parameters of the first monitor
    bt.on_monitor(model=model, algorithm=algo)
    for p, g in zip(model.parameters(), good):
        torch.testing.assert_close(p, g)
    assert algo.scale_step == 0.5


def test_fixed_var_descr_merge():
    a, b = FixedVarDescr(), FixedVarDescr()
    a.fixed_vars["x"] = 1
    b.fixed_vars["y"] = 2
    seen = []
    a.on_load_batch.append(seen.append)
    b.data_specs = (VectorSpace(3), "features")
    m = merge(a, b)
    assert m.fixed_vars == {"x": 1, "y": 2} and m.data_specs == b.data_specs
    m.load_batch("batch")
    assert seen == ["batch"]
    b.fixed_vars["x"] = 3
    with pytest.raises(ConfigError, match="fix"):
        merge(a, b)
    c = FixedVarDescr()
    c.data_specs = (VectorSpace(4), "targets")
    b.fixed_vars.pop("x")
    with pytest.raises(FixedVarDescrDataSpecsError):
        merge(b, c)
