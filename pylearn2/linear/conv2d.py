"""Convolution as a linear transform between Conv2DSpaces (any axes).

``lmul`` is a cross-correlation of the input with ``filters`` (out, in, rows, cols), as
torch computes it; ``border_mode='full'`` pads by kernel-1 on every side. ``lmul_T`` is
the transposed convolution with the output padding that makes it the exact adjoint.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from pylearn2.linear.linear_transform import LinearTransform, random_array
from pylearn2.space import Conv2DSpace
from pylearn2.utils.exc import ConfigError

logger = logging.getLogger(__name__)

BC01 = ("b", "c", 0, 1)


def conv_output_shape(shape: Sequence[int], kernel: Sequence[int], stride: Sequence[int],
                      border_mode: str) -> tuple[int, int]:
    pad = [k - 1 for k in kernel] if border_mode == "full" else [0, 0]
    out = tuple((s + 2 * p - k) // st + 1 for s, k, st, p in zip(shape, kernel, stride, pad))
    if min(out) <= 0:
        raise ConfigError(f"Kernel {tuple(kernel)} does not fit images of shape {tuple(shape)}.")
    return out


class Conv2D(LinearTransform):
    """2-D convolution with ``filters`` of shape (out_channels, in_channels, rows, cols).

    The original's ``subsample`` is ``kernel_stride`` by its old name; ``filters_shape``
    is checked against the filters. ``batch_size`` and ``message`` only sized and named
    the original's compiled kernels: accepted, no effect (a log line says so).
    """

    def __init__(self, filters: Any, input_space: Conv2DSpace,
                 output_axes: Sequence[Any] = BC01, kernel_stride: Sequence[int] = (1, 1),
                 border_mode: str = "valid", batch_size: int | None = None,
                 subsample: Sequence[int] | None = None, filters_shape: Any = None,
                 message: str = "") -> None:
        super().__init__()
        if subsample is not None:
            kernel_stride = subsample
        _note_kernel_hints(batch_size, message)
        self.batch_size, self.message = batch_size, message
        if filters_shape is not None and tuple(filters_shape) != tuple(np.shape(filters)):
            raise ConfigError(f"Conv2D filters_shape {tuple(filters_shape)} does not match the "
                              f"filters' shape {tuple(np.shape(filters))}.")
        if border_mode not in ("valid", "full"):
            raise ConfigError(f"Conv2D border_mode must be 'valid' or 'full', got {border_mode!r}.")
        filters = torch.as_tensor(filters, dtype=torch.float32)
        if filters.ndim != 4 or filters.shape[1] != input_space.num_channels:
            raise ConfigError(f"Conv2D filters must be (out, {input_space.num_channels}, rows, "
                              f"cols), got {tuple(filters.shape)}.")
        self.filters = torch.nn.Parameter(filters.clone())
        self.input_space = input_space
        self.kernel_stride = tuple(int(s) for s in kernel_stride)
        self.border_mode = border_mode
        self.padding = tuple(k - 1 for k in filters.shape[2:]) if border_mode == "full" else (0, 0)
        shape = conv_output_shape(input_space.shape, filters.shape[2:], self.kernel_stride,
                                  border_mode)
        self.output_space = Conv2DSpace(shape, num_channels=filters.shape[0], axes=output_axes)

    def lmul(self, x: torch.Tensor) -> torch.Tensor:
        bc01 = Conv2DSpace.convert(x, self.input_space.axes, BC01)
        out = F.conv2d(bc01, self.filters, stride=self.kernel_stride, padding=self.padding)
        return Conv2DSpace.convert(out, BC01, self.output_space.axes)

    def lmul_T(self, y: torch.Tensor) -> torch.Tensor:
        bc01 = Conv2DSpace.convert(y, self.output_space.axes, BC01)
        rows, cols = self.input_space.shape
        (kr, kc), (sr, sc), (pr, pc) = self.filters.shape[2:], self.kernel_stride, self.padding
        extra = (rows + 2 * pr - kr - (bc01.shape[2] - 1) * sr,
                 cols + 2 * pc - kc - (bc01.shape[3] - 1) * sc)
        out = F.conv_transpose2d(bc01, self.filters, stride=self.kernel_stride,
                                 padding=self.padding, output_padding=extra)
        return Conv2DSpace.convert(out, BC01, self.input_space.axes)

    def get_weights_topo(self) -> np.ndarray:
        return self.filters.detach().cpu().numpy().transpose(0, 2, 3, 1)


def _note_kernel_hints(batch_size: Any, message: str) -> None:
    if batch_size is not None or message:
        logger.info("Conv2D: batch_size and message only shaped the original's compiled "
                    "kernels; they have no effect here.")


def make_random_conv2D(irange: float, input_space: Conv2DSpace, output_space: Conv2DSpace,
                       kernel_shape: Sequence[int], kernel_stride: Sequence[int] = (1, 1),
                       border_mode: str = "valid", rng: Any = (2014, 1, 2),
                       batch_size: int | None = None, subsample: Sequence[int] | None = None,
                       message: str = "") -> Conv2D:
    """A Conv2D with uniform random filters mapping ``input_space`` to ``output_space``
    (``subsample`` is the original's name for ``kernel_stride``; ``batch_size`` and
    ``message`` have no effect)."""
    if subsample is not None:
        kernel_stride = subsample
    _note_kernel_hints(batch_size, message)
    shape = (output_space.num_channels, input_space.num_channels) + tuple(kernel_shape)
    transform = Conv2D(random_array(rng, irange, shape), input_space, output_space.axes,
                       kernel_stride, border_mode)
    if transform.output_space.shape != tuple(output_space.shape):
        raise ConfigError(f"Kernels {tuple(kernel_shape)} map {input_space.shape} to "
                          f"{transform.output_space.shape}, not to {tuple(output_space.shape)}.")
    return transform


def make_sparse_random_conv2D(num_nonzero: int, input_space: Conv2DSpace,
                              output_space: Conv2DSpace, kernel_shape: Sequence[int],
                              kernel_stride: Sequence[int] = (1, 1), border_mode: str = "valid",
                              rng: Any = (2014, 1, 3)) -> Conv2D:
    """Like :func:`make_random_conv2D` with ``num_nonzero`` N(0, 1) weights per filter."""
    generator = np.random.default_rng([int(s) for s in np.atleast_1d(rng)])
    shape = (output_space.num_channels, input_space.num_channels) + tuple(kernel_shape)
    filters = np.zeros(shape)
    fan_in = int(np.prod(shape[1:]))
    for o in range(shape[0]):
        idx = generator.choice(fan_in, size=min(num_nonzero, fan_in), replace=False)
        filters[o].reshape(-1)[idx] = generator.normal(size=len(idx))
    return Conv2D(filters, input_space, output_space.axes, kernel_stride, border_mode)
