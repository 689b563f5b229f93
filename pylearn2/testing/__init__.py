"""Helpers for tests and small experiments: random datasets, simple costs, skips.

``pylearn2.testing.datasets`` builds the random design matrices that many experiment
and test files use as their dataset; ``skip`` skips a test when an optional
dependency or the data directory is missing; ``cost`` holds costs with known
gradients; ``no_debug_mode`` runs a function with autograd anomaly detection off.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import torch

F = TypeVar("F", bound=Callable[..., Any])


def no_debug_mode(fn: F) -> F:
    """Run ``fn`` with autograd anomaly detection switched off (it is slow, and some
    checks in a test would trip it on purpose), restoring the previous setting after."""

    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        previous = torch.is_anomaly_enabled()
        torch.autograd.set_detect_anomaly(False)
        try:
            return fn(*args, **kwargs)
        finally:
            torch.autograd.set_detect_anomaly(previous)

    return wrapped  # type: ignore[return-value]
