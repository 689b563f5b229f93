"""Maxout units (Goodfellow et al., 2013): the max over groups of linear pieces."""

from __future__ import annotations

from typing import Any

import torch

from pylearn2.models.mlp.dense import Linear
from pylearn2.utils.exc import ConfigError


class Maxout(Linear):
    """``num_units`` outputs, each the max of ``num_pieces`` affine pieces.

    Pieces of unit j are the contiguous columns ``j*num_pieces .. (j+1)*num_pieces-1``
    (``pool_stride`` = ``num_pieces``). ``min_zero`` adds a constant zero piece. The
    weight matrix has ``num_units * num_pieces`` columns; ``max_col_norm`` constrains
    each piece's incoming weights.
    """

    def __init__(self, layer_name: str, num_units: int, num_pieces: int,
                 pool_stride: int | None = None, randomize_pools: bool = False,
                 irange: float | None = None, sparse_init: int | None = None,
                 sparse_stdev: float = 1.0, include_prob: float = 1.0, init_bias: float = 0.0,
                 W_lr_scale: float | None = None, b_lr_scale: float | None = None,
                 max_col_norm: float | None = None, max_row_norm: float | None = None,
                 mask_weights: Any = None, min_zero: bool = False, istdev: float | None = None
                 ) -> None:
        if pool_stride not in (None, num_pieces):
            raise ConfigError(f"Maxout {layer_name!r}: only pool_stride == num_pieces "
                              "(non-overlapping pools) is supported.")
        if randomize_pools:
            raise ConfigError(f"Maxout {layer_name!r}: randomize_pools is not supported.")
        super().__init__(dim=num_units * num_pieces, layer_name=layer_name, irange=irange,
                         istdev=istdev, sparse_init=sparse_init, sparse_stdev=sparse_stdev,
                         include_prob=include_prob, init_bias=init_bias, W_lr_scale=W_lr_scale,
                         b_lr_scale=b_lr_scale, mask_weights=mask_weights,
                         max_row_norm=max_row_norm, max_col_norm=max_col_norm)
        self.num_units, self.num_pieces = int(num_units), int(num_pieces)
        self.pool_stride = pool_stride
        self.min_zero = min_zero
        from pylearn2.space import VectorSpace

        self.output_space = VectorSpace(self.num_units)

    def fprop(self, state_below: torch.Tensor) -> torch.Tensor:
        z = self.affine(state_below).reshape(-1, self.num_units, self.num_pieces)
        out = z.max(dim=2).values
        return out.clamp_min(0.0) if self.min_zero else out

    def cost(self, Y: torch.Tensor, Y_hat: torch.Tensor) -> torch.Tensor:
        return (Y - Y_hat).pow(2).sum(1).mean()

    def get_layer_monitoring_channels(self, state_below=None, state=None, targets=None):
        channels = super().get_layer_monitoring_channels(state_below, None, targets)
        if state is not None:
            from pylearn2.models.mlp.dense import activation_channels

            for name, value in activation_channels(state).items():
                channels[name.replace("_x_", "_x.")] = value
        return channels
