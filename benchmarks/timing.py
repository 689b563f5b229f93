"""Shared timing helper for the benchmarks: alternate the runs so machine noise hits all."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


class Timings(dict[str, float]):
    """Median seconds by run name, with every round's times kept in ``rounds``."""

    def __init__(self, rounds: dict[str, list[float]]) -> None:
        super().__init__({name: statistics.median(values) for name, values in rounds.items()})
        self.rounds = rounds

    def paired_ratio(self, name: str, reference: str) -> float:
        """Median over rounds of ``name``'s time over ``reference``'s in the same round:
        the two ran back to back, so a slow spell of the machine mostly cancels out (the
        ratio of the two medians does not pair them)."""
        return statistics.median(a / b for a, b in zip(self.rounds[name], self.rounds[reference]))


def alternate(runs: dict[str, Callable[[], object]], repeats: int,
              warmup: int = 1) -> Timings:
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
    return Timings(times)
