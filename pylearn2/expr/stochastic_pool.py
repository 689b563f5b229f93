"""Stochastic max-pooling and its test-time weighting (Zeiler and Fergus, ICLR 2013).

Inputs are ('b', 'c', 0, 1) batches of non-negative activations. Pools of
``pool_shape`` placed every ``pool_stride`` cover the whole image: the image is padded
with zeros at the bottom/right so the last pool fits (the classic layout), giving
``ceil((size - pool) / stride) + 1`` pooled rows/columns.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from pylearn2.utils.exc import ConfigError

DEFAULT_SEED = 2022


def _windows(bc01: torch.Tensor, pool_shape: Sequence[int], pool_stride: Sequence[int],
             image_shape: Sequence[int] | None) -> torch.Tensor:
    """(b, c, out_r, out_c, pr * pc) pool windows of the zero-padded batch."""
    if bc01.ndim != 4:
        raise ConfigError(f"stochastic pooling expects a (b, c, rows, cols) batch, got shape "
                          f"{tuple(bc01.shape)}.")
    r, c = bc01.shape[2:] if image_shape is None else image_shape
    if (r, c) != tuple(bc01.shape[2:]):
        raise ConfigError(f"image_shape {tuple(image_shape)} does not match the batch's "
                          f"{tuple(bc01.shape[2:])}.")
    (pr, pc), (rs, cs) = pool_shape, pool_stride
    if pr > r or pc > c:
        raise ConfigError(f"pool_shape {tuple(pool_shape)} is larger than the image ({r}, {c}).")
    need_r = math.ceil((r - pr) / rs) * rs + pr
    need_c = math.ceil((c - pc) / cs) * cs + pc
    padded = F.pad(bc01, (0, need_c - c, 0, need_r - r))
    win = padded.unfold(2, pr, rs).unfold(3, pc, cs)
    return win.reshape(*win.shape[:4], pr * pc)


def _probabilities(win: torch.Tensor) -> torch.Tensor:
    norm = win.sum(dim=-1, keepdim=True)
    return win / torch.where(norm == 0, torch.ones_like(norm), norm)


def stochastic_max_pool_bc01(bc01: torch.Tensor, pool_shape: Sequence[int],
                             pool_stride: Sequence[int], image_shape: Sequence[int] | None = None,
                             rng: torch.Generator | int | None = None) -> torch.Tensor:
    """Training-time pooling: in each pool pick one activation with probability
    proportional to its value (the first one, 0, for an all-zero pool)."""
    win = _windows(bc01, pool_shape, pool_stride, image_shape)
    if not isinstance(rng, torch.Generator):
        seed = DEFAULT_SEED if rng is None else int(rng)
        rng = torch.Generator(device=bc01.device).manual_seed(seed)
    probs = _probabilities(win).reshape(-1, win.shape[-1]).to(torch.float64)
    empty = probs.sum(dim=1) == 0
    probs[empty, 0] = 1.0
    picks = torch.multinomial(probs, 1, generator=rng).reshape(*win.shape[:4], 1)
    return win.gather(-1, picks).squeeze(-1)


def weighted_max_pool_bc01(bc01: torch.Tensor, pool_shape: Sequence[int],
                           pool_stride: Sequence[int], image_shape: Sequence[int] | None = None,
                           rng: object = None) -> torch.Tensor:
    """Test-time pooling: each pool's activations weighted by their probabilities,
    ``sum(a^2) / sum(a)`` (0 for an all-zero pool). ``rng`` is unused."""
    win = _windows(bc01, pool_shape, pool_stride, image_shape)
    return (win * _probabilities(win)).sum(dim=-1)
