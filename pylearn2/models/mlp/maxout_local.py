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

    Parameters
    ----------
    max_kernel_norm : float, optional
        Caps the norm of each filter (over input channels and the kernel window).
        ``max_filter_norm`` is the original's older spelling of the same cap.
    tied_b : bool
        One bias per channel instead of one per channel and position.
    min_zero : bool
        Adds a zero piece (outputs clipped below at 0).
    input_groups : int
        Splits the input channels and the filters into this many groups; each group of
        filters sees only its own group of input channels.
    input_normalization, detector_normalization, output_normalization : callable
        Applied, on ('c', 0, 1, 'b') tensors, to the input, to the maxout units before
        pooling, and to the pooled output.
    fix_kernel_shape, fix_pool_shape, fix_pool_stride : bool
        Shrink a kernel larger than the padded input, a pool larger than the detector
        map, or a pool stride larger than the pool, instead of refusing them.
    partial_sum : int
        Only tuned the classic GPU kernels: accepted, no effect.
    """

    def __init__(self, num_channels: int, num_pieces: int, kernel_shape: Sequence[int],
                 layer_name: str, pool_shape: Sequence[int] | None = None,
                 pool_stride: Sequence[int] | None = None, irange: float | None = None,
                 init_bias: float = 0.0, W_lr_scale: float | None = None,
                 b_lr_scale: float | None = None, pad: int = 0, fix_pool_shape: bool = False,
                 fix_pool_stride: bool = False, fix_kernel_shape: bool = False,
                 partial_sum: int = 1, tied_b: bool = False, max_filter_norm: float | None = None,
                 max_kernel_norm: float | None = None,
                 input_normalization: Any = None, detector_normalization: Any = None,
                 min_zero: bool = False, output_normalization: Any = None,
                 input_groups: int = 1, kernel_stride: Sequence[int] = (1, 1)) -> None:
        super().__init__()
        if irange is None:
            raise ConfigError(f"MaxoutLocalC01B {layer_name!r}: give irange.")
        if (pool_shape is None) != (pool_stride is None):
            raise ConfigError(f"MaxoutLocalC01B {layer_name!r}: give both pool_shape and "
                              "pool_stride, or neither.")
        for name, fn in (("input_normalization", input_normalization),
                         ("detector_normalization", detector_normalization),
                         ("output_normalization", output_normalization)):
            if fn is not None and not callable(fn):
                raise ConfigError(f"MaxoutLocalC01B {layer_name!r}: {name} must be a callable "
                                  "(e.g. !obj:pylearn2.expr.normalize.CrossChannelNormalization {}).")
        if max_filter_norm is not None:
            if max_kernel_norm is not None and max_kernel_norm != max_filter_norm:
                raise ConfigError(f"MaxoutLocalC01B {layer_name!r}: max_filter_norm is the old "
                                  "name of max_kernel_norm; give only one.")
            max_kernel_norm = max_filter_norm
        if int(input_groups) < 1 or (num_channels * num_pieces) % int(input_groups):
            raise ConfigError(f"MaxoutLocalC01B {layer_name!r}: input_groups={input_groups} must "
                              f"divide num_channels * num_pieces = {num_channels * num_pieces}.")
        if partial_sum != 1:
            log.info("MaxoutLocalC01B %s: partial_sum only tuned the classic GPU kernels; it "
                     "has no effect here.", layer_name)
        self.num_channels, self.num_pieces = int(num_channels), int(num_pieces)
        self.kernel_shape = tuple(int(k) for k in kernel_shape)
        self.layer_name = layer_name
        self.pool_shape = None if pool_shape is None else tuple(int(p) for p in pool_shape)
        self.pool_stride = None if pool_stride is None else tuple(int(p) for p in pool_stride)
        self.irange, self.init_bias, self.pad = float(irange), float(init_bias), int(pad)
        self.W_lr_scale, self.b_lr_scale = W_lr_scale, b_lr_scale
        self.fix_pool_shape, self.fix_pool_stride = fix_pool_shape, fix_pool_stride
        self.fix_kernel_shape, self.partial_sum = fix_kernel_shape, partial_sum
        self.tied_b, self.max_kernel_norm, self.min_zero = bool(tied_b), max_kernel_norm, min_zero
        self.input_normalization = input_normalization
        self.detector_normalization = detector_normalization
        self.output_normalization = output_normalization
        self.input_groups = int(input_groups)
        self.kernel_stride = tuple(int(k) for k in kernel_stride)

    @property
    def max_filter_norm(self) -> float | None:
        """The original's older name of ``max_kernel_norm``."""
        return self.max_kernel_norm

    def _feasible_shapes(self, rows: int, cols: int) -> tuple[int, int]:
        """Applies the ``fix_*`` options (or refuses), returning the detector shape."""
        kernel = list(self.kernel_shape)
        for axis, size in enumerate((rows, cols)):
            if kernel[axis] > size:
                if not self.fix_kernel_shape:
                    raise ConfigError(f"MaxoutLocalC01B {self.layer_name!r}: kernel "
                                      f"{self.kernel_shape} is larger than the padded input "
                                      f"{(rows, cols)}; shrink it or set fix_kernel_shape.")
                kernel[axis] = size
        self.kernel_shape = tuple(kernel)
        detector = tuple((size - k) // s + 1 for size, k, s in
                         zip((rows, cols), self.kernel_shape, self.kernel_stride))
        if self.pool_shape is not None:
            assert self.pool_stride is not None
            pool = list(self.pool_shape)
            for axis in (0, 1):
                if pool[axis] > detector[axis]:
                    if not self.fix_pool_shape:
                        raise ConfigError(f"MaxoutLocalC01B {self.layer_name!r}: pool "
                                          f"{self.pool_shape} exceeds the detector map "
                                          f"{detector}; set fix_pool_shape to shrink it.")
                    pool[axis] = detector[axis]
            self.pool_shape = tuple(pool)
            if any(s > p for s, p in zip(self.pool_stride, self.pool_shape)):
                if not self.fix_pool_stride:
                    raise ConfigError(f"MaxoutLocalC01B {self.layer_name!r}: pool stride "
                                      f"{self.pool_stride} is larger than the pool "
                                      f"{self.pool_shape}; set fix_pool_stride to shrink it.")
                self.pool_stride = tuple(self.pool_shape)
        return detector  # type: ignore[return-value]

    def set_input_space(self, space: Space) -> None:
        if not isinstance(space, Conv2DSpace):
            raise BadInputSpaceError(f"MaxoutLocalC01B {self.layer_name!r} needs a Conv2DSpace "
                                     f"input, got {space}.")
        if space.num_channels % self.input_groups:
            raise ConfigError(f"MaxoutLocalC01B {self.layer_name!r}: input_groups="
                              f"{self.input_groups} must divide the {space.num_channels} input "
                              "channels.")
        self.input_space = space
        rows, cols = (s + 2 * self.pad for s in space.shape)
        padded = Conv2DSpace((rows, cols), space.num_channels, axes=("b", "c", 0, 1))
        out_rows, out_cols = self._feasible_shapes(rows, cols)
        mlp = self.get_mlp()
        rng = mlp.rng if mlp is not None else np.random.default_rng([2013, 1, 4])
        n_out = self.num_channels * self.num_pieces
        filters = rng.uniform(-self.irange, self.irange,
                              (out_rows, out_cols, n_out, space.num_channels) + self.kernel_shape)
        group_of_out = np.arange(n_out) // (n_out // self.input_groups)
        group_of_in = np.arange(space.num_channels) // (space.num_channels // self.input_groups)
        mask = (group_of_out[:, None] == group_of_in[None, :]).astype(np.float32)
        filters = filters * mask[None, None, :, :, None, None]
        # the weights between groups start at zero and enforce_constraints keeps them there
        self.register_buffer("group_mask", torch.as_tensor(mask)[None, None, :, :, None, None],
                             persistent=False)
        self.transformer = LocalConnected(filters, padded, output_axes=("b", "c", 0, 1),
                                          kernel_stride=self.kernel_stride)
        bias_shape = (n_out,) if self.tied_b else (n_out, out_rows, out_cols)
        self.b = torch.nn.Parameter(torch.full(bias_shape, self.init_bias))
        self.detector_shape = (out_rows, out_cols)
        shape = self.detector_shape
        if self.pool_shape is not None:
            assert self.pool_stride is not None
            shape = tuple(int(np.ceil((d - p) / s)) + 1 for d, p, s in
                          zip(shape, self.pool_shape, self.pool_stride))
        self.output_space = Conv2DSpace(shape, self.num_channels, axes=C01B)

    @property
    def W(self) -> torch.nn.Parameter:  # noqa: N802
        return self.transformer.filters

    def fprop(self, state_below: torch.Tensor) -> torch.Tensor:
        if self.input_normalization is not None:
            c01b = Conv2DSpace.convert(state_below, self.input_space.axes, C01B)
            state_below = Conv2DSpace.convert(self.input_normalization(c01b), C01B,
                                              self.input_space.axes)
        bc01 = Conv2DSpace.convert(state_below, self.input_space.axes, ("b", "c", 0, 1))
        if self.pad:
            bc01 = F.pad(bc01, (self.pad,) * 4)
        z = self.transformer.lmul(bc01)  # b, pieces*channels, r, c
        z = z + (self.b[None, :, None, None] if self.tied_b else self.b[None])
        z = z.reshape(z.shape[0], self.num_channels, self.num_pieces, *z.shape[2:])
        h = z.max(dim=2).values
        c01b = h.permute(1, 2, 3, 0)
        if self.detector_normalization is not None:
            c01b = self.detector_normalization(c01b)
        if self.pool_shape is not None:
            assert self.pool_stride is not None
            c01b = max_pool_c01b(c01b, self.pool_shape, self.pool_stride)
        if self.min_zero:
            c01b = c01b.clamp_min(0.0)
        if self.output_normalization is not None:
            c01b = self.output_normalization(c01b)
        return c01b

    def get_filter_norms(self) -> torch.Tensor:
        """Norm of each filter, (out_rows, out_cols, channels * pieces)."""
        return self.W.detach().pow(2).sum(dim=(3, 4, 5)).sqrt()

    def get_param_monitoring_channels(self) -> dict[str, torch.Tensor]:
        """Min, mean and max of the filter norms."""
        norms = self.get_filter_norms()
        return {"filter_norms_min": norms.min(), "filter_norms_mean": norms.mean(),
                "filter_norms_max": norms.max()}

    def get_layer_monitoring_channels(self, state_below=None, state=None, targets=None):
        """Filter norms, and the output's statistics with each channel a unit (over
        examples and positions), named as the original named them."""
        from pylearn2.models.mlp.statistics import activation_channels

        channels = self.param_channels_for_batch()
        if state is None and state_below is not None:
            state = self.fprop(state_below)
        if state is not None:
            per_channel = state.detach().reshape(state.shape[0], -1).transpose(0, 1)
            channels.update(activation_channels(per_channel, dotted=True))
        return channels

    def has_constraints(self) -> bool:
        return self.max_kernel_norm is not None or self.input_groups > 1

    @torch.no_grad()
    def enforce_constraints(self) -> None:
        W = self.transformer.filters
        if self.input_groups > 1:
            W.mul_(self.group_mask)
        if self.max_kernel_norm is None:
            return
        norms = W.pow(2).sum(dim=(3, 4, 5), keepdim=True).sqrt()
        W.mul_(norms.clamp(max=self.max_kernel_norm) / norms.clamp_min(1e-7))

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
