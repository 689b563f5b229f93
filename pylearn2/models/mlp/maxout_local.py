"""Maxout over locally connected (unshared) filters, in ('c', 0, 1, 'b') layout."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from pylearn2.linear.local_connected import LocalConnected
from pylearn2.models.mlp.extras import BadInputSpaceError, max_pool_c01b
from pylearn2.models.mlp.layer import Layer
from pylearn2.space import Conv2DSpace, Space
from pylearn2.utils.exc import ConfigError

log = logging.getLogger(__name__)
C01B = ("c", 0, 1, "b")


class MaxoutLocalC01B(Layer):
    """Maxout units on locally connected filters: each output position has its own
    ``num_channels * num_pieces`` filters over a ``kernel_shape`` window of the (zero
    padded by ``pad``) input; each channel is the max of its ``num_pieces`` consecutive
    filters, then optional max pooling (``pool_shape``, ``pool_stride``). Output axes
    ('c', 0, 1, 'b').

    ``max_filter_norm`` caps the norm of each filter; ``tied_b`` shares a bias per
    channel instead of one per position; ``min_zero`` adds a zero piece. ``partial_sum``
    and the ``fix_*`` arguments only tuned the classic GPU kernels: accepted, no effect.
    """

    def __init__(self, num_channels: int, num_pieces: int, kernel_shape: Sequence[int],
                 layer_name: str, pool_shape: Sequence[int] | None = None,
                 pool_stride: Sequence[int] | None = None, irange: float | None = None,
                 init_bias: float = 0.0, W_lr_scale: float | None = None,
                 b_lr_scale: float | None = None, pad: int = 0, fix_pool_shape: bool = False,
                 fix_pool_stride: bool = False, fix_kernel_shape: bool = False,
                 partial_sum: int = 1, tied_b: bool = False, max_filter_norm: float | None = None,
                 input_normalization: Any = None, detector_normalization: Any = None,
                 min_zero: bool = False, output_normalization: Any = None,
                 kernel_stride: Sequence[int] = (1, 1)) -> None:
        super().__init__()
        if irange is None:
            raise ConfigError(f"MaxoutLocalC01B {layer_name!r}: give irange.")
        if (pool_shape is None) != (pool_stride is None):
            raise ConfigError(f"MaxoutLocalC01B {layer_name!r}: give both pool_shape and "
                              "pool_stride, or neither.")
        if any(f is not None for f in (input_normalization, detector_normalization,
                                       output_normalization)):
            raise ConfigError(f"MaxoutLocalC01B {layer_name!r}: the normalization arguments "
                              "are not supported by this layer; leave them out.")
        if partial_sum != 1 or fix_pool_shape or fix_pool_stride or fix_kernel_shape:
            log.info("MaxoutLocalC01B %s: partial_sum / fix_* only tuned the classic GPU "
                     "kernels; they have no effect here.", layer_name)
        self.num_channels, self.num_pieces = int(num_channels), int(num_pieces)
        self.kernel_shape, self.layer_name = tuple(kernel_shape), layer_name
        self.pool_shape, self.pool_stride = pool_shape, pool_stride
        self.irange, self.init_bias, self.pad = float(irange), float(init_bias), int(pad)
        self.W_lr_scale, self.b_lr_scale = W_lr_scale, b_lr_scale
        self.tied_b, self.max_filter_norm, self.min_zero = bool(tied_b), max_filter_norm, min_zero
        self.kernel_stride = tuple(kernel_stride)

    def set_input_space(self, space: Space) -> None:
        if not isinstance(space, Conv2DSpace):
            raise BadInputSpaceError(f"MaxoutLocalC01B {self.layer_name!r} needs a Conv2DSpace "
                                     f"input, got {space}.")
        self.input_space = space
        rows, cols = (s + 2 * self.pad for s in space.shape)
        padded = Conv2DSpace((rows, cols), space.num_channels, axes=("b", "c", 0, 1))
        out_rows = (rows - self.kernel_shape[0]) // self.kernel_stride[0] + 1
        out_cols = (cols - self.kernel_shape[1]) // self.kernel_stride[1] + 1
        if out_rows < 1 or out_cols < 1:
            raise ConfigError(f"MaxoutLocalC01B {self.layer_name!r}: kernel {self.kernel_shape} "
                              f"is larger than the padded input {(rows, cols)}.")
        mlp = self.get_mlp()
        rng = mlp.rng if mlp is not None else np.random.default_rng([2013, 1, 4])
        n_out = self.num_channels * self.num_pieces
        filters = rng.uniform(-self.irange, self.irange,
                              (out_rows, out_cols, n_out, space.num_channels) + self.kernel_shape)
        self.transformer = LocalConnected(filters, padded, output_axes=("b", "c", 0, 1),
                                          kernel_stride=self.kernel_stride)
        bias_shape = (n_out,) if self.tied_b else (n_out, out_rows, out_cols)
        self.b = torch.nn.Parameter(torch.full(bias_shape, self.init_bias))
        self.detector_shape = (out_rows, out_cols)
        shape = self.detector_shape
        if self.pool_shape is not None:
            shape = tuple(int(np.ceil((d - p) / s)) + 1 for d, p, s in
                          zip(shape, self.pool_shape, self.pool_stride))
        self.output_space = Conv2DSpace(shape, self.num_channels, axes=C01B)

    @property
    def W(self) -> torch.nn.Parameter:  # noqa: N802
        return self.transformer.filters

    def fprop(self, state_below: torch.Tensor) -> torch.Tensor:
        bc01 = Conv2DSpace.convert(state_below, self.input_space.axes, ("b", "c", 0, 1))
        if self.pad:
            bc01 = F.pad(bc01, (self.pad,) * 4)
        z = self.transformer.lmul(bc01)  # b, pieces*channels, r, c
        z = z + (self.b[None, :, None, None] if self.tied_b else self.b[None])
        z = z.reshape(z.shape[0], self.num_channels, self.num_pieces, *z.shape[2:])
        h = z.max(dim=2).values
        if self.min_zero:
            h = h.clamp_min(0.0)
        c01b = h.permute(1, 2, 3, 0)
        if self.pool_shape is not None:
            c01b = max_pool_c01b(c01b, self.pool_shape, self.pool_stride)
        return c01b

    def has_constraints(self) -> bool:
        return self.max_filter_norm is not None

    @torch.no_grad()
    def enforce_constraints(self) -> None:
        if self.max_filter_norm is None:
            return
        W = self.transformer.filters
        norms = W.pow(2).sum(dim=(3, 4, 5), keepdim=True).sqrt()
        W.mul_(norms.clamp(max=self.max_filter_norm) / norms.clamp_min(1e-7))

    def get_lr_scalers(self) -> dict[torch.nn.Parameter, float]:
        scalers = {}
        if self.W_lr_scale is not None:
            scalers[self.W] = float(self.W_lr_scale)
        if self.b_lr_scale is not None:
            scalers[self.b] = float(self.b_lr_scale)
        return scalers

    def get_weight_decay(self, coeff: float) -> torch.Tensor:
        return float(coeff) * self.W.pow(2).sum()

    def get_l1_weight_decay(self, coeff: float) -> torch.Tensor:
        return float(coeff) * self.W.abs().sum()


__all__ = ["MaxoutLocalC01B"]
