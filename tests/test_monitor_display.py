"""What a run prints about its monitor: the epoch line without headline channels and the
start-up spinner around building the experiment."""

from __future__ import annotations

import argparse
import functools
import logging
import re
import time

from pylearn2.monitor import Monitor
from pylearn2.utils.progress import epoch_summary, startup_status


def _monitor(channels):
    monitor = Monitor()
    for name, dataset in channels:
        channel = monitor._channel(name, dataset)
        channel.val_record.append(0.25)
    return monitor


def test_epoch_line_without_headline_channels_shows_the_first_channels():
    monitor = _monitor([("learning_rate", None), ("momentum", None),
                        ("training_seconds_this_epoch", None),
                        ("train_reconstruction_error", "train"), ("h_col_norms_max", None),
                        ("weight_sparsity", None)])
    line = epoch_summary(monitor, 7.95, total_epochs=20)
    assert line == ("epoch 0/20: train_reconstruction_error=0.25 learning_rate=0.25 "
                    "momentum=0.25 (7.95 s)")


def test_epoch_line_with_headline_channels_shows_only_them():
    monitor = _monitor([("learning_rate", None), ("valid_objective", "valid")])
    assert epoch_summary(monitor, 1.0) == "epoch 0: valid_objective=0.25 (1.00 s)"


def test_epoch_line_of_a_monitor_with_nothing_recorded():
    monitor = _monitor([])
    monitor._channel("train_objective", "train")  # no record yet
    assert epoch_summary(monitor, 0.5) == "epoch 0:  (0.50 s)"


TINY = """
!obj:pylearn2.train.Train {
    dataset: !obj:pylearn2.testing.datasets.random_one_hot_dense_design_matrix {
        rng: !obj:numpy.random.RandomState { seed: 1 }, num_examples: 6, dim: 3,
        num_classes: 2 },
    model: !obj:pylearn2.models.mlp.MLP { nvis: 3, layers: [
        !obj:pylearn2.models.mlp.Softmax { n_classes: 2, layer_name: y, irange: 0.1 }] },
    algorithm: !obj:pylearn2.training_algorithms.sgd.SGD { learning_rate: 0.1, batch_size: 3,
        termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter {
            max_epochs: 1 } },
}
"""


def test_building_the_experiment_gets_the_startup_spinner(tmp_path, monkeypatch, caplog,
                                                          capsys):
    from pylearn2.scripts import _experiment

    config = tmp_path / "tiny.yaml"
    config.write_text(TINY)
    args = argparse.Namespace(config=str(config), overrides=[], set_overrides=[], seed=None,
                              deterministic=False)
    experiment = _experiment.load_experiment(args)
    real_build = _experiment.ov.build

    def slow_build(*a, **k):
        time.sleep(0.3)
        return real_build(*a, **k)

    monkeypatch.setenv("PYLEARN2_PROGRESS", "1")
    monkeypatch.setattr(_experiment.ov, "build", slow_build)
    monkeypatch.setattr(_experiment, "startup_status",
                        functools.partial(startup_status, after=0.05))
    with caplog.at_level(logging.INFO, logger="pylearn2"):
        train, nodes = experiment.build()
    assert type(train).__name__ == "Train" and nodes
    assert "loading the experiment" in capsys.readouterr().err  # the spinner was drawn
    timed = [r.getMessage() for r in caplog.records if "took" in r.getMessage()]
    assert len(timed) == 1 and re.fullmatch(r"loading the experiment took \d+ s", timed[0])
