"""Convolutional DBM hidden layers with spatial probabilistic max pooling.

States travel between DBM layers as flat (batch, features) tensors, each example's
features in channel-major order (channel, row, column); a convolutional layer reshapes
the state below to ``(batch, channels, rows, cols)`` using the shape the layer below
reports through ``output_shape()`` (a :class:`GaussianVisLayer` built with
rows/cols/channels, or another convolutional layer). The detector units of a layer see
``conv(v, W) + b`` (cross-correlation, one bias per output channel); each
``pool_rows x pool_cols`` block of detectors in a channel has at most one unit on, and
its pool unit is on exactly when one of them is (:mod:`pylearn2.expr.probabilistic_max_pooling`).
Energy of the layer: ``-sum(b * h) - sum(conv(u_below, W) * h)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from pylearn2.expr.probabilistic_max_pooling import max_pool_b01c
from pylearn2.models.dbm.layer_base import ComponentInputs, HiddenLayer
from pylearn2.space import CompositeSpace, VectorSpace
from pylearn2.utils.exc import ConfigError


class ConvMaxPool(HiddenLayer):
    """Convolutional binary detector layer pooled over spatial blocks (axes b, c, 0, 1).

    Parameters
    ----------
    output_channels : number of detector (and pool) channels.
    kernel_rows, kernel_cols : kernel size.
    pool_rows, pool_cols : size of the spatial pooling blocks (must tile the detector map).
    layer_name : name of the layer.
    center : centering: the layers around see ``p - p_offset`` and ``h - h_offset``,
        where the offsets are the pool and detector mean-field maps at the initial biases
        (per position and channel).
    irange / sparse_init : exactly one: uniform weights in [-irange, irange], or
        ``sparse_init`` nonzero N(0, 1) weights per output channel.
    scale_by_sharing : scale the learning rates of W and b by ``1 / (detector rows *
        detector cols)``, the number of positions sharing each weight.
    init_bias : initial bias of every channel.
    border_mode : 'valid' (detector map ``rows - kernel_rows + 1``) or 'full'
        (``rows + kernel_rows - 1``).
    output_axes : axes of the topological view of the layer's states; the flat state
        always lists each example's units channel-major.
    """

    topological_input = True

    def __init__(self, output_channels: int, kernel_rows: int, kernel_cols: int,
                 pool_rows: int, pool_cols: int, layer_name: str, center: bool = False,
                 irange: float | None = None, sparse_init: int | None = None,
                 scale_by_sharing: bool = True, init_bias: float = 0.0,
                 border_mode: str = "valid", output_axes: Any = ("b", "c", 0, 1)) -> None:
        super().__init__()
        if (irange is None) == (sparse_init is None):
            raise ConfigError(f"{layer_name!r}: give exactly one of irange and sparse_init.")
        if border_mode not in ("valid", "full"):
            raise ConfigError(f"{layer_name!r}: border_mode must be 'valid' or 'full', "
                              f"got {border_mode!r}.")
        self.output_channels = int(output_channels)
        self.kernel_rows, self.kernel_cols = int(kernel_rows), int(kernel_cols)
        self.pool_rows, self.pool_cols = int(pool_rows), int(pool_cols)
        self.layer_name, self.center, self.irange, self.sparse_init = layer_name, center, irange, sparse_init
        self.scale_by_sharing, self.init_bias = bool(scale_by_sharing), float(init_bias)
        self.border_mode, self.output_axes = border_mode, tuple(output_axes)
        self.copies, self.max_col_norm = 1, None
        self.b = torch.nn.Parameter(torch.full((self.output_channels,), self.init_bias))
        self.register_buffer("mask", None)
        self.register_buffer("p_offset", None)
        self.register_buffer("h_offset", None)

    def _padding(self) -> tuple[int, int]:
        if self.border_mode == "full":
            return self.kernel_rows - 1, self.kernel_cols - 1
        return 0, 0

    def set_input_space(self, input_dim: Any, rng: np.random.Generator) -> None:
        """``input_dim``: the layer below's ``(channels, rows, cols)``."""
        if np.isscalar(input_dim) or isinstance(input_dim, ComponentInputs):
            raise ConfigError(f"{self.layer_name!r}: a convolutional layer needs a topological "
                              "layer below (GaussianVisLayer with rows/cols/channels, another "
                              "convolutional layer, or one routed part of a composite layer); "
                              f"got {input_dim!r}.")
        channels, rows, cols = (int(s) for s in input_dim)
        pr, pc = self._padding()
        det_rows = rows + 2 * pr - self.kernel_rows + 1
        det_cols = cols + 2 * pc - self.kernel_cols + 1
        if det_rows < 1 or det_cols < 1 or det_rows % self.pool_rows or det_cols % self.pool_cols:
            raise ConfigError(f"{self.layer_name!r}: the {det_rows}x{det_cols} detector map "
                              f"does not split into {self.pool_rows}x{self.pool_cols} pools.")
        self.input_shape = (channels, rows, cols)
        self.detector_shape = (self.output_channels, det_rows, det_cols)
        self.pool_shape = (self.output_channels, det_rows // self.pool_rows,
                           det_cols // self.pool_cols)
        shape = (self.output_channels, channels, self.kernel_rows, self.kernel_cols)
        if self.irange is not None:
            W = rng.uniform(-self.irange, self.irange, size=shape)
        else:
            per_channel = int(np.prod(shape[1:]))
            if self.sparse_init > per_channel:
                raise ConfigError(f"{self.layer_name!r}: sparse_init {self.sparse_init} exceeds "
                                  f"the {per_channel} weights of a kernel.")
            W = np.zeros((shape[0], per_channel))
            for k in range(shape[0]):
                W[k, rng.choice(per_channel, self.sparse_init, replace=False)] = rng.normal(
                    size=self.sparse_init)
            W = W.reshape(shape)
        self.W = torch.nn.Parameter(torch.as_tensor(W, dtype=self.b.dtype))
        if self.center:
            with torch.no_grad():
                p, h = self.init_mf_state(1)
            self.p_offset, self.h_offset = p[0].clone(), h[0].clone()

    def output_dim(self) -> int:
        return int(np.prod(self.pool_shape))

    def output_shape(self) -> tuple[int, int, int]:
        return self.pool_shape

    def get_total_state_space(self):
        return CompositeSpace([VectorSpace(self.output_dim()),
                               VectorSpace(int(np.prod(self.detector_shape)))])

    def get_output_space(self):
        return VectorSpace(self.output_dim())

    def get_lr_scalers(self) -> dict[torch.nn.Parameter, float]:
        if not self.scale_by_sharing:
            return {}
        scale = 1.0 / (self.detector_shape[1] * self.detector_shape[2])
        return {self.W: scale, self.b: scale}

    def has_constraints(self) -> bool:
        return False

    def enforce_constraints(self) -> None:
        return None

    def filter_response(self, state_below: torch.Tensor) -> torch.Tensor:
        """``conv(state_below, W)`` as (batch, channels, rows, cols), no bias."""
        v = state_below.reshape(state_below.shape[0], *self.input_shape)
        return F.conv2d(v, self.W, padding=self._padding())

    def presynaptic(self, state_below: torch.Tensor, double_weights: bool = False) -> torch.Tensor:
        below = 2.0 * state_below if double_weights else state_below
        return self.filter_response(below) + self.b.view(1, -1, 1, 1)

    def downward_message(self, downward_state: torch.Tensor) -> torch.Tensor:
        h = downward_state.reshape(downward_state.shape[0], *self.detector_shape)
        msg = F.conv_transpose2d(h, self.W, padding=self._padding())
        return msg.flatten(1) * self.copies

    def _pool(self, z: torch.Tensor, top_down: torch.Tensor | None,
              gen: torch.Generator | None = None, sample: bool = False):
        """Pool a (b, c, rows, cols) detector input; flat ``(p, h)`` (means, or samples)."""
        td = None if top_down is None else top_down.reshape(
            z.shape[0], *self.pool_shape).permute(0, 2, 3, 1)
        out = max_pool_b01c(z.permute(0, 2, 3, 1), (self.pool_rows, self.pool_cols), td,
                            gen, sample)
        p, h = out[2:] if sample else out[:2]
        return p.permute(0, 3, 1, 2).flatten(1), h.permute(0, 3, 1, 2).flatten(1)

    def mf_update(self, state_below: torch.Tensor, state_above: Any = None,
                  layer_above: Any = None, double_weights: bool = False,
                  iter_name: str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.presynaptic(state_below, double_weights)
        return self._pool(z, self._message(state_above, layer_above))

    def sample(self, state_below: Any = None, state_above: Any = None, layer_above: Any = None,
               theano_rng: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.presynaptic(state_below)
        return self._pool(z, self._message(state_above, layer_above), theano_rng, sample=True)

    def _bias_map(self, batch_size: int) -> torch.Tensor:
        return self.b.view(1, -1, 1, 1).expand(batch_size, *self.detector_shape)

    def init_mf_state(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self._pool(self._bias_map(batch_size), None)

    def make_state(self, num_examples: int, gen: torch.Generator | None = None):
        return self._pool(self._bias_map(num_examples).detach(), None, gen, sample=True)

    make_symbolic_state = make_state

    def upward_state(self, total_state: Any) -> torch.Tensor:
        p = total_state[0]
        return (p - self.p_offset if self.center else p) * self.copies

    def downward_state(self, total_state: Any) -> torch.Tensor:
        h = total_state[1]
        return (h - self.h_offset if self.center else h) * self.copies

    def expected_energy_term(self, state: Any, average: bool = False, state_below: Any = None,
                             average_below: Any = None) -> torch.Tensor:
        d = self.downward_state(state).reshape(-1, *self.detector_shape)
        bias_term = (d * self.b.view(1, -1, 1, 1)).sum((1, 2, 3))
        weights_term = (self.filter_response(state_below) * d).sum((1, 2, 3))
        return -bias_term - weights_term

    def log_partition(self, z: torch.Tensor) -> torch.Tensor:
        """log of the sum over pool configurations of exp(z . h), z flat detector input."""
        zz = z.reshape(z.shape[0], *self.detector_shape)
        c, r, cc = self.pool_shape
        g = zz.reshape(z.shape[0], c, r, self.pool_rows, cc, self.pool_cols)
        g = g.permute(0, 1, 2, 4, 3, 5).reshape(z.shape[0], c, r, cc, -1)
        with_off = torch.cat([torch.zeros_like(g[..., :1]), g], -1)
        return torch.logsumexp(with_off, -1).flatten(1).sum(-1)

    def get_monitoring_channels_from_state(self, state: Any) -> dict[str, torch.Tensor]:
        p, h = state
        return {"p_mean": p.mean(), "p_max": p.max(), "p_min": p.min(), "h_mean": h.mean(),
                "h_max": h.max(), "h_min": h.min()}

    def get_weights_topo(self) -> np.ndarray:
        """Kernels as (output_channels, rows, cols, input channels)."""
        return self.W.detach().permute(0, 2, 3, 1).cpu().numpy()


class ConvC01B_MaxPool(ConvMaxPool):
    """:class:`ConvMaxPool` with the ('c', 0, 1, 'b') axes of the original's cuda-convnet
    layer: square ``kernel_shape``, zero padding ``pad`` on each side ('valid' otherwise).
    ``partial_sum`` was a cuda-convnet speed setting; it is stored and has no effect.
    The flat states list each example's units channel-major, like ConvMaxPool's.
    """

    def __init__(self, output_channels: int, kernel_shape: Any, pool_rows: int,
                 pool_cols: int, layer_name: str, center: bool = False,
                 irange: float | None = None, sparse_init: int | None = None,
                 scale_by_sharing: bool = True, init_bias: float = 0.0, pad: int = 0,
                 partial_sum: int = 1) -> None:
        rows, cols = (int(k) for k in kernel_shape)
        super().__init__(output_channels, rows, cols, pool_rows, pool_cols, layer_name,
                         center=center, irange=irange, sparse_init=sparse_init,
                         scale_by_sharing=scale_by_sharing, init_bias=init_bias,
                         border_mode="valid", output_axes=("c", 0, 1, "b"))
        self.kernel_shape, self.pad, self.partial_sum = (rows, cols), int(pad), int(partial_sum)
        self.detector_channels, self.tied_b = self.output_channels, 1

    def _padding(self) -> tuple[int, int]:
        return self.pad, self.pad


__all__ = ["ConvMaxPool", "ConvC01B_MaxPool"]
