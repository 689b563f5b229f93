"""Local winner-take-all units (Srivastava et al., 2013).

The affine outputs are split into consecutive blocks of ``block_size`` units; in each
block only the largest unit passes its value, the others output 0. When several units
tie for the maximum, the last of them wins.
"""

from __future__ import annotations

from typing import Any

import torch

from pylearn2.models.mlp.dense import Linear
from pylearn2.utils.exc import ConfigError


def lwta(p: torch.Tensor, block_size: int) -> torch.Tensor:
    """Keep the winner of each block of ``block_size`` consecutive units of ``p``."""
    batch, n = p.shape
    if n % block_size:
        raise ConfigError(f"lwta: {n} units are not divisible into blocks of {block_size}.")
    blocks = p.reshape(batch, n // block_size, block_size)
    is_max = blocks >= blocks.max(dim=2, keepdim=True).values
    position = torch.arange(1, block_size + 1, device=p.device)
    last_max = (is_max * position).argmax(dim=2, keepdim=True)
    keep = torch.zeros_like(blocks).scatter_(2, last_max, 1.0)
    return (blocks * keep).reshape(batch, n)


class LWTA(Linear):
    """A Linear layer followed by :func:`lwta` over blocks of ``block_size`` units.

    Parameters
    ----------
    block_size : units per competing block; ``dim`` must be a multiple of it.
    **kwargs : the Linear arguments (dim, layer_name, irange, ...).
    """

    def __init__(self, block_size: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if int(block_size) < 1 or self.dim % int(block_size):
            raise ConfigError(f"LWTA {self.layer_name!r}: dim={self.dim} must be a positive "
                              f"multiple of block_size={block_size}.")
        self.block_size = int(block_size)

    def fprop(self, state_below: torch.Tensor) -> torch.Tensor:
        return lwta(self.affine(state_below), self.block_size)


__all__ = ["LWTA", "lwta"]
