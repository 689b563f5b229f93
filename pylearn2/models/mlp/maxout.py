"""Maxout units (Goodfellow et al., 2013): the max over groups of linear pieces."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from pylearn2.models.mlp.dense import Linear
from pylearn2.utils.exc import ConfigError


class Maxout(Linear):
    """Maxout units: the max over pools of ``num_pieces`` affine pieces.

    The detector layer has ``num_units * num_pieces`` affine pieces. Pools start every
    ``pool_stride`` pieces (default ``num_pieces``: contiguous, non-overlapping pools, so
    there are ``num_units`` outputs); with another stride there are
    ``(num_units * num_pieces - num_pieces) // pool_stride + 1`` outputs, as in the
    original Pylearn2. ``randomize_pools`` feeds each detector slot from a randomly
    chosen piece (a fixed random 0/1 matrix drawn once from the MLP's rng).
    ``min_zero`` adds a constant zero piece. ``max_col_norm`` constrains each piece's
    incoming weights.
    """

    def __init__(self, layer_name: str, num_units: int, num_pieces: int,
                 pool_stride: int | None = None, randomize_pools: bool = False,
                 irange: float | None = None, sparse_init: int | None = None,
                 sparse_stdev: float = 1.0, include_prob: float = 1.0, init_bias: float = 0.0,
                 W_lr_scale: float | None = None, b_lr_scale: float | None = None,
                 max_col_norm: float | None = None, max_row_norm: float | None = None,
                 mask_weights: Any = None, min_zero: bool = False, istdev: float | None = None,
                 extensions: list[Any] | None = None) -> None:
        super().__init__(dim=num_units * num_pieces, layer_name=layer_name, irange=irange,
                         extensions=extensions,
                         istdev=istdev, sparse_init=sparse_init, sparse_stdev=sparse_stdev,
                         include_prob=include_prob, init_bias=init_bias, W_lr_scale=W_lr_scale,
                         b_lr_scale=b_lr_scale, mask_weights=mask_weights,
                         max_row_norm=max_row_norm, max_col_norm=max_col_norm)
        self.num_units, self.num_pieces = int(num_units), int(num_pieces)
        self.pool_stride = pool_stride
        stride = self.num_pieces if pool_stride is None else int(pool_stride)
        detector = self.num_units * self.num_pieces
        if stride < 1 or (detector - self.num_pieces) % stride:
            raise ConfigError(
                f"Maxout {layer_name!r}: pool_stride {pool_stride} does not tile the "
                f"{detector} pieces in pools of {self.num_pieces} "
                "(need (num_units*num_pieces - num_pieces) % pool_stride == 0).")
        self._stride = stride
        self.randomize_pools = bool(randomize_pools)
        self.min_zero = min_zero
        from pylearn2.space import VectorSpace

        self.output_space = VectorSpace((detector - self.num_pieces) // stride + 1)

    def set_input_space(self, space) -> None:
        super().set_input_space(space)
        if self.randomize_pools:
            mlp = self.get_mlp()
            rng = mlp.rng if mlp is not None else np.random.default_rng([2013, 1, 4])
            sources = rng.integers(0, self.dim, size=self.dim)
            permute = np.zeros((self.dim, self.dim))
            permute[sources, np.arange(self.dim)] = 1.0
            self.register_buffer("permute", torch.as_tensor(permute, dtype=torch.float32))

    def fprop(self, state_below: torch.Tensor) -> torch.Tensor:
        z = self.affine(state_below)
        if self.randomize_pools:
            z = z @ self.permute
        if self._stride == self.num_pieces:
            out = z.reshape(z.shape[0], -1, self.num_pieces).max(dim=2).values
        else:
            out = z.unfold(1, self.num_pieces, self._stride).max(dim=2).values
        return out.clamp_min(0.0) if self.min_zero else out

    def get_weights(self) -> np.ndarray:
        """W, or W times the pool-randomising matrix with ``randomize_pools``."""
        W = self.W.detach()
        if self.randomize_pools:
            W = W @ self.permute
        return W.cpu().numpy()

    def cost(self, Y: torch.Tensor, Y_hat: torch.Tensor) -> torch.Tensor:
        return (Y - Y_hat).pow(2).sum(1).mean()

    def get_layer_monitoring_channels(self, state_below=None, state=None, targets=None):
        channels = super().get_layer_monitoring_channels(state_below, None, targets)
        if state is not None:
            from pylearn2.models.mlp.statistics import activation_channels

            prefix = "" if self.num_pieces == 1 else "p_"  # the original's names
            for name, value in activation_channels(state, dotted=True).items():
                channels[prefix + name] = value
        return channels
