"""The progress display and the CSV log, as ordinary extensions that Train adds itself."""

from __future__ import annotations

import logging
import time
from typing import Any

from pylearn2.train_extensions.base import TrainExtension
from pylearn2.utils import distributed
from pylearn2.utils.csv_log import CSVLog
from pylearn2.utils.progress import epoch_summary, latest_objective, progress_enabled

log = logging.getLogger(__name__)


class ProgressDisplay(TrainExtension):
    """A batch bar per epoch on an interactive terminal (``PYLEARN2_PROGRESS`` overrides),
    and one summary line per epoch in the log either way."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._started = 0.0

    def on_epoch_begin(self, model: Any = None, algorithm: Any = None, **kwargs: Any) -> None:
        self._started = time.time()
        if not progress_enabled():
            return
        from tqdm import tqdm

        epoch = model.monitor.get_epochs_seen() + 1
        total = getattr(algorithm, "batches_per_epoch", lambda: None)()
        self._bar = tqdm(desc=f"epoch {epoch}", unit="batch", leave=False, dynamic_ncols=True,
                         total=total, postfix=latest_objective(model.monitor))

    def on_batch_end(self, **kwargs: Any) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def on_epoch_end(self, **kwargs: Any) -> None:
        self._close()

    def on_monitor(self, model: Any = None, **kwargs: Any) -> None:
        if self._started:
            log.info(epoch_summary(model.monitor, time.time() - self._started))

    def on_train_end(self, **kwargs: Any) -> None:
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

    def on_monitor(self, model: Any = None, train: Any = None, **kwargs: Any) -> None:
        if not distributed.is_main():
            return
        if self._log is None:
            self._log = CSVLog(self.path)
            self._log.start(resume=bool(getattr(train, "resumed", False)))
        self._log.write(model.monitor)
