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
from pylearn2.train_checks import (
    check_objective_channels,
    output_paths,
    prepare_run_outputs,
    saved_files_note,
    yaml_output_problems,
)
from pylearn2.train_extensions.base import (
    ExtensionHooks,
    StopReason,
    key_mismatch,
    keyed_states,
    load_keyed_states,
    stateful_keys,
)
from pylearn2.train_extensions.progress import CSVLogWriter, ProgressDisplay
from pylearn2.training_algorithms.training_algorithm import SelfTraining, TrainingAlgorithm
from pylearn2.utils import distributed, serial
from pylearn2.utils.exc import ConfigError, DivergenceError
from pylearn2.utils.init_args import InitArgsMixin
from pylearn2.utils.progress import startup_status
from pylearn2.utils.protocols import DatasetLike, ModelLike
from pylearn2.utils.run_lock import OutputLocks, remove_stale_temp_files

log = logging.getLogger(__name__)


class Train(InitArgsMixin):
    """An experiment: a dataset, a model, how to train it, and where to save it.

    Parameters
    ----------
    dataset : Dataset
        The training data (the algorithm draws its batches from it).
    model : Model
        What is trained; its monitor records every channel.
    algorithm : TrainingAlgorithm, optional
        SGD, BGD, ...; None: the model trains itself (``train_all``/``continue_learning``).
    save_path : str, optional
        Where the model file goes (default: from the experiment file's name when
        ``save_freq`` > 0).
    save_freq : int
        Save every that many epochs and once more at the end; 0 never saves.
    extensions : list of TrainExtension
        Hooks run at fixed points of the loop (see pylearn2.train_extensions.base).
    allow_overwrite : bool
        False refuses to replace an existing file at the first save.
    checkpoint : bool
        Write ``<save_path>.ckpt`` at every save (algorithm, extension and RNG state), so
        ``main_loop(resume=True)`` continues exactly where the last save left off.
    csv_log : bool
        Write every monitor call as a row of ``<save_path stem>.csv``.
    resume_mismatch : str
        ``'error'`` (default): resuming from a checkpoint whose extensions or update
        callbacks differ from this run's is refused, naming the keys; ``'continue'``:
        restore what matches and warn about the rest.
    """

    def __init__(
        self,
        dataset: DatasetLike,
        model: ModelLike,
        algorithm: TrainingAlgorithm | None = None,
        save_path: str | None = None,
        save_freq: int = 0,
        extensions: Sequence[Any] | None = None,
        allow_overwrite: bool = True,
        checkpoint: bool = True,
        csv_log: bool = True,
        resume_mismatch: str = "error",
    ) -> None:
        if resume_mismatch not in ("error", "continue"):
            raise ConfigError(f"Train resume_mismatch must be 'error' or 'continue', got "
                              f"{resume_mismatch!r}.")
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
        self.resume_mismatch = resume_mismatch
        self.first_save = True
        self.resumed = False
        self._checkpoint_epoch: int | None = None
        self.stop_reason: StopReason | None = None
        self._hooks = ExtensionHooks()
        self._epoch_started: float | None = None
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
        self.stop_reason = self.stop_reason or StopReason(reason, "request")

    # -- the loop ----------------------------------------------------------------------
    def main_loop(self, time_budget: float | None = None, resume: bool = False) -> None:
        """Train until something says stop.

        Hook order: ``algorithm.setup`` -> ``ext.setup`` -> ``model.enforce_constraints``
        -> (``resume``: restore the checkpoint, else monitor -> ``ext.on_monitor`` for
        epoch 0). Each epoch: ``ext.on_epoch_begin`` -> ``algorithm.train`` (or the model's
        ``train_all``), which calls ``ext.on_batch_end`` after every update ->
        ``monitor.report_epoch`` -> ``ext.on_epoch_end`` -> monitor -> ``ext.on_monitor``
        -> every ``save_freq`` epochs ``ext.on_save`` + save -> stop checks (stop request,
        ``algorithm.continue_learning``, time budget). At the end: final ``ext.on_save`` +
        save (when ``save_freq`` > 0). If anything raises: ``ext.on_error(error=...)``, and
        the error is re-raised. Always, last: ``ext.on_train_end(stop_reason=...)``.
        The progress display and the CSV log are extensions too, run after the user's.
        """
        t0 = time.time()
        self._resume_requested = resume
        self._hooks = ExtensionHooks(self._all_extensions(), model=self.model,
                                     dataset=self.dataset, algorithm=self.algorithm,
                                     train=self, trainer=self)
        try:
            self.setup()
            self.resumed = bool(resume and self._restore_checkpoint())
            if not self.resumed:
                self.run_callbacks_and_monitoring()
            while self._should_continue(t0, time_budget):
                self._train_epoch()
            log.info("Stopped: %s", self.stop_reason)
            self.monitor.training_succeeded = bool(self.stop_reason and self.stop_reason.succeeded)
            if self.save_freq > 0:
                self.save()
        except BaseException as error:
            self._note_saved_files(error)
            self.stop_reason = StopReason(f"{type(error).__name__}: {error}", "error")
            self._hooks("on_error", error=error)
            raise
        finally:
            self._end_run()

    def _end_run(self) -> None:
        """Last, however the run ends: ``on_train_end``, then drop the output lock."""
        try:
            self._hooks("on_train_end", stop_reason=self.stop_reason)
        finally:
            self.release_outputs()

    def _note_saved_files(self, error: BaseException) -> None:
        """A DivergenceError's message gets what is on disk now (model, best, checkpoint)."""
        if isinstance(error, DivergenceError):
            error.args = (f"{error} {saved_files_note(self)}",)

    def _all_extensions(self) -> list[Any]:
        """The user's extensions, then the progress display and (with a save path) the CSV
        log, which must come last so channels extensions record land on its rows."""
        builtin: list[Any] = [ProgressDisplay()]
        path = self.save_path if self.save_path is not None else self._default_save_path()
        if self.csv_log and path:
            builtin.append(CSVLogWriter(os.path.splitext(path)[0] + ".csv"))
        return [*self.extensions, *builtin]

    def _train_epoch(self) -> None:
        self._hooks("on_epoch_begin")
        start = self._epoch_started = time.time()
        self.algorithm.train(dataset=self.dataset)
        self.training_seconds = time.time() - start
        self.monitor.report_epoch()
        self._hooks("on_epoch_end", epoch=self.monitor.get_epochs_seen())
        self.run_callbacks_and_monitoring()
        self.total_seconds = time.time() - start
        if self.save_freq > 0 and self.monitor.get_epochs_seen() % self.save_freq == 0:
            self.save()

    def _should_continue(self, t0: float, time_budget: float | None) -> bool:
        if self.stop_reason is None and not self.algorithm.continue_learning(self.model):
            self.stop_reason = StopReason(self.algorithm.stop_reason(), "criterion")
        if self.stop_reason is None and time_budget is not None \
                and time.time() - t0 >= time_budget:
            self.stop_reason = StopReason(f"time budget of {time_budget:g} s exceeded",
                                          "time_budget")
        return self.stop_reason is None

    def setup(self, dry_run: bool = False) -> None:
        """Set up the monitor, the algorithm (with the extensions attached) and the
        extensions, then apply the model's constraints once. First (not in a dry run):
        refuse ``allow_overwrite`` clashes and keep an earlier run's outputs under numbered
        names (pylearn2.train_checks.prepare_run_outputs)."""
        if self.save_path is None:  # resolved here: PYLEARN2_TRAIN_PHASE is set per phase
            self.save_path = self._default_save_path()
        if not dry_run:
            self.lock_outputs()
            prepare_run_outputs(self, resume=getattr(self, "_resume_requested", False))
        self.monitor = Monitor.get_monitor(self.model)
        self.monitor.start_clock()
        self.training_seconds = 0.0
        self.total_seconds = 0.0
        self.algorithm.attach_extensions(self._hooks)
        with startup_status("setting up the algorithm and monitor (data, preprocessing)"):
            self.algorithm.setup(model=self.model, dataset=self.dataset)
        self._epoch_started = None
        self.monitor.add_global_channels(lambda: {
            "training_seconds_this_epoch": self.training_seconds,
            # read at the end of this monitor pass, so the row of epoch k holds epoch k's
            # training plus monitoring time (not the epoch before's)
            "total_seconds_last_epoch": (time.time() - self._epoch_started
                                         if self._epoch_started is not None else 0.0),
        })
        self._hooks("setup")
        with torch.no_grad():
            self.model.enforce_constraints()

    def lock_outputs(self) -> None:
        """Take the advisory lock ``<path>.lock`` on every output (model, checkpoint, CSV,
        the extensions' ``output_paths()``): a second run that would write any of them
        refuses, naming the path and its holder. Then remove temporary files killed runs
        left. Rank 0 only: the other processes of a torchrun job write nothing. Called by
        setup (not in a dry run); a tool that moves or writes outputs before main_loop
        calls it first (idempotent; main_loop releases the locks when it ends)."""
        problems = yaml_output_problems(self)  # before any file (a lock file too) is made
        if problems:
            raise ConfigError(problems[0])
        lock = getattr(self, "_run_lock", None)
        if not distributed.is_main() or (lock and lock.held):
            return
        paths = output_paths(self)
        self._run_lock = OutputLocks(paths)
        self._run_lock.acquire()
        remove_stale_temp_files(paths)

    def release_outputs(self) -> None:
        """Drop the output lock (main_loop does this at the end, however it ends)."""
        lock = getattr(self, "_run_lock", None)
        if lock is not None:
            lock.release()

    def run_callbacks_and_monitoring(self) -> None:
        """One monitor call, its objective channels checked for NaN/Inf, then ``on_monitor``."""
        self.monitor()
        check_objective_channels(self.monitor)
        self._hooks("on_monitor")

    # -- saving and resuming -------------------------------------------------------------
    def save(self) -> None:
        """Run the extensions' on_save hooks, then write the model (and checkpoint)."""
        self._hooks("on_save")
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
        """Everything besides the model needed to continue exactly: algorithm, extensions
        (keyed by name, see pylearn2.train_extensions.base.state_keys), RNG."""
        state = {
            "algorithm": self.algorithm.state_dict(),
            "extensions": keyed_states(self.extensions),
            "torch_rng": torch.get_rng_state(),
            "first_save": self.first_save,
        }
        if torch.cuda.is_available():
            state["cuda_rng"] = [s for s in torch.cuda.get_rng_state_all()]
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`'s output (keys are checked by the resume itself)."""
        self.algorithm.load_state_dict(state["algorithm"])
        load_keyed_states(self.extensions, state.get("extensions", {}), "extensions")
        torch.set_rng_state(state["torch_rng"])
        if "cuda_rng" in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        self.first_save = bool(state.get("first_save", False))

    def _check_keys(self, state: dict[str, Any]) -> None:
        """Refuse (or, with resume_mismatch='continue', warn about) a checkpoint whose
        extensions or update callbacks are not this run's."""
        problems = []
        saved = state.get("extensions", {})
        if isinstance(saved, dict):
            problems.append(key_mismatch(saved, stateful_keys(self.extensions), "extensions"))
        saved_cbs = state.get("algorithm", {}).get("update_callbacks")
        live_cbs = getattr(self.algorithm, "update_callbacks", None)
        if isinstance(saved_cbs, dict) and live_cbs is not None:
            problems.append(key_mismatch(saved_cbs, stateful_keys(live_cbs), "update_callbacks"))
        found = [p for p in problems if p is not None]
        if not found:
            return
        message = f"{self.checkpoint_path}: {'; '.join(found)}."
        if self.resume_mismatch == "continue":
            log.warning("%s Continuing with the parts that match (resume_mismatch='continue').",
                        message)
            return
        raise ConfigError(f"{message} Resume with the experiment file that wrote the checkpoint, "
                          "or set resume_mismatch: continue on Train (--resume-mismatch continue "
                          "on the command line) to restore only the parts that match.")

    def _restore_checkpoint(self) -> bool:
        path = self.checkpoint_path
        if path is None or not os.path.exists(path):
            log.info("No checkpoint to resume from%s; starting fresh.", f" at {path}" if path else "")
            return False
        saved_model, state = serial.load_checkpoint(path)
        self._check_keys(state)  # before anything is changed
        with torch.no_grad():
            self.model.load_state_dict(saved_model.state_dict())
        self.monitor.load_state_dict(saved_model.monitor.state_dict())
        self.monitor.start_clock()
        self.load_state_dict(state)
        log.info("Resumed from %s after epoch %d.", path, self.monitor.get_epochs_seen())
        return True
