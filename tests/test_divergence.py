"""Divergence checks (issue 12 item 6): NaN/Inf in parameters and objective channels, the
opt-in norm bound, and a message that names epoch, batches, parameter or channel and the
files that really exist on disk."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
import torch
from helpers import classification_data, regression_data, small_job

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.mlp import MLP, Linear
from pylearn2.termination_criteria import EpochCounter
from pylearn2.train import Train
from pylearn2.train_extensions.base import TrainExtension
from pylearn2.training_algorithms.sgd import SGD
from pylearn2.utils.exc import ConfigError, DivergenceError


def _exploding_job(save_path=None, epochs=3, extensions=()):
    model = MLP(nvis=3, seed=[1, 2, 3], layers=[Linear(dim=2, layer_name="out", irange=0.5)])
    algorithm = SGD(learning_rate=1e6, batch_size=2, termination_criterion=EpochCounter(epochs),
                    monitoring_dataset={"valid": regression_data(n=6, seed=1)})
    return Train(dataset=regression_data(n=40), model=model, algorithm=algorithm,
                 save_path=None if save_path is None else str(save_path),
                 save_freq=1 if save_path is not None else 0, extensions=list(extensions))


def test_huge_learning_rate_names_epoch_batches_and_parameter_and_says_nothing_saved():
    job = _exploding_job()
    with pytest.raises(DivergenceError) as info:
        job.main_loop()
    message = str(info.value)
    assert "in epoch 1 (after 20 batches in all)" in message
    # the layer's own name plus the torch name of the first non-finite parameter
    names = [n for n, p in job.model.named_parameters() if not p.detach().isfinite().all()]
    assert names, "the test's learning rate should have produced NaN/Inf"
    assert f"out.{names[0].split('.')[-1]} ({names[0]})" in message
    assert "Nothing has been saved yet." in message
    assert job.stop_reason.kind == "error"


class _BlowUpAt(TrainExtension):
    """Keeps the learning rate sane for the first epoch, then sets it to 1e6."""

    def on_epoch_begin(self, algorithm=None, model=None, **kwargs):
        if model.monitor.get_epochs_seen() == 1:
            algorithm.learning_rate = 1e6

    def on_monitor(self, model=None, algorithm=None, **kwargs):
        if model.monitor.get_epochs_seen() == 0:
            algorithm.learning_rate = 1e-3


def test_message_lists_the_files_that_exist_after_a_save(tmp_path):
    save = tmp_path / "run.pkl"
    job = _exploding_job(save, extensions=[_BlowUpAt()])
    with pytest.raises(DivergenceError) as info:
        job.main_loop()
    message = str(info.value)
    assert "in epoch 2" in message
    assert os.path.isfile(save) and os.path.isfile(f"{save}.ckpt")
    assert f"intact: {save}, {save}.ckpt (resume from the checkpoint" in message
    # nothing is claimed that is not there: remove the checkpoint and ask again
    os.remove(f"{save}.ckpt")
    from pylearn2.train_checks import saved_files_note

    assert saved_files_note(job) == f"Saved files from before the divergence, intact: {save}."


def test_nan_objective_channel_is_named_with_its_epoch():
    valid = classification_data(n=20, seed=1)
    X = valid.X.copy()
    X[3, 0] = np.nan
    job = small_job()
    job.algorithm.monitoring_dataset = {"valid": DenseDesignMatrix(X=X, y=valid.y, y_labels=4)}
    with pytest.raises(DivergenceError) as info:
        job.main_loop()
    message = str(info.value)
    assert "by epoch 0" in message and "monitor channel valid_objective is nan" in message
    assert "Nothing has been saved yet." in message


def test_norm_bound_is_opt_in_and_names_the_parameter_and_its_norm():
    job = small_job(epochs=1)
    job.main_loop()  # no bound: trains normally
    bounded = small_job(epochs=1)
    bounded.algorithm.max_param_norm = 0.5
    with pytest.raises(DivergenceError) as info:
        bounded.main_loop()
    message = str(info.value)
    found = re.search(r"parameter (\S+) \((\S+)\) has norm (\S+), above max_param_norm=0.5",
                      message)
    assert found, message
    params = dict(bounded.model.named_parameters())
    norm = float(np.linalg.norm(params[found.group(2)].detach().numpy().astype(np.float64)))
    assert norm > 0.5 and found.group(3) == f"{norm:.4g}"
    # the first parameter over the bound, in named_parameters order
    over = [n for n, p in params.items()
            if np.linalg.norm(p.detach().numpy().astype(np.float64)) > 0.5]
    assert found.group(2) == over[0]
    with pytest.raises(ConfigError, match="max_param_norm"):
        SGD(learning_rate=0.1, max_param_norm=-1)


# -- BGD: the same checks -------------------------------------------------------------------
def _bgd_job(save_path=None, epochs=3, **bgd_args):
    from pylearn2.training_algorithms.bgd import BGD

    model = MLP(nvis=3, seed=[1, 2, 3], layers=[Linear(dim=2, layer_name="out", irange=0.5)])
    algorithm = BGD(batch_size=10, updates_per_batch=2, termination_criterion=EpochCounter(epochs),
                    monitoring_dataset={"valid": regression_data(n=6, seed=1)}, **bgd_args)
    return Train(dataset=regression_data(n=40), model=model, algorithm=algorithm,
                 save_path=None if save_path is None else str(save_path),
                 save_freq=1 if save_path is not None else 0)


def test_bgd_names_epoch_batch_and_parameter_when_its_step_overflows():
    job = _bgd_job(scale_step=float("inf"))  # every accepted step becomes infinite
    with pytest.raises(DivergenceError) as info:
        job.main_loop()
    message = str(info.value)
    # the first batch of the first epoch already overflows, and the check names it
    assert "in epoch 1, batch 1 (after 1 batches in all), at the result of its line search" \
        in message, message
    names = [n for n, p in job.model.named_parameters() if not p.detach().isfinite().all()]
    assert names, "an infinite step should have produced Inf"
    assert f"parameter out.{names[0].split('.')[-1]} ({names[0]}) holds NaN or Inf" in message
    assert "Nothing has been saved yet." in message
    assert job.model.monitor.get_batches_seen() == 0  # stopped before the batch was counted


def test_bgd_checks_the_parameters_before_training():
    job = _bgd_job()
    with torch.no_grad():
        dict(job.model.named_parameters())["layers.0.b"][1] = float("nan")
    with pytest.raises(DivergenceError, match=r"diverged before training: parameter "
                                              r"out\.b \(layers\.0\.b\) holds NaN or Inf"):
        job.main_loop()
    assert job.model.monitor.get_batches_seen() == 0


def test_bgd_message_lists_saved_files_and_the_norm_bound_is_opt_in(tmp_path):
    save = tmp_path / "bgd.pkl"
    _bgd_job(epochs=2).main_loop()  # no bound, sane steps: trains to the end

    class Explode(TrainExtension):
        def on_epoch_begin(self, algorithm=None, model=None, **kwargs):
            if model.monitor.get_epochs_seen() == 1:
                algorithm.optimizer.scale_step = float("inf")

    job = _bgd_job(save, epochs=3)
    job.extensions.append(Explode())
    with pytest.raises(DivergenceError) as info:
        job.main_loop()
    message = str(info.value)
    assert "in epoch 2, batch 1 (after 5 batches in all)" in message, message
    assert f"intact: {save}, {save}.ckpt (resume from the checkpoint" in message

    bounded = _bgd_job(epochs=1, max_param_norm=0.3)
    with pytest.raises(DivergenceError) as info:
        bounded.main_loop()
    found = re.search(r"parameter \S+ \((\S+)\) has norm (\S+), above max_param_norm=0.3",
                      str(info.value))
    assert found, str(info.value)
    params = dict(bounded.model.named_parameters())
    norms = {n: float(np.linalg.norm(p.detach().numpy().astype(np.float64)))
             for n, p in params.items()}
    assert found.group(1) == [n for n in params if norms[n] > 0.3][0]
    assert found.group(2) == f"{norms[found.group(1)]:.4g}"
    from pylearn2.training_algorithms.bgd import BGD

    with pytest.raises(ConfigError, match="BGD max_param_norm must be a positive number"):
        BGD(max_param_norm=0)


def test_a_finite_parameter_whose_sum_overflows_passes_and_nan_or_inf_is_named():
    """The check sums each parameter first (finite sum: all finite); a sum that
    overflows float32 goes to the exact per-element test instead of raising."""
    from pylearn2.training_algorithms.divergence import check_parameters

    huge = torch.full((4,), 3e38)
    assert not torch.isfinite(huge.sum())
    check_parameters(None, [("a", torch.ones(3)), ("huge", huge)], "in epoch 1")
    for bad in (float("nan"), float("inf"), -float("inf")):
        values = torch.ones(5)
        values[3] = bad
        with pytest.raises(DivergenceError, match="parameter b holds NaN or Inf"):
            check_parameters(None, [("a", huge), ("b", values)], "in epoch 2")
    with pytest.raises(DivergenceError, match="norm"):
        check_parameters(None, [("a", torch.ones(3)), ("b", huge)], "in epoch 3", max_norm=10.0)
