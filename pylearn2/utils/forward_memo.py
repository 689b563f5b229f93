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
# a plain flag, not a ContextVar: compiled monitor passes read it (torch.compile guards on
# module globals but cannot trace ContextVar.get)
_params_separate = [False]


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
    if torch.compiler.is_compiling():
        return _traced(owner, what, x, compute)
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


# While torch.compile traces a function under compiled_memo(), the memo is a list scanned
# by identity (traceable; ids and ContextVars are not). Hits are resolved at trace time,
# so the compiled graph holds each layer's computation once.
_compiled_memo: list[list[tuple[Any, str, Any, Any]] | None] = [None]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(p is q for p, q in zip(a, b))
    return a is b


def _traced(owner: Any, what: str, x: Any, compute: Callable[[Any], T]) -> T:
    memo = _compiled_memo[0]
    if memo is None:  # e.g. a compiled training step: plain computation
        return compute(x)
    for held_owner, held_what, held_x, out in memo:
        if held_owner is owner and held_what == what and _same(held_x, x):
            return out
    out = compute(x)
    memo.append((owner, what, x, out))
    return out


class compiled_memo:  # noqa: N801
    """Like :func:`batch_memo`, for a function being compiled with ``torch.compile``:
    enter it inside the compiled function, around the calls that share layer outputs."""

    def __enter__(self) -> None:
        self._before = _compiled_memo[0]
        _compiled_memo[0] = []

    def __exit__(self, *exc: object) -> None:
        _compiled_memo[0] = self._before


@contextlib.contextmanager
def param_channels_separately(active: bool = True) -> Iterator[None]:
    """Within the block, :func:`param_channels_recorded` is ``active``."""
    before = _params_separate[0]
    _params_separate[0] = bool(active)
    try:
        yield
    finally:
        _params_separate[0] = before


def param_channels_recorded() -> bool:
    """True while a monitor records the parameter-only channels once itself."""
    return _params_separate[0]


__all__ = ["batch_memo", "compiled_memo", "memoized", "param_channels_recorded", "param_channels_separately"]
