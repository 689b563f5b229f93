"""Sharing one forward pass between the cost and the channel functions of a batch.

The monitor evaluates several functions of the same batch: the cost's value and
channels, the model's channels, each layer's channels given its input and output.
Each of them used to run the network again. Inside :func:`batch_memo` (the monitor opens
one per monitoring batch) a model routes its per-layer computations through
:func:`memoized`, so a layer's output for a given input tensor is computed once and
handed to every later caller; outside it :func:`memoized` just computes. Values are
unchanged, since the same operations produce them once instead of several times.

:func:`param_channels_recorded` tells a layer's channel function that the monitor
records the parameter-only channels itself (once per monitor call, see
``Layer.get_param_monitoring_channels``), so the per-batch channels leave them out.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

import torch

T = TypeVar("T")

_BATCH: ContextVar[dict[tuple[int, str, Any], tuple[Any, Any]] | None] = ContextVar(
    "pylearn2_forward_memo", default=None)
_PARAMS_SEPARATE: ContextVar[bool] = ContextVar("pylearn2_param_channels_separate",
                                                default=False)


class batch_memo:  # noqa: N801  (used like a function: ``with batch_memo():``)
    """Within the block, :func:`memoized` computes each (owner, what, input) once.
    (A plain class: the monitor enters one per batch, so it is kept cheap.)"""

    def __enter__(self) -> None:
        self._token = _BATCH.set({})

    def __exit__(self, *exc: object) -> None:
        _BATCH.reset(self._token)


def memoized(owner: Any, what: str, x: Any, compute: Callable[[Any], T]) -> T:
    """``compute(x)``, or inside :func:`batch_memo` the value an earlier call with the
    same ``owner``, ``what`` and the same input object ``x`` (or, for a tuple, the same
    objects in it) returned."""
    if torch.compiler.is_compiling():  # a compiled training step: no memo, no graph break
        return compute(x)
    memo = _BATCH.get()
    if memo is None:
        return compute(x)
    ids = tuple(map(id, x)) if isinstance(x, tuple) else id(x)
    key = (id(owner), what, ids)
    hit = memo.get(key)
    if hit is not None:  # the inputs are held, so their ids are not reused meanwhile
        return hit[1]
    out = compute(x)
    memo[key] = (x, out)
    return out


@contextlib.contextmanager
def param_channels_separately(active: bool = True) -> Iterator[None]:
    """Within the block, :func:`param_channels_recorded` is ``active``."""
    token = _PARAMS_SEPARATE.set(bool(active))
    try:
        yield
    finally:
        _PARAMS_SEPARATE.reset(token)


def param_channels_recorded() -> bool:
    """True while a monitor records the parameter-only channels once itself."""
    return _PARAMS_SEPARATE.get()


__all__ = ["batch_memo", "memoized", "param_channels_recorded", "param_channels_separately"]
