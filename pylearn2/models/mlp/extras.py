"""More MLP layers and helpers: LinearGaussian, SoftmaxPool, WindowLayer, the
``beta_from_*`` precision helpers, channel/c01b pooling and the old weight-decay names.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from pylearn2.models.mlp.conv import ConvNonlinearity, max_pool
from pylearn2.models.mlp.dense import Linear, activation_channels, norm_channels
from pylearn2.models.mlp.layer import Layer
from pylearn2.space import Conv2DSpace, Space, VectorSpace
from pylearn2.utils.exc import ConfigError

log = logging.getLogger(__name__)


class BadInputSpaceError(TypeError):
    """A layer was given an input space it cannot work with."""


def WeightDecay(*args: Any, **kwargs: Any):  # noqa: N802 (the original's name)
    """Old name of :class:`pylearn2.costs.mlp.WeightDecay` (same arguments)."""
    from pylearn2.costs.mlp import WeightDecay as _WeightDecay

    log.warning("pylearn2.models.mlp.WeightDecay has moved to pylearn2.costs.mlp.WeightDecay.")
    return _WeightDecay(*args, **kwargs)


def L1WeightDecay(*args: Any, **kwargs: Any):  # noqa: N802
    """Old name of :class:`pylearn2.costs.mlp.L1WeightDecay` (same arguments)."""
    from pylearn2.costs.mlp import L1WeightDecay as _L1WeightDecay

    log.warning("pylearn2.models.mlp.L1WeightDecay has moved to pylearn2.costs.mlp.L1WeightDecay.")
    return _L1WeightDecay(*args, **kwargs)


class LinearGaussian(Linear):
    """A Linear layer with a learned diagonal precision ``beta``: p(y|x) = N(xW + b, 1/beta).

    Parameters
    ----------
    init_beta : float or array broadcastable to (dim,); initial precision (> 0).
    min_beta, max_beta : beta is clipped into [min_beta, max_beta] after each update.
    beta_lr_scale : learning-rate scale of beta (None: 1).
    **kwargs : the Linear arguments (dim, layer_name, irange, ...).

    The cost is ``0.5 * mean_examples(sum_j beta_j (y_j - yhat_j)^2) - 0.5 * sum_j log beta_j``,
    the negative log-likelihood up to a constant.
    """

    def __init__(self, init_beta: Any, min_beta: float, max_beta: float,
                 beta_lr_scale: float | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0.0 < float(min_beta) <= float(max_beta):
            raise ConfigError(f"LinearGaussian {self.layer_name!r}: need 0 < min_beta <= max_beta, "
                              f"got min_beta={min_beta}, max_beta={max_beta}.")
        self.init_beta, self.min_beta, self.max_beta = init_beta, float(min_beta), float(max_beta)
        self.beta_lr_scale = beta_lr_scale

    def set_input_space(self, space: Space) -> None:
        super().set_input_space(space)
        beta = np.zeros(self.dim) + np.asarray(self.init_beta, dtype=np.float64)
        if np.any(beta <= 0):
            raise ConfigError(f"LinearGaussian {self.layer_name!r}: init_beta must be > 0.")
        self.beta = torch.nn.Parameter(torch.as_tensor(beta, dtype=torch.float32))

    def cost(self, Y: torch.Tensor, Y_hat: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((Y - Y_hat).pow(2) @ self.beta).mean() - 0.5 * self.beta.log().sum()

    def has_constraints(self) -> bool:
        return True

    @torch.no_grad()
    def enforce_constraints(self) -> None:
        super().enforce_constraints()
        self.beta.clamp_(self.min_beta, self.max_beta)

    def get_lr_scalers(self) -> dict[torch.nn.Parameter, float]:
        scalers = super().get_lr_scalers()
        if self.beta_lr_scale is not None:
            scalers[self.beta] = float(self.beta_lr_scale)
        return scalers

    def get_param_monitoring_channels(self) -> dict[str, torch.Tensor]:
        beta = self.beta.detach()
        return {**super().get_param_monitoring_channels(), "beta_min": beta.min(),
                "beta_mean": beta.mean(), "beta_max": beta.max()}

    def get_layer_monitoring_channels(self, state_below=None, state=None, targets=None):
        channels = super().get_layer_monitoring_channels(state_below, state, targets)
        if state is not None and targets is not None:
            channels["mse"] = (state - targets).pow(2).mean().detach()
        return channels


def beta_from_design(design: np.ndarray, min_var: float = 1e-6, max_var: float = 1e6) -> np.ndarray:
    """Marginal precision (1 / variance, variance clipped to [min_var, max_var]) per column."""
    return 1.0 / np.clip(np.asarray(design).var(axis=0), min_var, max_var)


def beta_from_targets(dataset: Any, **kwargs: Any) -> np.ndarray:
    """:func:`beta_from_design` of the dataset's targets ``y``."""
    return beta_from_design(dataset.y, **kwargs)


def beta_from_features(dataset: Any, **kwargs: Any) -> np.ndarray:
    """:func:`beta_from_design` of the dataset's design matrix ``X``."""
    return beta_from_design(dataset.X, **kwargs)


def mean_of_targets(dataset: Any) -> np.ndarray:
    """Column means of the dataset's targets (a good initial output bias)."""
    return np.asarray(dataset.y).mean(axis=0)


def softmax_pool_channels(z: torch.Tensor, pool_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Probabilistic max pooling over consecutive groups of ``pool_size`` units.

    Each group has ``pool_size + 1`` states (all off, or exactly one unit on) with
    energies ``(0, z_1, ..., z_k)``. Returns (p, h): ``p`` the probability that the group
    is on (one value per group) and ``h`` each detector unit's probability.
    """
    groups = z.reshape(z.shape[0], -1, pool_size)
    off = torch.zeros_like(groups[..., :1])
    probs = torch.softmax(torch.cat([off, groups], dim=2), dim=2)
    h = probs[..., 1:]
    return h.sum(2), h.reshape(z.shape)


class SoftmaxPool(Layer):
    """Detector units pooled by a softmax over each group (probabilistic max pooling).

    With ``pool_size=1`` this is a sigmoid layer. The output has
    ``detector_layer_dim / pool_size`` units: the probability that each group is on.
    """

    def __init__(self, detector_layer_dim: int, layer_name: str, pool_size: int = 1,
                 irange: float | None = None, sparse_init: int | None = None,
                 sparse_stdev: float = 1.0, include_prob: float = 1.0, init_bias: float = 0.0,
                 W_lr_scale: float | None = None, b_lr_scale: float | None = None,
                 mask_weights: Any = None, max_col_norm: float | None = None) -> None:
        super().__init__()
        if int(detector_layer_dim) % int(pool_size):
            raise ConfigError(f"SoftmaxPool {layer_name!r}: detector_layer_dim="
                              f"{detector_layer_dim} is not divisible by pool_size={pool_size}.")
        self.detector_layer_dim, self.pool_size = int(detector_layer_dim), int(pool_size)
        self.layer_name = layer_name
        self.output_space = VectorSpace(self.detector_layer_dim // self.pool_size)
        self.h_space = VectorSpace(self.detector_layer_dim)
        # The affine part is a Linear layer kept as a child so W, b and the norm
        # constraints behave exactly as Linear's.
        self.detector = Linear(dim=self.detector_layer_dim, layer_name=layer_name + "_detector",
                               irange=irange, sparse_init=sparse_init, sparse_stdev=sparse_stdev,
                               include_prob=include_prob, init_bias=init_bias,
                               W_lr_scale=W_lr_scale, b_lr_scale=b_lr_scale,
                               mask_weights=mask_weights, max_col_norm=max_col_norm)

    @property
    def W(self) -> torch.nn.Parameter:  # noqa: N802
        return self.detector.W

    @property
    def b(self) -> torch.nn.Parameter:
        return self.detector.b

    def set_mlp(self, mlp: Any) -> None:
        super().set_mlp(mlp)
        self.detector.set_mlp(mlp)

    def set_input_space(self, space: Space) -> None:
        self.input_space = space
        self.detector.set_input_space(space)

    def detector_and_pool(self, state_below: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(p, h): pooled output and detector-unit probabilities."""
        return softmax_pool_channels(self.detector.affine(state_below), self.pool_size)

    def fprop(self, state_below: torch.Tensor) -> torch.Tensor:
        return self.detector_and_pool(state_below)[0]

    def has_constraints(self) -> bool:
        return self.detector.has_constraints()

    def enforce_constraints(self) -> None:
        self.detector.enforce_constraints()

    def get_lr_scalers(self) -> dict[torch.nn.Parameter, float]:
        return self.detector.get_lr_scalers()

    def get_weights(self) -> np.ndarray:
        return self.detector.get_weights()

    def get_biases(self) -> np.ndarray:
        return self.b.detach().cpu().numpy()

    def get_weights_format(self) -> tuple[str, str]:
        return ("v", "h")

    def get_weights_topo(self) -> np.ndarray:
        return self.detector.get_weights_topo()

    def get_param_monitoring_channels(self) -> dict[str, torch.Tensor]:
        return norm_channels(self.W)

    def get_layer_monitoring_channels(self, state_below=None, state=None, targets=None):
        channels = self.param_channels_for_batch()
        if state is None and state_below is not None:
            state = self.fprop(state_below)
        if state is not None:
            prefix = "" if self.pool_size == 1 else "p_"
            for name, value in activation_channels(state).items():
                channels[prefix + name.replace("_x_", "_x.")] = value
        return channels


class WindowLayer(Layer):
    """Crop a window out of an image input: ``window = (x0, y0, x1, y1)``, inclusive
    bounds on the rows (x) and columns (y) of a Conv2DSpace input; axes are kept."""

    def __init__(self, layer_name: str, window: Sequence[int]) -> None:
        super().__init__()
        window = tuple(int(w) for w in window)
        if len(window) != 4 or window[0] > window[2] or window[1] > window[3] or min(window) < 0:
            raise ConfigError(f"WindowLayer {layer_name!r}: window must be (x0, y0, x1, y1) with "
                              f"0 <= x0 <= x1 and 0 <= y0 <= y1, got {window}.")
        self.layer_name = layer_name
        self.window = window

    def set_input_space(self, space: Space) -> None:
        if not isinstance(space, Conv2DSpace):
            raise BadInputSpaceError(f"WindowLayer {self.layer_name!r} needs a Conv2DSpace "
                                     f"input, got {space}.")
        x0, y0, x1, y1 = self.window
        rows, cols = space.shape
        if x1 >= rows or y1 >= cols:
            raise ConfigError(f"WindowLayer {self.layer_name!r}: window {self.window} does not "
                              f"fit the input image of shape {tuple(space.shape)}.")
        self.input_space = space
        self.output_space = Conv2DSpace((x1 - x0 + 1, y1 - y0 + 1), space.num_channels,
                                        axes=space.axes)

    def fprop(self, state_below: torch.Tensor) -> torch.Tensor:
        x0, y0, x1, y1 = self.window
        index = [slice(None)] * 4
        index[self.input_space.axes.index(0)] = slice(x0, x1 + 1)
        index[self.input_space.axes.index(1)] = slice(y0, y1 + 1)
        return state_below[tuple(index)]


def max_pool_c01b(c01b: torch.Tensor, pool_shape: Sequence[int], pool_stride: Sequence[int],
                  image_shape: Sequence[int] | None = None) -> torch.Tensor:
    """Max pooling of a ('c', 0, 1, 'b') batch, covering the image edge as ``max_pool``."""
    if image_shape is not None and tuple(c01b.shape[1:3]) != tuple(image_shape):
        raise ConfigError(f"max_pool_c01b: image_shape {tuple(image_shape)} does not match "
                          f"the batch's {tuple(c01b.shape[1:3])}.")
    if pool_shape[0] > c01b.shape[1] or pool_shape[1] > c01b.shape[2]:
        raise ConfigError(f"max_pool_c01b: pool {tuple(pool_shape)} larger than the image "
                          f"{tuple(c01b.shape[1:3])}.")
    return max_pool(c01b.permute(3, 0, 1, 2), pool_shape, pool_stride).permute(1, 2, 3, 0)


def pool_dnn(bc01: torch.Tensor, pool_shape: Sequence[int], pool_stride: Sequence[int],
             mode: str = "max") -> torch.Tensor:
    """Pooling over the windows that fit entirely (``mode`` 'max' or 'average')."""
    if mode == "max":
        return F.max_pool2d(bc01, tuple(pool_shape), tuple(pool_stride))
    if mode == "average":
        return F.avg_pool2d(bc01, tuple(pool_shape), tuple(pool_stride))
    raise ConfigError(f"pool_dnn: mode must be 'max' or 'average', got {mode!r}.")


def get_lr_scalers_from_layers(owner: Any) -> dict[torch.nn.Parameter, float]:
    """The learning-rate scalers of all of ``owner.layers``, merged."""
    scalers: dict[torch.nn.Parameter, float] = {}
    for layer in owner.layers:
        scalers.update(layer.get_lr_scalers())
    return scalers


__all__ = [
    "BadInputSpaceError", "ConvNonlinearity", "L1WeightDecay", "LinearGaussian", "SoftmaxPool",
    "WeightDecay", "WindowLayer", "beta_from_design", "beta_from_features", "beta_from_targets",
    "get_lr_scalers_from_layers", "max_pool_c01b", "mean_of_targets", "pool_dnn",
    "softmax_pool_channels",
]
