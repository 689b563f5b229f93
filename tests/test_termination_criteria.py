"""Termination criteria inside real runs, their reasons, and their state across a resume."""

import json
import math

import numpy as np
import pytest

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.mlp import MLP, Softmax
from pylearn2.monitor import Monitor
from pylearn2.termination_criteria import (
    And,
    ChannelInf,
    ChannelTarget,
    EpochCounter,
    MatchChannel,
    MonitorBased,
    Or,
)
from pylearn2.train import Train
from pylearn2.training_algorithms.sgd import SGD


def data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    y = (X[:, :1] + 0.8 * rng.normal(size=(n, 1)) > 0).astype(np.int64)
    return DenseDesignMatrix(X=X, y=y, y_labels=2)


def model():
    return MLP(nvis=3, seed=[1], layers=[Softmax(n_classes=2, layer_name="y", irange=0.1)])


def replay_monitor_based(record, prop_decrease, N):
    """Float64 reference: the number of epochs after which the rule says stop."""
    best, countdown = math.inf, N
    for epoch, value in enumerate(record):
        countdown = N if value < (1 - prop_decrease) * best else countdown - 1
        best = min(best, value)
        if countdown <= 0:
            return epoch
    return None


def test_monitor_based_on_the_bare_objective_stops_when_the_reference_says():
    criterion = MonitorBased(prop_decrease=0.02, N=3)  # channel 'objective': a bare dataset
    job = Train(dataset=data(), model=model(), algorithm=SGD(
        learning_rate=0.2, batch_size=20, monitoring_dataset=data(seed=1),
        termination_criterion=criterion))
    job.main_loop()
    record = job.model.monitor.channels["objective"].val_record
    assert job.model.monitor.get_epochs_seen() == replay_monitor_based(record, 0.02, 3)
    assert job.stop_reason == criterion.reason and "did not improve by 0.02" in job.stop_reason


def test_epoch_counter_and_channel_target_in_a_run():
    job = Train(dataset=data(), model=model(), algorithm=SGD(
        learning_rate=0.1, batch_size=20, termination_criterion=EpochCounter(max_epochs=3)))
    job.main_loop()
    assert job.model.monitor.get_epochs_seen() == 3 and "max_epochs=3" in job.stop_reason
    target = ChannelTarget("valid_objective", target=0.55)
    job = Train(dataset=data(), model=model(), algorithm=SGD(
        learning_rate=0.2, batch_size=20, monitoring_dataset={"valid": data(seed=1)},
        termination_criterion=And([target, EpochCounter(200)])))
    job.main_loop()
    record = job.model.monitor.channels["valid_objective"].val_record
    first_below = next(i for i, v in enumerate(record) if v <= 0.55)
    assert job.model.monitor.get_epochs_seen() == first_below < 200


def feed(criteria, values, monitor=None):
    """Decisions of ``criteria`` on a channel 'v' taking ``values``, one per epoch."""
    holder = type("Model", (), {})()
    holder.monitor = monitor or Monitor(holder)
    holder.previous = Monitor(holder)
    holder.previous._channel("w").val_record.append(0.25)
    out = []
    for value in values:
        holder.monitor._channel("v").val_record.append(value)
        holder.monitor.report_epoch()
        out.append([c.continue_learning(holder) for c in criteria])
    return out, holder.monitor


def test_criteria_state_round_trips_through_json_mid_run():
    def build():
        return [MonitorBased(prop_decrease=0.1, N=2, channel_name="v"),
                EpochCounter(6, new_epochs=False),
                MatchChannel("v", prev_channel_name="w", prev_monitor_name="previous"),
                And([MonitorBased(prop_decrease=0.0, N=3, channel_name="v"), ChannelInf("v")]),
                Or([ChannelTarget("v", 0.6), EpochCounter(7, new_epochs=False)])]

    values = [1.0, 0.8, 0.75, 0.74, 0.5, 0.3, 0.2, 0.1]
    straight, _ = feed(build(), values)
    criteria = build()
    first, monitor = feed(criteria, values[:4])
    saved = json.loads(json.dumps([c.state_dict() for c in criteria]))
    restored = build()
    for c, s in zip(restored, saved):
        c.load_state_dict(s)
    second, _ = feed(restored, values[4:], monitor=monitor)
    assert first + second == straight
    # spot-check the reference behaviour of each criterion on this sequence
    assert [row[0] for row in straight][:4] == [True, True, True, False]
    assert [row[1] for row in straight] == [True] * 5 + [False] * 3
    assert [row[2] for row in straight] == [True] * 6 + [False] * 2  # 0.2 <= 0.25
    assert [row[4] for row in straight] == [True] * 6 + [False] * 2  # v <= .6 and 7 epochs


def test_channel_inf_catches_nan_and_inf():
    decisions, _ = feed([ChannelInf("v")], [1.0, float("nan")])
    assert decisions == [[True], [False]]
    decisions, _ = feed([ChannelInf("v")], [1.0, -float("inf")])
    assert decisions == [[True], [False]]


def test_match_channel_reads_the_pushed_monitor_once():
    crit = MatchChannel("v", prev_channel_name="w", prev_monitor_name="previous")
    decisions, _ = feed([crit], [0.5, 0.3, 0.25])
    assert decisions == [[True], [True], [False]] and crit.target == pytest.approx(0.25)
    assert "matched" in crit.reason
