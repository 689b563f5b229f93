"""Where a run writes, and how reruns keep the files of earlier runs.

``keep_earlier_outputs(paths)`` renames the files (or folders) an earlier run left at
``paths`` to numbered names that share one number, ``model.pkl`` -> ``model.1.pkl``,
``model_best.pkl`` -> ``model_best.1.pkl``, ``model.csv`` -> ``model.1.csv``, so a rerun
writes the names its YAML gives without destroying anything. ``new_run_dir(base, name)``
makes ``base/<name>-<timestamp>/`` for ``--run-dir``; ``write_run_json`` records versions,
seed and command there.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import sys
import time
from collections.abc import Iterable, Sequence
from typing import Any

from pylearn2.utils.serial.write_guard import check_yaml_write

log = logging.getLogger(__name__)


def numbered(path: str, number: int) -> str:
    """``a/model.pkl`` -> ``a/model.<number>.pkl`` (``a/tb`` -> ``a/tb.<number>``)."""
    stem, ext = os.path.splitext(path.rstrip(os.sep))
    return f"{stem}.{number}{ext}"


def keep_earlier_outputs(paths: Iterable[str | None]) -> dict[str, str]:
    """Move existing outputs aside under one shared free number; returns {old: new}."""
    existing = []
    for path in paths:
        if path and os.path.lexists(path) and path not in existing:
            existing.append(path)
    if not existing:
        return {}
    number = 1
    while any(os.path.lexists(numbered(p, number)) for p in existing):
        number += 1
    moved = {}
    for path in existing:
        target = numbered(path, number)
        os.replace(path, target)
        moved[path] = target
    log.info("Kept the earlier run's outputs: %s.",
             ", ".join(f"{old} -> {new}" for old, new in moved.items()))
    return moved


def clashing(paths: Iterable[str | None]) -> list[str]:
    """The paths that already exist (for ``allow_overwrite: False``)."""
    return [p for p in dict.fromkeys(paths) if p and os.path.lexists(p)]


def new_run_dir(base: str, name: str) -> str:
    """Create and return ``base/<name>-<YYYYmmdd-HHMMSS>[-k]/``."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder = os.path.join(base, f"{name}-{stamp}")
    candidate, k = folder, 1
    while os.path.exists(candidate):
        k += 1
        candidate = f"{folder}-{k}"
    os.makedirs(candidate)
    return candidate


def versions() -> dict[str, str]:
    import numpy
    import torch

    import pylearn2

    return {"pylearn2": pylearn2.__version__, "torch": torch.__version__,
            "numpy": numpy.__version__, "python": platform.python_version()}


def write_run_json(folder: str, seed: int | None, seeds: dict[str, int],
                   command: Sequence[str] | None = None, **extra: Any) -> str:
    """Write ``folder/run.json``: versions, seed (and the seed each part got), command."""
    record = {"versions": versions(), "seed": seed, "seeds": seeds,
              "command": list(sys.argv if command is None else command),
              "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **extra}
    path = os.path.join(folder, "run.json")
    check_yaml_write(path, "write_run_json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=2)
        handle.write("\n")
    return path
