"""Monitor prerequisites used by tests (module-level so they can be named from YAML)."""

from __future__ import annotations

from typing import Any


class ReadVerifyPrereq:
    """Checks that monitoring dataset ``counter_idx`` arrives with batch size
    ``counter_idx + 1`` and first value ``counter_idx``, and counts the calls in
    ``counter`` (a one-element list or a tensor)."""

    def __init__(self, counter_idx: int, counter: Any) -> None:
        self.counter_idx = int(counter_idx)
        self.counter = counter

    def __call__(self, X: Any, y: Any = None) -> None:
        if X.shape[0] != self.counter_idx + 1:
            raise AssertionError(f"dataset {self.counter_idx}: batch of {X.shape[0]} examples, "
                                 f"expected {self.counter_idx + 1}")
        if float(X[0, 0]) != self.counter_idx:
            raise AssertionError(f"dataset {self.counter_idx}: first value {float(X[0, 0])}")
        self.counter[0] += 1
