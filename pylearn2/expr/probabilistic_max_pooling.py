"""Probabilistic max pooling (Lee et al. 2009): binary detector units in groups where at
most one detector is on, and a pool unit that is on exactly when one of them is.

For a group with detector inputs ``z_1..z_k`` and top-down input ``t`` to the pool unit,
``P(h_j = 1) = exp(z_j + t) / (1 + sum_i exp(z_i + t))`` and ``P(p = 1) = sum_j P(h_j)``.
Channel pooling groups consecutive units of a vector (``max_pool_channels``); spatial
pooling groups ``pool_shape`` windows of a ``('b', 0, 1, 'c')`` or ``('c', 0, 1, 'b')``
batch (``max_pool_b01c``, ``max_pool_c01b``). ``max_pool_python`` is a plain numpy
float64 reference.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from pylearn2.utils.exc import ConfigError


def _grouped_softmax_with_off(groups: torch.Tensor) -> torch.Tensor:
    """Softmax over the last axis with an extra all-off option of energy 0 (index 0)."""
    with_off = torch.cat([torch.zeros_like(groups[..., :1]), groups], dim=-1)
    return torch.softmax(with_off, dim=-1)


def _sample_groups(probs: torch.Tensor, gen: torch.Generator | None) -> torch.Tensor:
    flat = probs.reshape(-1, probs.shape[-1])
    choice = torch.multinomial(flat, 1, generator=gen)[:, 0]
    return F.one_hot(choice, probs.shape[-1]).to(probs.dtype).reshape(probs.shape)


def max_pool_channels(z: torch.Tensor, pool_size: int, top_down: torch.Tensor | None = None,
                      theano_rng: torch.Generator | None = None, sample: bool = False):
    """Pool consecutive groups of ``pool_size`` units of a (batch, dim) matrix.

    Returns ``(p, h)`` mean-field expectations, or ``(p, h, p_sample, h_sample)`` when a
    generator is given as ``theano_rng`` (the original's argument name) or ``sample``.
    ``top_down`` is the input to each pool unit, shape (batch, dim / pool_size).
    """
    if z.shape[-1] % pool_size:
        raise ConfigError(f"max_pool_channels: {z.shape[-1]} units do not split into pools "
                          f"of {pool_size}.")
    groups = z.reshape(*z.shape[:-1], -1, pool_size)
    if top_down is not None:
        groups = groups + top_down.unsqueeze(-1)
    probs = _grouped_softmax_with_off(groups)
    h = probs[..., 1:].reshape(z.shape)
    p = probs[..., 1:].sum(-1)
    if theano_rng is None and not sample:
        return p, h
    one_hot = _sample_groups(probs, theano_rng)
    h_sample = one_hot[..., 1:].reshape(z.shape)
    return p, h, one_hot[..., 1:].sum(-1), h_sample


def _spatial_groups(z: torch.Tensor, pool_shape: Sequence[int]) -> torch.Tensor:
    """(b, rows, cols, c) -> (b, rows/pr, cols/pc, c, pr*pc)."""
    b, rows, cols, c = z.shape
    pr, pc = (int(s) for s in pool_shape)
    if rows % pr or cols % pc:
        raise ConfigError(f"probabilistic max pooling: a {rows}x{cols} map does not split "
                          f"into {pr}x{pc} pools.")
    g = z.reshape(b, rows // pr, pr, cols // pc, pc, c)
    return g.permute(0, 1, 3, 5, 2, 4).reshape(b, rows // pr, cols // pc, c, pr * pc)


def _ungroup(groups: torch.Tensor, pool_shape: Sequence[int]) -> torch.Tensor:
    b, r, cc, c, _ = groups.shape
    pr, pc = (int(s) for s in pool_shape)
    g = groups.reshape(b, r, cc, c, pr, pc).permute(0, 1, 4, 2, 5, 3)
    return g.reshape(b, r * pr, cc * pc, c)


def max_pool_b01c(z: torch.Tensor, pool_shape: Sequence[int],
                  top_down: torch.Tensor | None = None,
                  theano_rng: torch.Generator | None = None, sample: bool = False):
    """Spatial probabilistic max pooling of a ``('b', 0, 1, 'c')`` batch; returns
    ``(p, h)`` or, with a generator, ``(p, h, p_sample, h_sample)``."""
    groups = _spatial_groups(z, pool_shape)
    if top_down is not None:
        groups = groups + top_down.unsqueeze(-1)
    probs = _grouped_softmax_with_off(groups)
    h = _ungroup(probs[..., 1:], pool_shape)
    p = probs[..., 1:].sum(-1)
    if theano_rng is None and not sample:
        return p, h
    one_hot = _sample_groups(probs, theano_rng)
    return p, h, one_hot[..., 1:].sum(-1), _ungroup(one_hot[..., 1:], pool_shape)


def max_pool_c01b(z: torch.Tensor, pool_shape: Sequence[int],
                  top_down: torch.Tensor | None = None,
                  theano_rng: torch.Generator | None = None, sample: bool = False):
    """:func:`max_pool_b01c` for a ``('c', 0, 1, 'b')`` batch (results in that layout)."""
    to_b01c = z.permute(3, 1, 2, 0)
    td = None if top_down is None else top_down.permute(3, 1, 2, 0)
    out = max_pool_b01c(to_b01c, pool_shape, td, theano_rng, sample)
    return tuple(t.permute(3, 1, 2, 0) for t in out)


def max_pool(z: torch.Tensor, pool_shape: Sequence[int], top_down: torch.Tensor | None = None,
             theano_rng: torch.Generator | None = None):
    """Spatial pooling of a ``('b', 'c', 0, 1)`` batch (torch's layout)."""
    out = max_pool_b01c(z.permute(0, 2, 3, 1), pool_shape,
                        None if top_down is None else top_down.permute(0, 2, 3, 1), theano_rng)
    return tuple(t.permute(0, 3, 1, 2) for t in out)


def max_pool_python(z: np.ndarray, pool_shape: Sequence[int],
                    top_down: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Float64 numpy reference for a ``('b', 0, 1, 'c')`` batch, one pool at a time."""
    z = np.asarray(z, dtype=np.float64)
    b, rows, cols, c = z.shape
    pr, pc = pool_shape
    p = np.zeros((b, rows // pr, cols // pc, c))
    h = np.zeros_like(z)
    for n in range(b):
        for i in range(rows // pr):
            for j in range(cols // pc):
                for k in range(c):
                    window = z[n, i * pr:(i + 1) * pr, j * pc:(j + 1) * pc, k]
                    t = 0.0 if top_down is None else top_down[n, i, j, k]
                    e = np.exp(window + t)
                    total = 1.0 + e.sum()
                    h[n, i * pr:(i + 1) * pr, j * pc:(j + 1) * pc, k] = e / total
                    p[n, i, j, k] = e.sum() / total
    return p, h


def max_pool_unstable(z: torch.Tensor, pool_shape: Sequence[int]):
    """The textbook formula without the max-subtraction (overflows for large inputs);
    kept for comparison with :func:`max_pool_b01c`."""
    groups = _spatial_groups(z, pool_shape)
    e = torch.exp(groups)
    total = 1 + e.sum(-1, keepdim=True)
    return (e / total).sum(-1), _ungroup(e / total, pool_shape)


__all__ = ["max_pool_channels", "max_pool_b01c", "max_pool_c01b", "max_pool",
           "max_pool_python", "max_pool_unstable"]
