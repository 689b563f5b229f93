"""Locally connected (unshared) and tiled convolutions as linear transforms.

A locally connected transform has its own filter bank at every output position
(weights (out_rows, out_cols, out_channels, in_channels, k_rows, k_cols)). A tiled
convolution shares filter banks every ``tile`` positions: output (i, j) uses bank
(i mod t_r, j mod t_c); tile 1 is an ordinary convolution, tile = output size is
locally connected. Both are computed from unfolded input patches with einsum; the
adjoint folds the patches back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from pylearn2.linear.conv2d import BC01, conv_output_shape
from pylearn2.linear.linear_transform import LinearTransform, random_array
from pylearn2.space import Conv2DSpace
from pylearn2.utils.exc import ConfigError


class LocalConnected(LinearTransform):
    """Unshared 2-D filtering ('valid' borders)."""

    def __init__(self, filters: Any, input_space: Conv2DSpace,
                 output_axes: Sequence[Any] = BC01, kernel_stride: Sequence[int] = (1, 1)) -> None:
        super().__init__()
        filters = torch.as_tensor(filters, dtype=torch.float32)
        self._check(filters, input_space)
        self.filters = torch.nn.Parameter(filters.clone())
        self.input_space = input_space
        self.kernel_shape = tuple(filters.shape[-2:])
        self.kernel_stride = tuple(int(s) for s in kernel_stride)
        shape = conv_output_shape(input_space.shape, self.kernel_shape, self.kernel_stride, "valid")
        self.output_space = Conv2DSpace(shape, num_channels=filters.shape[2], axes=output_axes)
        self._check_positions()

    def _check(self, filters: torch.Tensor, space: Conv2DSpace) -> None:
        if filters.ndim != 6 or filters.shape[3] != space.num_channels:
            raise ConfigError(f"{type(self).__name__} filters must be (rows, cols, out, "
                              f"{space.num_channels}, k_rows, k_cols); got {tuple(filters.shape)}.")

    def _check_positions(self) -> None:
        if tuple(self.filters.shape[:2]) != tuple(self.output_space.shape):
            raise ConfigError(f"LocalConnected needs one filter bank per output position "
                              f"{tuple(self.output_space.shape)}, got {tuple(self.filters.shape[:2])}.")

    def local_filters(self) -> torch.Tensor:
        """(out_rows, out_cols, out, in * k_rows * k_cols) filter bank per position."""
        f = self.filters
        return f.reshape(f.shape[0], f.shape[1], f.shape[2], -1)

    def lmul(self, x: torch.Tensor) -> torch.Tensor:
        bc01 = Conv2DSpace.convert(x, self.input_space.axes, BC01)
        rows, cols = self.output_space.shape
        patches = F.unfold(bc01, self.kernel_shape, stride=self.kernel_stride)
        patches = patches.reshape(bc01.shape[0], -1, rows, cols)
        out = torch.einsum("bkij,ijok->boij", patches, self.local_filters())
        return Conv2DSpace.convert(out, BC01, self.output_space.axes)

    def lmul_T(self, y: torch.Tensor) -> torch.Tensor:
        bc01 = Conv2DSpace.convert(y, self.output_space.axes, BC01)
        patches = torch.einsum("boij,ijok->bkij", bc01, self.local_filters())
        patches = patches.reshape(bc01.shape[0], patches.shape[1], -1)
        out = F.fold(patches, self.input_space.shape, self.kernel_shape, stride=self.kernel_stride)
        return Conv2DSpace.convert(out, BC01, self.input_space.axes)

    def get_weights_topo(self) -> np.ndarray:
        f = self.local_filters().detach().cpu()
        kr, kc = self.kernel_shape
        flat = f.reshape(-1, self.input_space.num_channels, kr, kc)
        return flat.numpy().transpose(0, 2, 3, 1)


class TiledConv2D(LocalConnected):
    """Convolution whose filter banks repeat every ``tile`` output positions.

    ``filters`` has shape (tile_rows, tile_cols, out, in, k_rows, k_cols).
    """

    def _check_positions(self) -> None:
        rows, cols = self.output_space.shape
        if self.filters.shape[0] > rows or self.filters.shape[1] > cols:
            raise ConfigError(f"TiledConv2D tile {tuple(self.filters.shape[:2])} is larger than "
                              f"the output {rows}x{cols}.")
        self.register_buffer("_row_bank", torch.arange(rows) % self.filters.shape[0],
                             persistent=False)
        self.register_buffer("_col_bank", torch.arange(cols) % self.filters.shape[1],
                             persistent=False)

    def local_filters(self) -> torch.Tensor:
        f = self.filters[self._row_bank][:, self._col_bank]
        return f.reshape(f.shape[0], f.shape[1], f.shape[2], -1)


def _local_shape(input_space: Conv2DSpace, output_space: Conv2DSpace,
                 kernel_shape: Sequence[int], kernel_stride: Sequence[int]) -> tuple[int, int]:
    shape = conv_output_shape(input_space.shape, kernel_shape, kernel_stride, "valid")
    if tuple(shape) != tuple(output_space.shape):
        raise ConfigError(f"Kernels {tuple(kernel_shape)} map {input_space.shape} to {shape}, "
                          f"not to {tuple(output_space.shape)}.")
    return shape


def make_random_local(irange: float, input_space: Conv2DSpace, output_space: Conv2DSpace,
                      kernel_shape: Sequence[int], kernel_stride: Sequence[int] = (1, 1),
                      rng: Any = (2014, 1, 4)) -> LocalConnected:
    rows, cols = _local_shape(input_space, output_space, kernel_shape, kernel_stride)
    shape = (rows, cols, output_space.num_channels, input_space.num_channels) + tuple(kernel_shape)
    return LocalConnected(random_array(rng, irange, shape), input_space, output_space.axes,
                          kernel_stride)


def make_random_tiled_conv2D(irange: float, input_space: Conv2DSpace, output_space: Conv2DSpace,
                             kernel_shape: Sequence[int], tile_shape: Sequence[int],
                             kernel_stride: Sequence[int] = (1, 1),
                             rng: Any = (2014, 1, 5)) -> TiledConv2D:
    _local_shape(input_space, output_space, kernel_shape, kernel_stride)
    shape = tuple(tile_shape) + (output_space.num_channels, input_space.num_channels) + \
        tuple(kernel_shape)
    return TiledConv2D(random_array(rng, irange, shape), input_space, output_space.axes,
                       kernel_stride)
