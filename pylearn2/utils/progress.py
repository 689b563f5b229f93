"""Progress display helpers (the display itself: pylearn2.train_extensions.progress)."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

_KEY_SUFFIXES = ("objective", "misclass", "nll", "distance")


def progress_enabled() -> bool:
    """Bars only on an interactive terminal, unless PYLEARN2_PROGRESS says otherwise."""
    setting = os.environ.get("PYLEARN2_PROGRESS", "auto").lower()
    if setting in ("0", "off", "false", "no"):
        return False
    if setting in ("1", "on", "true", "yes"):
        return True
    return sys.stderr.isatty() or in_notebook()


def in_notebook() -> bool:
    """Running inside a Jupyter kernel (where tqdm.auto draws a notebook widget)."""
    return "ipykernel" in sys.modules


def last_epoch(criterion: Any) -> int | None:
    """The epoch at which ``criterion`` will stop at the latest, when it can say (an
    EpochCounter, or And/Or combinations of them); None when it depends on the data."""
    name = type(criterion).__name__
    if name == "EpochCounter":
        start = getattr(criterion, "_start", None)
        return criterion.max_epochs + (start or 0)
    members = [last_epoch(c) for c in getattr(criterion, "criteria", [])]
    known = [m for m in members if m is not None]
    if name == "And" and known:  # stops when the first member stops
        return min(known)
    if name == "Or" and members and len(known) == len(members):
        return max(known)
    return None


def format_duration(seconds: float) -> str:
    """'42 s', '3:05' (min:s), '1:02:03' (h:min:s)."""
    seconds = int(round(max(seconds, 0.0)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}:{secs:02d}"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def latest_objective(monitor: Any) -> str | None:
    """'objective 0.1234' from the last monitor call (the bar shows it while training)."""
    if monitor is None:
        return None
    names = sorted(n for n in monitor.channels if n.endswith("objective"))
    train = [n for n in names if n.startswith("train")] or names
    if not train or not monitor.channels[train[0]].val_record:
        return None
    return f"{train[0]} {monitor.channels[train[0]].val_record[-1]:.4g}"


_DATASET_ORDER = ("train", "valid", "test")


def headline_channels(monitor: Any) -> list[str]:
    """Every objective/misclass/nll/distance channel with records, grouped by monitored
    dataset (train, valid, test, then others) and by kind within each."""
    names = [n for n in monitor.channels
             if n.endswith(_KEY_SUFFIXES) and monitor.channels[n].val_record]

    def key(name: str) -> tuple:
        prefix = name.split("_", 1)[0]
        dataset = _DATASET_ORDER.index(prefix) if prefix in _DATASET_ORDER else len(_DATASET_ORDER)
        kind = next(i for i, suffix in enumerate(_KEY_SUFFIXES) if name.endswith(suffix))
        return (dataset, prefix if dataset == len(_DATASET_ORDER) else "", kind, name)

    return sorted(names, key=key)


FALLBACK_CHANNELS = 3  # shown when a run has no headline channel


def summary_channels(monitor: Any) -> list[str]:
    """:func:`headline_channels`; when there is none (an RBM's reconstruction error, say),
    the first :data:`FALLBACK_CHANNELS` channels with records instead, those of a
    monitored dataset first, timings left out (the epoch line shows the time)."""
    names = headline_channels(monitor)
    if names:
        return names
    recorded = [n for n, c in monitor.channels.items() if c.val_record and "seconds" not in n]
    recorded.sort(key=lambda n: getattr(monitor.channels[n], "dataset_name", None) is None)
    return recorded[:FALLBACK_CHANNELS]


def epoch_summary(monitor: Any, seconds: float, total_epochs: int | None = None) -> str:
    """'epoch 3/10: train_objective=0.1234 valid_y_misclass=0.0310 (1.20 s)': every
    headline channel of every monitored dataset, train first, none dropped (or, with no
    headline channel, the first few channels: :func:`summary_channels`)."""
    parts = [f"{n}={monitor.channels[n].val_record[-1]:.4g}" for n in summary_channels(monitor)]
    epoch = monitor.get_epochs_seen()
    of = f"/{total_epochs}" if total_epochs else ""
    return f"epoch {epoch}{of}: {' '.join(parts)} ({seconds:.2f} s)"


def monitor_bar(batches: Iterable[Any], total: int | None, label: str) -> Iterable[Any]:
    """``batches`` wrapped in a transient tqdm bar (auto mode: terminal or notebook) that
    counts the monitor pass's batches of one dataset; ``batches`` itself when no display
    is active. The bar only counts, so it adds no device synchronisation."""
    return task_bar(batches, total, f"monitoring {label}" if label else "monitoring", "batch")


def task_bar(items: Iterable[Any], total: int | None, label: str, unit: str = "it",
             leave: bool = False) -> Iterable[Any]:
    """``items`` wrapped in a tqdm bar (auto mode: terminal or notebook) for long work
    outside training (AIS, preprocessing); ``items`` itself when no display is active."""
    if not progress_enabled():
        return items
    from tqdm.auto import tqdm

    return tqdm(items, total=total, desc=label, unit=unit, leave=leave, dynamic_ncols=True,
                mininterval=0.5)


@contextlib.contextmanager
def startup_status(label: str, after: float = 1.0) -> Iterator[None]:
    """Around long start-up work (loading, preprocessing, moving data to the device): when
    it lasts over ``after`` seconds, a tqdm spinner with the elapsed time (when a display is
    active) and, at the end, one log line 'LABEL took N s'; nothing for quick work."""
    started = time.monotonic()
    done = threading.Event()
    thread = None
    if progress_enabled():
        thread = threading.Thread(target=_spin, args=(label, after, done), daemon=True)
        thread.start()
    try:
        yield
    finally:
        done.set()
        if thread is not None:
            thread.join()
        elapsed = time.monotonic() - started
        if elapsed > after:
            logging.getLogger("pylearn2").info("%s took %s", label, format_duration(elapsed))


def _spin(label: str, after: float, done: threading.Event) -> None:
    if done.wait(after):
        return
    from tqdm.auto import tqdm

    bar = tqdm(desc=label, total=None, leave=False, dynamic_ncols=True,
               bar_format="{desc} {elapsed}")
    while not done.wait(0.25):
        bar.refresh()
    bar.close()
