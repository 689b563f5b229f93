"""Shared timing helper for the benchmarks: alternate the runs so machine noise hits all."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def alternate(runs: dict[str, Callable[[], object]], repeats: int,
              warmup: int = 1) -> dict[str, float]:
    """Median seconds of each callable over ``repeats`` rounds, the order alternating
    every round (after ``warmup`` untimed calls each)."""
    for fn in runs.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    for round_number in range(repeats):
        for name in (names if round_number % 2 == 0 else names[::-1]):
            start = time.perf_counter()
            runs[name]()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}
