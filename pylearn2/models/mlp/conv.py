"""Convolutional MLP layers: ConvElemwise with a chosen nonlinearity, ConvRectifiedLinear,
and MaxoutConvC01B; max/mean pooling with the library's output-size rule.

Pooling covers the image edge: with image size r, pool size p and stride s the output
has ``ceil((r - p) / s) + 1`` positions, the last window possibly hanging over the edge
(missing values are ignored by max pooling). Inputs may come in any Conv2DSpace axes;
outputs are ('b', 'c', 0, 1) (MaxoutConvC01B: ('c', 0, 1, 'b')).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from pylearn2.models.mlp.dense import activation_channels
from pylearn2.models.mlp.layer import Layer
from pylearn2.space import Conv2DSpace, Space
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.init_args import InitArgsMixin

BC01 = ("b", "c", 0, 1)


logger = logging.getLogger(__name__)


MONITOR_STYLES = ("classification", "detection")


def _check_monitor_style(owner: str, monitor_style: str) -> None:
    if monitor_style not in MONITOR_STYLES:
        raise ConfigError(f"{owner}: monitor_style must be 'classification' or 'detection', "
                          f"got {monitor_style!r}.")


class ConvNonlinearity(InitArgsMixin):
    """An elementwise function applied after the convolution (and before pooling).

    It also names the layer's state channels: :meth:`get_monitoring_channels_from_state`
    gives the activation statistics over examples (each (channel, row, column) position a
    unit, as in the original), plus target channels where the nonlinearity defines them.
    """

    def apply(self, z: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def get_monitoring_channels_from_state(self, state: torch.Tensor, target: Any = None,
                                           cost_fn: Any = None) -> dict[str, torch.Tensor]:
        return activation_channels(state)


class IdentityConvNonlinearity(ConvNonlinearity):
    """No nonlinearity; with targets, ``misclass``: the share of examples with any output
    on the wrong side of 0.5."""

    def apply(self, z: torch.Tensor) -> torch.Tensor:
        return z

    def get_monitoring_channels_from_state(self, state: torch.Tensor, target: Any = None,
                                           cost_fn: Any = None) -> dict[str, torch.Tensor]:
        out = super().get_monitoring_channels_from_state(state, target, cost_fn)
        if target is not None:
            wrong = (target != (state > 0.5).to(state.dtype)).amax(dim=1)
            out["misclass"] = wrong.to(state.dtype).mean()
        return out


class RectifierConvNonlinearity(ConvNonlinearity):
    def __init__(self, left_slope: float = 0.0) -> None:
        self.left_slope = float(left_slope)

    def apply(self, z: torch.Tensor) -> torch.Tensor:
        return torch.relu(z) if self.left_slope == 0.0 else F.leaky_relu(z, self.left_slope)


class SigmoidConvNonlinearity(ConvNonlinearity):
    """The logistic sigmoid. With targets (the output layer) its channels are the
    original's detection set whatever ``monitor_style`` says (the original checked the
    argument only): ``01_loss``, ``kl`` (the layer's cost, when it defines one),
    ``precision``, ``recall``, ``f1`` over all outputs, and ``per_output_{precision,
    recall,f1}_{max,mean,min}`` with the counts summed over the batch and channel axes."""

    def __init__(self, monitor_style: str = "classification") -> None:
        _check_monitor_style("SigmoidConvNonlinearity", monitor_style)
        self.monitor_style = monitor_style

    def apply(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(z)

    def get_monitoring_channels_from_state(self, state: torch.Tensor, target: Any = None,
                                           cost_fn: Any = None) -> dict[str, torch.Tensor]:
        out = super().get_monitoring_channels_from_state(state, target, cost_fn)
        if target is None:
            return out
        y_hat, y = (state > 0.5).to(state.dtype), (target > 0.5).to(state.dtype)
        out["01_loss"] = (y != y_hat).to(state.dtype).mean()
        if cost_fn is not None:
            out["kl"] = cost_fn(target, state).detach()
        for prefix, dims in (("", None), ("per_output_", (0, 1))):
            tp, fp = (y * y_hat).sum(dims), ((1 - y) * y_hat).sum(dims)
            precision = tp / (tp + fp).clamp_min(1.0)
            recall = tp / y.sum(dims).clamp_min(1.0)
            f1 = 2 * precision * recall / (precision + recall).clamp_min(1.0)
            for name, value in (("precision", precision), ("recall", recall), ("f1", f1)):
                if dims is None:
                    out[name] = value
                else:
                    out.update({f"{prefix}{name}_max": value.max(),
                                f"{prefix}{name}_mean": value.mean(),
                                f"{prefix}{name}_min": value.min()})
        return out


class TanhConvNonlinearity(ConvNonlinearity):
    def apply(self, z: torch.Tensor) -> torch.Tensor:
        return torch.tanh(z)


def pooled_size(size: int, pool: int, stride: int) -> int:
    """``ceil((size - pool) / stride) + 1`` pool positions (the original's count).

    With a pool smaller than its stride the last of these windows can start past the
    edge and cover no pixel at all (the original filled it with -inf); that is refused
    with a clear error rather than silently producing fewer positions than declared.
    """
    n = int(math.ceil(max(size - pool, 0) / stride)) + 1
    if (n - 1) * stride >= size:
        raise ConfigError(
            f"pool {pool} with stride {stride} on a detector layer of size {size}: the last "
            f"of the {n} pool windows starts at {(n - 1) * stride}, past the edge, and covers "
            "no unit. Use a pool_stride no larger than pool_shape, or a size where "
            "(size - pool) is a multiple of the stride.")
    return n


def max_pool(bc01: torch.Tensor, pool_shape: Sequence[int], pool_stride: Sequence[int]) -> torch.Tensor:
    """Max pooling that covers the edge (see the module docstring)."""
    return F.max_pool2d(bc01, tuple(pool_shape), tuple(pool_stride), ceil_mode=True)


def mean_pool(bc01: torch.Tensor, pool_shape: Sequence[int], pool_stride: Sequence[int]) -> torch.Tensor:
    """Mean pooling over the windows that fit, edge windows averaging what they cover."""
    return F.avg_pool2d(bc01, tuple(pool_shape), tuple(pool_stride), ceil_mode=True,
                        count_include_pad=False)


class ConvElemwise(Layer):
    """Convolution, elementwise nonlinearity, optional pooling."""

    def __init__(self, output_channels: int, kernel_shape: Sequence[int], layer_name: str,
                 nonlinearity: ConvNonlinearity, irange: float | None = None,
                 border_mode: str = "valid", sparse_init: int | None = None,
                 include_prob: float = 1.0, init_bias: float = 0.0,
                 W_lr_scale: float | None = None, b_lr_scale: float | None = None,
                 max_kernel_norm: float | None = None, pool_type: str | None = None,
                 pool_shape: Sequence[int] | None = None,
                 pool_stride: Sequence[int] | None = None, tied_b: bool | None = None,
                 detector_normalization: Any = None, output_normalization: Any = None,
                 kernel_stride: Sequence[int] = (1, 1),
                 monitor_style: str = "classification", istdev: float | None = None) -> None:
        super().__init__()
        if border_mode not in ("valid", "full", "same"):
            raise ConfigError(f"{layer_name!r}: border_mode must be 'valid', 'full' or 'same'.")
        if pool_type not in (None, "max", "mean"):
            raise ConfigError(f"{layer_name!r}: pool_type must be null, 'max' or 'mean'.")
        if pool_type is not None and (pool_shape is None or pool_stride is None):
            raise ConfigError(f"{layer_name!r}: pooling needs pool_shape and pool_stride.")
        self.output_channels = int(output_channels)
        self.kernel_shape = tuple(int(k) for k in kernel_shape)
        self.layer_name = layer_name
        self.nonlinearity = nonlinearity
        self.irange, self.istdev, self.sparse_init = irange, istdev, sparse_init
        self.border_mode = border_mode
        self.include_prob, self.init_bias = include_prob, init_bias
        self.W_lr_scale, self.b_lr_scale = W_lr_scale, b_lr_scale
        self.max_kernel_norm = max_kernel_norm
        self.pool_type = pool_type
        self.pool_shape = tuple(pool_shape) if pool_shape is not None else None
        self.pool_stride = tuple(pool_stride) if pool_stride is not None else None
        self.tied_b = bool(tied_b)
        self.kernel_stride = tuple(int(k) for k in kernel_stride)
        _check_monitor_style(repr(layer_name), monitor_style)
        self.monitor_style = monitor_style
        for name, fn in (("detector_normalization", detector_normalization),
                         ("output_normalization", output_normalization)):
            if fn is not None and not callable(fn):
                raise ConfigError(f"{layer_name!r}: {name} must be a callable (e.g. "
                                  "!obj:pylearn2.expr.normalize.CrossChannelNormalizationBC01 {}).")
        self.detector_normalization = detector_normalization
        self.output_normalization = output_normalization

    def _normalize(self, fn: Any, bc01: torch.Tensor) -> torch.Tensor:
        """Apply a normalisation callable in the axes this layer's family uses (bc01)."""
        return bc01 if fn is None else fn(bc01)

    def _padding(self) -> tuple[int, int]:
        if self.border_mode == "full":
            return (self.kernel_shape[0] - 1, self.kernel_shape[1] - 1)
        if self.border_mode == "same":
            return (self.kernel_shape[0] // 2, self.kernel_shape[1] // 2)
        return (0, 0)

    def set_input_space(self, space: Space) -> None:
        if not isinstance(space, Conv2DSpace):
            raise ConfigError(f"Layer {self.layer_name!r} needs a Conv2DSpace input (images), got "
                              f"{space}; set the MLP's input_space to a Conv2DSpace.")
        self.input_space = space
        (kr, kc), (sr, sc), (pr, pc) = self.kernel_shape, self.kernel_stride, self._padding()
        rows = (space.shape[0] + 2 * pr - kr) // sr + 1
        cols = (space.shape[1] + 2 * pc - kc) // sc + 1
        if rows <= 0 or cols <= 0:
            raise ConfigError(f"Layer {self.layer_name!r}: kernel {self.kernel_shape} does not fit "
                              f"the input images {space.shape}.")
        self.detector_shape = (rows, cols)
        if self.pool_type is not None:
            try:
                rows = pooled_size(rows, self.pool_shape[0], self.pool_stride[0])
                cols = pooled_size(cols, self.pool_shape[1], self.pool_stride[1])
            except ConfigError as err:
                raise ConfigError(f"Layer {self.layer_name!r}: {err}") from None
        self.output_space = Conv2DSpace((rows, cols), num_channels=self.output_channels, axes=BC01)
        shape = (self.output_channels, space.num_channels, kr, kc)
        rng = self.get_mlp().rng if self.get_mlp() is not None else np.random.default_rng(0)
        W = self._init_kernels(rng, shape)
        self.W = torch.nn.Parameter(torch.as_tensor(W, dtype=torch.float32))
        b_shape = (self.output_channels,) if self.tied_b else (self.output_channels,) + self.detector_shape
        self.b = torch.nn.Parameter(torch.full(b_shape, float(self.init_bias)))

    def _init_kernels(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        if self.irange is not None:
            W = rng.uniform(-self.irange, self.irange, size=shape)
        elif self.istdev is not None:
            W = rng.normal(0.0, self.istdev, size=shape)
        elif self.sparse_init is not None:
            W = np.zeros(shape)
            fan_in = int(np.prod(shape[1:]))
            for o in range(shape[0]):
                idx = rng.choice(fan_in, size=min(self.sparse_init, fan_in), replace=False)
                W[o].reshape(-1)[idx] = rng.normal(size=len(idx))
        else:
            raise ConfigError(f"Layer {self.layer_name!r} needs irange, istdev or sparse_init.")
        if self.include_prob < 1.0:
            W = W * (rng.uniform(size=shape) < self.include_prob)
        return W

    def detector(self, state_below: torch.Tensor) -> torch.Tensor:
        x = Conv2DSpace.convert(state_below, self.input_space.axes, BC01)
        z = F.conv2d(x, self.W, stride=self.kernel_stride, padding=self._padding())
        z = z + (self.b[None, :, None, None] if self.tied_b else self.b[None])
        return self.nonlinearity.apply(z)

    def fprop(self, state_below: torch.Tensor) -> torch.Tensor:
        d = self._normalize(self.detector_normalization, self.detector(state_below))
        if self.pool_type == "max":
            d = max_pool(d, self.pool_shape, self.pool_stride)
        elif self.pool_type == "mean":
            d = mean_pool(d, self.pool_shape, self.pool_stride)
        return self._normalize(self.output_normalization, d)

    def has_constraints(self) -> bool:
        return self.max_kernel_norm is not None

    @torch.no_grad()
    def enforce_constraints(self) -> None:
        if self.max_kernel_norm is not None:
            norms = self.W.pow(2).sum(dim=(1, 2, 3), keepdim=True).sqrt()
            self.W.mul_(norms.clamp(max=self.max_kernel_norm) / norms.clamp_min(1e-7))

    def get_weights_topo(self) -> np.ndarray:
        return self.W.detach().cpu().numpy().transpose(0, 2, 3, 1)

    def get_layer_monitoring_channels(self, state_below=None, state=None, targets=None):
        """Kernel norms, then the nonlinearity's channels of the state (and targets, for
        the output layer). ``monitor_style`` is checked, as the original did; the channels
        follow the nonlinearity."""
        channels = self.param_channels_for_batch()
        if state is None and state_below is not None:
            state = self.fprop(state_below)
        if state is not None:
            channels.update(self._state_channels(state.detach(), targets))
        return channels

    def get_param_monitoring_channels(self) -> dict[str, torch.Tensor]:
        """Min, mean and max of the kernel norms (over input channels and the window)."""
        norms = self.W.detach().pow(2).sum(dim=(1, 2, 3)).sqrt()
        return {"kernel_norms_min": norms.min(), "kernel_norms_mean": norms.mean(),
                "kernel_norms_max": norms.max()}

    def _state_channels(self, state: torch.Tensor, targets: Any) -> dict[str, torch.Tensor]:
        own_cost = type(self).cost is not Layer.cost
        return self.nonlinearity.get_monitoring_channels_from_state(
            state, targets, self.cost if own_cost else None)


class ConvRectifiedLinear(ConvElemwise):
    """Convolution, rectifier, then (max) pooling: the classic conv-net layer."""

    def __init__(self, output_channels: int, kernel_shape: Sequence[int],
                 pool_shape: Sequence[int], pool_stride: Sequence[int], layer_name: str,
                 irange: float | None = None, border_mode: str = "valid",
                 sparse_init: int | None = None, include_prob: float = 1.0,
                 init_bias: float = 0.0, W_lr_scale: float | None = None,
                 b_lr_scale: float | None = None, left_slope: float = 0.0,
                 max_kernel_norm: float | None = None, pool_type: str = "max",
                 tied_b: bool = False, detector_normalization: Any = None,
                 output_normalization: Any = None, kernel_stride: Sequence[int] = (1, 1),
                 monitor_style: str = "classification", istdev: float | None = None) -> None:
        super().__init__(output_channels=output_channels, kernel_shape=kernel_shape,
                         layer_name=layer_name,
                         nonlinearity=RectifierConvNonlinearity(left_slope), irange=irange,
                         border_mode=border_mode, sparse_init=sparse_init,
                         include_prob=include_prob, init_bias=init_bias, W_lr_scale=W_lr_scale,
                         b_lr_scale=b_lr_scale, max_kernel_norm=max_kernel_norm,
                         pool_type=pool_type, pool_shape=pool_shape, pool_stride=pool_stride,
                         tied_b=tied_b, detector_normalization=detector_normalization,
                         output_normalization=output_normalization, kernel_stride=kernel_stride,
                         monitor_style=monitor_style, istdev=istdev)


class MaxoutConvC01B(ConvElemwise):
    """Convolutional maxout: ``num_channels`` outputs, each the max over ``num_pieces``
    consecutive convolution channels, then max pooling; output axes ('c', 0, 1, 'b')."""

    def __init__(self, num_channels: int, num_pieces: int, kernel_shape: Sequence[int],
                 pool_shape: Sequence[int], pool_stride: Sequence[int], layer_name: str,
                 irange: float | None = None, init_bias: float = 0.0,
                 W_lr_scale: float | None = None, b_lr_scale: float | None = None, pad: int = 0,
                 fix_pool_shape: bool = False, fix_pool_stride: bool = False,
                 fix_kernel_shape: bool = False, partial_sum: int = 1, tied_b: bool = False,
                 max_kernel_norm: float | None = None, input_normalization: Any = None,
                 detector_normalization: Any = None, min_zero: bool = False,
                 output_normalization: Any = None, kernel_stride: Sequence[int] = (1, 1)) -> None:
        if input_normalization is not None and not callable(input_normalization):
            raise ConfigError(f"{layer_name!r}: input_normalization must be a callable (e.g. "
                              "!obj:pylearn2.expr.normalize.CrossChannelNormalization {}).")
        if partial_sum != 1:
            logger.info("MaxoutConvC01B %r: partial_sum only tuned cuda-convnet's kernels; "
                        "it has no effect here.", layer_name)
        super().__init__(output_channels=num_channels * num_pieces, kernel_shape=kernel_shape,
                         layer_name=layer_name, nonlinearity=IdentityConvNonlinearity(),
                         irange=irange, init_bias=init_bias, W_lr_scale=W_lr_scale,
                         b_lr_scale=b_lr_scale, max_kernel_norm=max_kernel_norm,
                         pool_type="max", pool_shape=pool_shape, pool_stride=pool_stride,
                         tied_b=tied_b, detector_normalization=detector_normalization,
                         output_normalization=output_normalization, kernel_stride=kernel_stride)
        self.num_channels, self.num_pieces = int(num_channels), int(num_pieces)
        self.pad, self.min_zero = int(pad), min_zero
        self.input_normalization = input_normalization
        self.partial_sum = partial_sum

    def _padding(self) -> tuple[int, int]:
        return (self.pad, self.pad)

    def set_input_space(self, space: Space) -> None:
        super().set_input_space(space)
        rows, cols = self.output_space.shape
        self.output_space = Conv2DSpace((rows, cols), num_channels=self.num_channels,
                                        axes=("c", 0, 1, "b"))

    def _normalize(self, fn: Any, bc01: torch.Tensor) -> torch.Tensor:
        """Normalisations of this layer see ('c', 0, 1, 'b') tensors, as in the original."""
        if fn is None:
            return bc01
        c01b = fn(Conv2DSpace.convert(bc01, BC01, ("c", 0, 1, "b")))
        return Conv2DSpace.convert(c01b, ("c", 0, 1, "b"), BC01)

    def fprop(self, state_below: torch.Tensor) -> torch.Tensor:
        if self.input_normalization is not None:
            c01b = Conv2DSpace.convert(state_below, self.input_space.axes, ("c", 0, 1, "b"))
            state_below = Conv2DSpace.convert(self.input_normalization(c01b), ("c", 0, 1, "b"),
                                              self.input_space.axes)
        z = self._normalize(self.detector_normalization, self.detector(state_below))
        b, _, r, c = z.shape
        z = z.reshape(b, self.num_channels, self.num_pieces, r, c).max(dim=2).values
        if self.min_zero:
            z = z.clamp_min(0.0)
        pooled = self._normalize(self.output_normalization,
                                 max_pool(z, self.pool_shape, self.pool_stride))
        return Conv2DSpace.convert(pooled, BC01, ("c", 0, 1, "b"))

    def _state_channels(self, state: torch.Tensor, targets: Any) -> dict[str, torch.Tensor]:
        """Activation statistics with each output channel a unit (over examples and
        positions), named as the original's convolutional maxout named them
        ('max_x.mean_u', no prefix)."""
        per_channel = state.reshape(state.shape[0], -1).transpose(0, 1)  # c01b -> (01b, c)
        return activation_channels(per_channel, dotted=True)
