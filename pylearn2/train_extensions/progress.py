"""The progress display and the CSV log, as ordinary extensions that Train adds itself."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from pylearn2.train_extensions.base import TrainExtension
from pylearn2.utils import distributed
from pylearn2.utils.csv_log import CSVLog
from pylearn2.utils.progress import (
    epoch_summary,
    format_duration,
    last_epoch,
    latest_objective,
    progress_enabled,
)

log = logging.getLogger(__name__)


class ProgressDisplay(TrainExtension):
    """Progress while training: a batch bar per epoch (``epoch k/N`` when the termination
    criterion knows N, the overall ETA, the last monitored objective), which stays up
    saying "monitoring" during the monitor pass; drawn by tqdm's auto mode, so terminals
    and notebooks alike, when ``PYLEARN2_PROGRESS`` allows (default: terminals and Jupyter).
    One summary line per epoch goes to the log, or to stderr when logging is not set up
    (training from Python or a notebook)."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._started = 0.0
        self._run_started: float | None = None
        self._epochs_this_run = 0
        self._total: int | None = None
        self._sum: Any = None
        self._count = 0
        self._shown = 0.0
        self._last = ""

    def on_epoch_begin(self, model: Any = None, algorithm: Any = None, **kwargs: Any) -> None:
        self._started = time.time()
        if self._run_started is None:
            self._run_started = self._started
        self._total = last_epoch(getattr(algorithm, "termination_criterion", None))
        if not progress_enabled():
            return
        from tqdm.auto import tqdm

        epoch = model.monitor.get_epochs_seen() + 1
        total = getattr(algorithm, "batches_per_epoch", lambda: None)()
        self._bar = tqdm(desc=self._describe(epoch), unit="batch", leave=False,
                         dynamic_ncols=True, total=total)
        self._sum, self._count, self._shown = None, 0, 0.0
        last = latest_objective(model.monitor)
        self._last = f"last monitor: {last}" if last else ""
        if last:
            self._bar.set_postfix_str(self._last, refresh=False)

    def _describe(self, epoch: int) -> str:
        text = f"epoch {epoch}/{self._total}" if self._total else f"epoch {epoch}"
        if self._total and self._epochs_this_run and self._run_started is not None:
            per_epoch = (time.time() - self._run_started) / self._epochs_this_run
            text += f" (ETA {format_duration(per_epoch * (self._total - epoch + 1))})"
        return text

    def on_batch_end(self, batch_size: int = 0, algorithm: Any = None, **kwargs: Any) -> None:
        if self._bar is None:
            return
        self._bar.update(1)
        value = getattr(getattr(algorithm, "cost", None), "last_batch_value", None)
        if value is None:
            return
        # summed on the device; read (one sync) only when the bar is redrawn
        self._sum = value if self._count == 0 else self._sum + value
        self._count += 1
        now = time.time()
        if now - self._shown >= 0.5:
            self._shown = now
            text = f"running objective {float(self._sum) / self._count:.4g}"
            self._bar.set_postfix_str(text + (f", {self._last}" if self._last else ""),
                                      refresh=False)

    def on_epoch_end(self, epoch: int = 0, **kwargs: Any) -> None:
        self._epochs_this_run += 1
        if self._bar is not None:
            self._bar.set_description_str(self._bar.desc + " monitoring")

    def on_monitor(self, model: Any = None, dataset: Any = None, algorithm: Any = None,
                   **kwargs: Any) -> None:
        self._close()
        if self._started:
            line = epoch_summary(model.monitor, time.time() - self._started, self._total)
            if logging.getLogger("pylearn2").hasHandlers():
                log.info(line)
            elif distributed.is_main():
                print(line, file=sys.stderr)

    def on_train_end(self, stop_reason: Any = None, **kwargs: Any) -> None:
        self._close()

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class CSVLogWriter(TrainExtension):
    """Writes every monitor call as a row of ``path`` (see pylearn2.utils.csv_log.CSVLog):
    a fresh run replaces the file, a resumed one appends. Train adds it last, so channels
    that other extensions record in their ``on_monitor`` land on the same row."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._log: CSVLog | None = None

    def on_monitor(self, model: Any = None, dataset: Any = None, algorithm: Any = None,
                   train: Any = None, **kwargs: Any) -> None:
        if not distributed.is_main():
            return
        if self._log is None:
            self._log = CSVLog(self.path)
            self._log.start(resume=bool(getattr(train, "resumed", False)),
                            before_epoch=model.monitor.get_epochs_seen())
        self._log.write(model.monitor)
