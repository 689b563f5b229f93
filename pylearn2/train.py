"""Train: the control centre that runs an experiment.

``Train(dataset, model, algorithm, save_path, save_freq, extensions).main_loop()``
trains ``model`` on ``dataset`` one epoch at a time, records monitor channels, runs the
extensions' hooks and saves the model (atomically, keeping a backup while overwriting).
With ``algorithm=None`` the model trains itself through ``train_all``/``continue_learning``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from typing import Any

import torch

from pylearn2.monitor import Monitor
from pylearn2.train_extensions import call_hook
from pylearn2.training_algorithms.training_algorithm import SelfTraining
from pylearn2.utils import distributed, serial
from pylearn2.utils.csv_log import CSVLog
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.init_args import InitArgsMixin
from pylearn2.utils.progress import EpochProgress, epoch_summary

log = logging.getLogger(__name__)


class Train(InitArgsMixin):
    """An experiment: a dataset, a model, how to train it, and where to save it.

    ``save_freq`` > 0 saves every that many epochs and once more at the end.
    ``allow_overwrite=False`` refuses to replace an existing file at the first save.
    ``checkpoint`` (default: on whenever the model is saved) writes ``<save_path>.ckpt``
    with the algorithm, extension and RNG state, so ``main_loop(resume=True)`` continues
    exactly where the last save left off. ``csv_log`` (default on when there is a save
    path) writes every monitor call as a row of ``<save_path stem>.csv``.
    """

    def __init__(
        self,
        dataset: Any,
        model: Any,
        algorithm: Any = None,
        save_path: str | None = None,
        save_freq: int = 0,
        extensions: Sequence[Any] | None = None,
        allow_overwrite: bool = True,
        checkpoint: bool = True,
        csv_log: bool = True,
    ) -> None:
        self.dataset = dataset
        self.model = model
        self.algorithm = algorithm if algorithm is not None else SelfTraining()
        self.save_freq = int(save_freq)
        self.save_path = save_path
        if self.save_path is not None and self.save_freq == 0:
            log.warning("save_path is set but save_freq is 0, so the model is never saved. "
                        "Set save_freq: 1 to save after every epoch.")
        self.extensions = list(extensions or [])
        self.allow_overwrite = allow_overwrite
        self.checkpoint = checkpoint
        self.csv_log = csv_log
        self._csv: CSVLog | None = None
        self.first_save = True
        self._checkpoint_epoch: int | None = None
        self.stop_reason: str | None = None
        yaml_src = getattr(dataset, "yaml_src", None)
        if yaml_src is not None:
            model.dataset_yaml_src = yaml_src
        else:
            log.debug("The dataset has no yaml_src; analysis tools will not be able to rebuild it.")

    def _default_save_path(self) -> str | None:
        stem = os.environ.get("PYLEARN2_TRAIN_FILE_FULL_STEM")
        if self.save_freq <= 0 or not stem:
            return None
        phase = os.environ.get("PYLEARN2_TRAIN_PHASE")
        return f"{stem}.{phase}.pkl" if phase else f"{stem}.pkl"

    @property
    def checkpoint_path(self) -> str | None:
        return f"{self.save_path}.ckpt" if self.save_path and self.checkpoint else None

    def request_stop(self, reason: str) -> None:
        """Ask the loop to stop after the current epoch (extensions call this)."""
        self.stop_reason = self.stop_reason or reason

    # -- the loop ----------------------------------------------------------------------
    def main_loop(self, time_budget: float | None = None, resume: bool = False) -> None:
        """Train until something says stop.

        Hook order: ``algorithm.setup`` -> ``ext.setup`` -> ``model.enforce_constraints``
        -> (``resume``: restore the checkpoint, else monitor -> ``ext.on_monitor`` for
        epoch 0, CSV row). Each epoch: ``ext.on_epoch_begin`` -> ``algorithm.train`` (or the
        model's ``train_all``) -> ``monitor.report_epoch`` -> monitor ->
        ``ext.on_monitor`` -> CSV row -> every ``save_freq`` epochs ``ext.on_save`` + save -> stop
        checks (stop request, ``algorithm.continue_learning``, time budget). At the end:
        final ``ext.on_save`` + save (when ``save_freq`` > 0) and ``ext.on_train_end``.
        """
        t0 = time.time()
        self.setup()
        resumed = resume and self._restore_checkpoint()
        if self._csv is not None:
            self._csv.start(resume=resumed)
        if not resumed:
            self.run_callbacks_and_monitoring()
        while self._should_continue(t0, time_budget):
            self._call_extensions("on_epoch_begin")
            start = time.time()
            with EpochProgress(self.algorithm, self.monitor.get_epochs_seen() + 1, self.monitor):
                self.algorithm.train(dataset=self.dataset)
            self.training_seconds = time.time() - start
            self.monitor.report_epoch()
            self.run_callbacks_and_monitoring()
            self.total_seconds = time.time() - start
            log.info(epoch_summary(self.monitor, self.total_seconds))
            if self.save_freq > 0 and self.monitor.get_epochs_seen() % self.save_freq == 0:
                self.save()
        log.info("Stopped: %s", self.stop_reason)
        self.monitor.training_succeeded = not self.stop_reason.startswith("time budget")
        if self.save_freq > 0:
            self.save()
        self._call_extensions("on_train_end")

    def _should_continue(self, t0: float, time_budget: float | None) -> bool:
        if self.stop_reason is None and not self.algorithm.continue_learning(self.model):
            self.stop_reason = self.algorithm.stop_reason()
        if self.stop_reason is None and time_budget is not None \
                and time.time() - t0 >= time_budget:
            self.stop_reason = f"time budget of {time_budget:g} s exceeded"
        return self.stop_reason is None

    def setup(self) -> None:
        if self.save_path is None:  # resolved here: PYLEARN2_TRAIN_PHASE is set per phase
            self.save_path = self._default_save_path()
        if self.csv_log and self.save_path:
            self._csv = CSVLog(os.path.splitext(self.save_path)[0] + ".csv")
        self.monitor = Monitor.get_monitor(self.model)
        self.monitor.start_clock()
        self.training_seconds = 0.0
        self.total_seconds = 0.0
        self.algorithm.setup(model=self.model, dataset=self.dataset)
        self.monitor.add_global_channels(lambda: {
            "training_seconds_this_epoch": self.training_seconds,
            "total_seconds_last_epoch": self.total_seconds,
        })
        self._call_extensions("setup")
        with torch.no_grad():
            self.model.enforce_constraints()

    def run_callbacks_and_monitoring(self) -> None:
        self.monitor()
        self._call_extensions("on_monitor")
        if self._csv is not None and distributed.is_main():
            self._csv.write(self.monitor)  # after on_monitor: extensions may write channels

    def _call_extensions(self, hook: str) -> None:
        for extension in self.extensions:
            call_hook(extension, hook, model=self.model, dataset=self.dataset,
                      algorithm=self.algorithm, trainer=self)

    # -- saving and resuming -------------------------------------------------------------
    def save(self) -> None:
        """Run the extensions' on_save hooks, then write the model (and checkpoint)."""
        self._call_extensions("on_save")
        if self.save_path is None or not distributed.is_main():
            return
        if self.first_save and not self.allow_overwrite and os.path.exists(self.save_path):
            raise ConfigError(
                f"{self.save_path} exists and allow_overwrite is False; choose another "
                "save_path or set allow_overwrite: True."
            )
        self.first_save = False
        started = time.time()
        serial.save(self.save_path, self.model, on_overwrite="backup")
        epoch = self.monitor.get_epochs_seen()
        # The final save repeats the last in-loop save's epoch: keep that checkpoint, whose
        # state predates the stop checks, so a resumed run re-runs them exactly once.
        if self.checkpoint_path and epoch != self._checkpoint_epoch:
            serial.save_checkpoint(self.checkpoint_path, self.model, self.state_dict())
            self._checkpoint_epoch = epoch
        log.debug("Saved %s in %.2f s", self.save_path, time.time() - started)

    def state_dict(self) -> dict[str, Any]:
        """Everything besides the model needed to continue exactly: algorithm, extensions, RNG."""
        state = {
            "algorithm": self.algorithm.state_dict(),
            "extensions": [ext.state_dict() if hasattr(ext, "state_dict") else None
                           for ext in self.extensions],
            "torch_rng": torch.get_rng_state(),
            "first_save": self.first_save,
        }
        if torch.cuda.is_available():
            state["cuda_rng"] = [s for s in torch.cuda.get_rng_state_all()]
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.algorithm.load_state_dict(state["algorithm"])
        for ext, ext_state in zip(self.extensions, state.get("extensions", [])):
            if ext_state is not None and hasattr(ext, "load_state_dict"):
                ext.load_state_dict(ext_state)
        torch.set_rng_state(state["torch_rng"])
        if "cuda_rng" in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        self.first_save = bool(state.get("first_save", False))

    def _restore_checkpoint(self) -> bool:
        path = self.checkpoint_path
        if path is None or not os.path.exists(path):
            log.info("No checkpoint to resume from%s; starting fresh.", f" at {path}" if path else "")
            return False
        saved_model, state = serial.load_checkpoint(path)
        with torch.no_grad():
            self.model.load_state_dict(saved_model.state_dict())
        self.monitor.load_state_dict(saved_model.monitor.state_dict())
        self.monitor.start_clock()
        self.load_state_dict(state)
        log.info("Resumed from %s after epoch %d.", path, self.monitor.get_epochs_seen())
        return True
