"""Progress display helpers (the display itself: pylearn2.train_extensions.progress)."""

from __future__ import annotations

import os
import sys
from typing import Any

_KEY_SUFFIXES = ("objective", "misclass", "nll", "distance")


def progress_enabled() -> bool:
    """Bars only on an interactive terminal, unless PYLEARN2_PROGRESS says otherwise."""
    setting = os.environ.get("PYLEARN2_PROGRESS", "auto").lower()
    if setting in ("0", "off", "false", "no"):
        return False
    if setting in ("1", "on", "true", "yes"):
        return True
    return sys.stderr.isatty()


def latest_objective(monitor: Any) -> str | None:
    """'objective 0.1234' from the last monitor call (the bar shows it while training)."""
    if monitor is None:
        return None
    names = sorted(n for n in monitor.channels if n.endswith("objective"))
    train = [n for n in names if n.startswith("train")] or names
    if not train or not monitor.channels[train[0]].val_record:
        return None
    return f"{train[0]} {monitor.channels[train[0]].val_record[-1]:.4g}"


def epoch_summary(monitor: Any, seconds: float) -> str:
    """'epoch 3: train_objective=0.1234 valid_y_misclass=0.0310 (1.2 s)'."""
    parts = []
    for name in sorted(monitor.channels):
        if name.endswith(_KEY_SUFFIXES) and monitor.channels[name].val_record:
            parts.append(f"{name}={monitor.channels[name].val_record[-1]:.4g}")
    return f"epoch {monitor.get_epochs_seen()}: {' '.join(parts[:8])} ({seconds:.2f} s)"
