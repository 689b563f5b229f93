"""The monitor's channels as a CSV file, one row per monitor call, written as training goes."""

from __future__ import annotations

import csv
import io
import logging
import math
import os
from typing import Any

from pylearn2.utils.string_order import number_aware_key

log = logging.getLogger(__name__)
COUNTERS = ("epoch", "batches", "examples", "seconds")


class CSVLog:
    """Appends a row after every monitor call; the header is fixed by the first row."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.columns: list[str] | None = None
        self._warned: set[str] = set()

    def start(self, resume: bool, before_epoch: int | None = None) -> None:
        """A fresh run replaces an old log; a resumed one keeps appending to it, after
        cutting it back to the rows of epochs before ``before_epoch`` (the epoch about to
        be written): rows a killed run wrote after its last checkpoint go, as does a row
        cut short, so the log equals that of an uninterrupted run."""
        if resume and os.path.exists(self.path):
            with open(self.path, newline="") as handle:
                rows = list(csv.reader(handle))
            header = rows[0] if rows else None
            self.columns = header[len(COUNTERS):] if header else None
            if header and before_epoch is not None:
                kept = [r for r in rows[1:] if len(r) == len(header) and r[0].isdigit()
                        and int(r[0]) < before_epoch]
                if len(kept) != len(rows) - 1:
                    _rewrite(self.path, [header, *kept])
        elif os.path.exists(self.path):
            os.remove(self.path)

    def write(self, monitor: Any) -> None:
        names = sorted(monitor.channels, key=number_aware_key)
        new_file = self.columns is None
        if new_file:
            self.columns = names
        for extra in set(names) - set(self.columns) - self._warned:
            log.warning("Channel %s appeared after the CSV log started; it is not logged.", extra)
            self._warned.add(extra)
        row = [monitor.get_epochs_seen(), monitor.get_batches_seen(), monitor.get_examples_seen(),
               f"{monitor.seconds_trained():.3f}"]
        for name in self.columns:
            record = monitor.channels[name].val_record if name in monitor.channels else []
            row.append(repr(float(record[-1])) if record else math.nan)
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        with open(self.path, "a", newline="") as handle:
            writer = csv.writer(handle)
            if new_file:
                writer.writerow(list(COUNTERS) + self.columns)
            writer.writerow(row)


def _rewrite(path: str, rows: list[list[str]]) -> None:
    """Replace the log with ``rows``, atomically."""
    from pylearn2.utils.serial.atomic import atomic_write

    def write(handle: Any) -> None:
        text = io.StringIO()
        csv.writer(text).writerows(rows)
        handle.write(text.getvalue().encode())

    atomic_write(path, write, on_overwrite="ignore")
