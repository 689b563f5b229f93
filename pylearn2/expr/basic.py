"""Small mathematical expressions used throughout the library, as torch functions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from pylearn2.blocks import Block
from pylearn2.utils.exc import ConfigError

NORM_EPSILON = 1e-8


def numpy_norms(W: np.ndarray) -> np.ndarray:
    """L2 norm of each column of ``W`` (numpy), with 1e-8 inside the square root."""
    return np.sqrt(NORM_EPSILON + np.square(W).sum(axis=0))


def norms(W: torch.Tensor) -> torch.Tensor:
    """L2 norm of each column of ``W`` (torch, differentiable), 1e-8 inside the root."""
    return torch.sqrt(NORM_EPSILON + W.square().sum(dim=0))


theano_norms = norms  # the classic name for the tensor version


def full_min(var: torch.Tensor) -> torch.Tensor:
    """The smallest element of a tensor of any rank."""
    return var.min()


def full_max(var: torch.Tensor) -> torch.Tensor:
    """The largest element of a tensor of any rank."""
    return var.max()


def multiple_switch(*args: Any) -> torch.Tensor:
    """``multiple_switch(c0, v0, c1, v1, ..., default)``: elementwise the first ``v_i``
    whose condition ``c_i`` holds, else ``default`` (a cascade of ``torch.where``)."""
    if len(args) < 3 or len(args) % 2 == 0:
        raise ConfigError("multiple_switch takes cond, value pairs followed by a default "
                          f"(an odd number >= 3 of arguments), got {len(args)}.")
    if len(args) == 3:
        return torch.where(*(torch.as_tensor(a) for a in args))
    return torch.where(torch.as_tensor(args[0]), torch.as_tensor(args[1]),
                       multiple_switch(*args[2:]))


def symGivens2(a: Any, b: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:  # noqa: N802
    """Stable symmetric Givens rotation: ``(c, s, d)`` with ``[[c, s], [s, -c]] @ [a, b]
    = [d, 0]``, ``d = ||(a, b)||``, computed without overflow in ``sqrt(a^2 + b^2)``
    (the symmetric variant of Golub and van Loan's algorithm 4.9; MATLAB's planerot)."""
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    a, b = torch.broadcast_tensors(a, b)
    one = torch.ones_like(a)
    b_big = b.abs() > a.abs()
    # ratio t of the smaller to the larger magnitude; safe denominators avoid 0/0
    safe_b = torch.where(b == 0, one, b)
    safe_a = torch.where(a == 0, one, a)
    t_ab, t_ba = a / safe_b, b / safe_a
    root_ab, root_ba = torch.sqrt(1 + t_ab ** 2), torch.sqrt(1 + t_ba ** 2)
    c_big_b = t_ab * torch.sign(b) / root_ab
    s_big_b = torch.sign(b) / root_ab
    d_big_b = b / s_big_b
    c_big_a = torch.sign(a) / root_ba
    s_big_a = t_ba * torch.sign(a) / root_ba
    d_big_a = a / c_big_a
    c = multiple_switch(b == 0, torch.where(a == 0, one, torch.sign(a)),
                        a == 0, torch.zeros_like(a), b_big, c_big_b, c_big_a)
    s = multiple_switch(b == 0, torch.zeros_like(a), a == 0, torch.sign(b),
                        b_big, s_big_b, s_big_a)
    d = multiple_switch(b == 0, a.abs(), a == 0, b.abs(), b_big, d_big_b, d_big_a)
    return c, s, d


def inner_product(xs: Sequence[torch.Tensor], ys: Sequence[torch.Tensor] | None = None
                  ) -> torch.Tensor:
    """Inner product of two lists of tensors seen as one long flattened vector each
    (``ys`` defaults to ``xs``: the squared norm)."""
    ys = xs if ys is None else ys
    if len(xs) != len(ys):
        raise ConfigError(f"inner_product: {len(xs)} tensors against {len(ys)}.")
    return sum((x * y).sum() for x, y in zip(xs, ys))


def sqrt_inner_product(xs: Sequence[torch.Tensor], ys: Sequence[torch.Tensor] | None = None
                       ) -> torch.Tensor:
    """Square root of :func:`inner_product` (the norm when ``ys`` is omitted)."""
    return torch.sqrt(torch.as_tensor(inner_product(xs, ys)))


def is_binary(x: Any) -> bool:
    """True when every element is 0 or 1."""
    x = np.asarray(x.detach().cpu() if isinstance(x, torch.Tensor) else x)
    return bool(np.all((x == 0) | (x == 1)))


def log_sum_exp(A: torch.Tensor, axis: int | Sequence[int] | None = None,
                keepdims: bool = False) -> torch.Tensor:
    """``log(sum(exp(A), axis))`` computed stably (all axes when ``axis`` is None)."""
    if axis is None:
        out = torch.logsumexp(A.reshape(-1), dim=0)
        return out.reshape([1] * A.ndim) if keepdims else out
    return torch.logsumexp(A, dim=axis, keepdim=keepdims)


class Identity(Block):
    """A Block that returns its input (a placeholder), checked against ``input_space``."""

    def __init__(self, input_space: Any = None) -> None:
        self.input_space = input_space

    def perform(self, X: torch.Tensor) -> torch.Tensor:
        if self.input_space is not None and hasattr(self.input_space, "validate"):
            self.input_space.validate(X)
        return X

    def inverse(self) -> Identity:
        return Identity(self.input_space)
