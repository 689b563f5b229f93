"""DBM layers, with the layer protocol the inference and sampling procedures use.

A layer's *total state* is what inference keeps for it: a tensor for visible and softmax
layers, a ``(pool, detector)`` pair for :class:`BinaryVectorMaxPool`. The layer above
sees ``upward_state(total)``; the layer below is connected to ``downward_state(total)``
and receives ``downward_message(downward_state)``. ``center`` subtracts a fixed offset
(the units' mean at initialisation) from both states (centered DBMs, Montavon & Mueller
2012); ``copies`` makes a layer count as that many tied copies of itself.

Energy: ``E = sum_layers expected_energy_term`` with, for a hidden layer,
``-b.d - (u_below W) . d`` (``u``: upward state below, ``d``: downward state), and
``-b_v.v`` for the binary visible layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from pylearn2.expr.probabilistic_max_pooling import max_pool_channels
from pylearn2.models.dbm.composite_layer import CompositeLayer  # noqa: F401
from pylearn2.models.dbm.conv_layers import ConvC01B_MaxPool, ConvMaxPool  # noqa: F401
from pylearn2.models.dbm.layer_base import HiddenLayer, Layer, VisibleLayer
from pylearn2.models.mlp.init import init_weights
from pylearn2.space import VectorSpace
from pylearn2.utils.exc import ConfigError


def init_sigmoid_bias_from_marginals(dataset: Any, use_y: bool = False) -> np.ndarray:
    """Logits of the data's per-unit means (clipped to [1e-3, 1-1e-3]): the visible biases
    of a model with no weights that matches the marginals."""
    X = dataset.y if use_y else dataset.get_design_matrix()
    return init_sigmoid_bias_from_array(np.asarray(X))


def init_sigmoid_bias_from_array(arr: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(arr, dtype=np.float64).mean(0), 1e-3, 1 - 1e-3)
    return np.log(p / (1 - p))


def init_tanh_bias_from_marginals(dataset: Any, use_y: bool = False) -> np.ndarray:
    """arctanh of the data's per-unit means for +-1 units (clipped like the sigmoid one)."""
    X = np.asarray(dataset.y if use_y else dataset.get_design_matrix(), dtype=np.float64)
    return np.arctanh(np.clip(X.mean(0), -1 + 2e-3, 1 - 2e-3))


class BinaryVector(VisibleLayer):
    """Binary visible units in a VectorSpace.

    Parameters
    ----------
    nvis : number of units.
    bias_from_marginals : a dataset whose per-unit means set the biases (their logits).
    center : subtract ``sigmoid(initial bias)`` from the state the layer above sees.
    copies : the layer counts as this many tied copies (scales its messages and energy).
    learn_init_inpainting_state : let gradients flow through the initial inpainting
        state ``sigmoid(bias)`` (off by default, as in the original).
    """

    def __init__(self, nvis: int, bias_from_marginals: Any = None, center: bool = False,
                 copies: int = 1, learn_init_inpainting_state: bool = False) -> None:
        super().__init__()
        self.nvis, self.center, self.copies = int(nvis), bool(center), int(copies)
        self.learn_init_inpainting_state = bool(learn_init_inpainting_state)
        self.bias_from_marginals = bias_from_marginals
        bias = (np.zeros(self.nvis) if bias_from_marginals is None
                else init_sigmoid_bias_from_marginals(bias_from_marginals))
        self.bias = torch.nn.Parameter(torch.as_tensor(bias, dtype=torch.float32))
        self.register_buffer("offset", torch.sigmoid(self.bias.detach().clone()))
        self.space = VectorSpace(self.nvis)

    def output_dim(self) -> int:
        return self.nvis

    def get_total_state_space(self):
        return self.space

    def get_biases(self) -> np.ndarray:
        return self.bias.detach().cpu().numpy()

    def set_biases(self, biases: np.ndarray, recenter: bool = False) -> None:
        with torch.no_grad():
            self.bias.copy_(torch.as_tensor(np.asarray(biases), dtype=self.bias.dtype))
            if recenter:
                if not self.center:
                    raise ConfigError("BinaryVector.set_biases(recenter=True) needs center=True.")
                self.offset.copy_(torch.sigmoid(self.bias))

    def upward_state(self, total_state: torch.Tensor) -> torch.Tensor:
        state = total_state - self.offset if self.center else total_state
        return state * self.copies

    def logits(self, state_above: Any, layer_above: Any) -> torch.Tensor:
        return layer_above.downward_message(state_above) + self.bias

    def mf_update(self, state_above: Any, layer_above: Any) -> torch.Tensor:
        return torch.sigmoid(self.logits(state_above, layer_above))

    def sample(self, state_below: Any = None, state_above: Any = None, layer_above: Any = None,
               theano_rng: torch.Generator | None = None) -> torch.Tensor:
        return torch.bernoulli(self.mf_update(state_above, layer_above), generator=theano_rng)

    def make_state(self, num_examples: int, gen: torch.Generator | None = None) -> torch.Tensor:
        p = torch.sigmoid(self.bias.detach()).expand(num_examples, -1)
        return torch.bernoulli(p.contiguous(), generator=gen)

    make_symbolic_state = make_state

    def expected_energy_term(self, state: torch.Tensor, average: bool = False,
                             state_below: Any = None, average_below: Any = None) -> torch.Tensor:
        if self.center:
            state = state - self.offset
        return -(state @ self.bias) * self.copies

    def init_inpainting_state(self, V: torch.Tensor, drop_mask: torch.Tensor | None,
                              noise: bool = False, return_unmasked: bool = False,
                              gen: torch.Generator | None = None):
        """Initial inpainting state: ``sigmoid(bias)`` where dropped, V elsewhere. With
        ``return_unmasked`` also returns the unmasked mean and its logits."""
        z = self.bias.expand_as(V)
        if not self.learn_init_inpainting_state:
            z = z.detach()
        if noise:
            z = torch.randn(V.shape, generator=gen, dtype=V.dtype, device=V.device)
        unmasked = torch.sigmoid(z)
        rval = unmasked if drop_mask is None else drop_mask * unmasked + (1 - drop_mask) * V
        return (rval, unmasked, z) if return_unmasked else rval

    def inpaint_update(self, state_above: Any, layer_above: Any, drop_mask: Any = None,
                       V: Any = None, return_unmasked: bool = False):
        z = self.logits(state_above, layer_above)
        unmasked = torch.sigmoid(z)
        rval = unmasked if drop_mask is None else drop_mask * unmasked + (1 - drop_mask) * V
        return (rval, unmasked, z) if return_unmasked else rval

    def recons_cost(self, V: torch.Tensor, V_hat_logits: torch.Tensor,
                    drop_mask: torch.Tensor | None = None, use_sum: bool = False) -> torch.Tensor:
        """Cross-entropy of V under ``sigmoid(V_hat_logits)`` over dropped units, averaged
        over examples and units (``use_sum``: summed over units, averaged over examples)."""
        cost = V * F.softplus(-V_hat_logits) + (1 - V) * F.softplus(V_hat_logits)
        if drop_mask is not None:
            cost = drop_mask * cost
        return cost.mean(0).sum() if use_sum else cost.mean()

    def log_partition(self, z: torch.Tensor) -> torch.Tensor:
        """log sum over this layer's states of exp(z . v), per example."""
        return F.softplus(z).sum(-1)


class BinaryVectorMaxPool(HiddenLayer):
    """Binary detector units in pools of ``pool_size`` with probabilistic max pooling
    (pool size 1: ordinary binary units). Total state: ``(pool, detector)``.

    Parameters
    ----------
    detector_layer_dim, pool_size, layer_name : sizes and name.
    irange / sparse_init (with sparse_stdev) : weight initialisation; include_prob keeps
        each irange weight with that probability.
    init_bias : initial detector biases. W_lr_scale, b_lr_scale : learning-rate scalers.
    center : subtract ``sigmoid(init_bias)`` from both states (pool_size 1 only).
    mask_weights : a 0/1 array (input_dim, detector_layer_dim); weights where it is 0 stay
        0 (sparse_init never draws them, and every update is masked).
    max_col_norm : column-norm constraint. copies : tied copies of the layer.
    """

    def __init__(self, detector_layer_dim: int, pool_size: int, layer_name: str,
                 irange: float | None = None, sparse_init: int | None = None,
                 sparse_stdev: float = 1.0, include_prob: float = 1.0, init_bias: float = 0.0,
                 W_lr_scale: float | None = None, b_lr_scale: float | None = None,
                 center: bool = False, mask_weights: Any = None,
                 max_col_norm: float | None = None, copies: int = 1) -> None:
        super().__init__()
        if int(detector_layer_dim) % int(pool_size):
            raise ConfigError(f"{layer_name!r}: detector_layer_dim ({detector_layer_dim}) must "
                              f"be a multiple of pool_size ({pool_size}).")
        if center and int(pool_size) != 1:
            raise ConfigError(f"{layer_name!r}: center needs pool_size 1.")
        self.detector_layer_dim, self.pool_size = int(detector_layer_dim), int(pool_size)
        self.layer_name, self.irange, self.sparse_init = layer_name, irange, sparse_init
        self.sparse_stdev, self.include_prob, self.init_bias = sparse_stdev, include_prob, init_bias
        self.W_lr_scale, self.b_lr_scale, self.max_col_norm = W_lr_scale, b_lr_scale, max_col_norm
        self.center, self.copies = bool(center), int(copies)
        self.mask_weights = None if mask_weights is None else np.asarray(mask_weights, float)
        self.b = torch.nn.Parameter(torch.full((self.detector_layer_dim,), float(init_bias)))
        self.register_buffer("offset", torch.sigmoid(self.b.detach().clone()))
        self.register_buffer("mask", None)

    def output_dim(self) -> int:
        return self.detector_layer_dim // self.pool_size

    def get_total_state_space(self):
        from pylearn2.space import CompositeSpace
        return CompositeSpace([VectorSpace(self.output_dim()), VectorSpace(self.detector_layer_dim)])

    def get_output_space(self):
        return VectorSpace(self.output_dim())

    def set_input_space(self, input_dim: Any, rng: np.random.Generator) -> None:
        shape = (self._flat_input(input_dim), self.detector_layer_dim)
        if self.mask_weights is not None and self.mask_weights.shape != shape:
            raise ConfigError(f"{self.layer_name!r}: mask_weights has shape "
                              f"{self.mask_weights.shape}, expected {shape}.")
        if self.sparse_init is not None and self.mask_weights is not None:
            W = np.zeros(shape)
            for j in range(shape[1]):
                allowed = np.flatnonzero(self.mask_weights[:, j])
                if len(allowed) < self.sparse_init:
                    raise ConfigError(f"{self.layer_name!r}: mask_weights leaves unit {j} only "
                                      f"{len(allowed)} inputs for sparse_init {self.sparse_init}.")
                rows = rng.choice(allowed, size=self.sparse_init, replace=False)
                W[rows, j] = rng.normal(size=self.sparse_init) * self.sparse_stdev
        else:
            W = init_weights(rng, shape, self.layer_name, self.irange, None, self.sparse_init,
                             self.sparse_stdev)
            if self.include_prob < 1:
                W = W * (rng.uniform(size=W.shape) < self.include_prob)
        self.W = torch.nn.Parameter(torch.as_tensor(W, dtype=self.b.dtype))
        if self.mask_weights is not None:
            self.mask = torch.as_tensor(self.mask_weights, dtype=self.b.dtype)
            self.enforce_constraints()

    def upward_state(self, total_state: Any) -> torch.Tensor:
        p, _ = total_state
        return p - self.offset if self.center else p * self.copies

    def downward_state(self, total_state: Any) -> torch.Tensor:
        _, h = total_state
        return h - self.offset if self.center else h * self.copies

    def set_biases(self, biases: np.ndarray, recenter: bool = False) -> None:
        with torch.no_grad():
            self.b.copy_(torch.as_tensor(np.asarray(biases), dtype=self.b.dtype))
            if recenter:
                if not self.center:
                    raise ConfigError(f"{self.layer_name!r}: recenter needs center=True.")
                self.offset.copy_(torch.sigmoid(self.b))

    def presynaptic(self, state_below: Any, double_weights: bool = False) -> torch.Tensor:
        below = self._joined(state_below)
        return (2.0 * below if double_weights else below) @ self.W + self.b

    def mf_update(self, state_below: torch.Tensor, state_above: Any = None,
                  layer_above: Any = None, double_weights: bool = False,
                  iter_name: str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.presynaptic(state_below, double_weights)
        return max_pool_channels(z, self.pool_size, self._message(state_above, layer_above))

    def sample(self, state_below: Any = None, state_above: Any = None, layer_above: Any = None,
               theano_rng: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.presynaptic(state_below)
        _, _, p, h = max_pool_channels(z, self.pool_size, self._message(state_above, layer_above),
                                       theano_rng, sample=True)
        return p, h

    def init_mf_state(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        return max_pool_channels(self.b.expand(batch_size, -1), self.pool_size)

    def make_state(self, num_examples: int, gen: torch.Generator | None = None):
        z = self.b.detach().expand(num_examples, -1)
        _, _, p, h = max_pool_channels(z, self.pool_size, None, gen, sample=True)
        return p, h

    make_symbolic_state = make_state

    def expected_energy_term(self, state: Any, average: bool = False, state_below: Any = None,
                             average_below: Any = None) -> torch.Tensor:
        d = self.downward_state(state)
        return (-(d @ self.b) - ((self._joined(state_below) @ self.W) * d).sum(1)) * self.copies

    def linear_feed_forward_approximation(self, state_below: torch.Tensor):
        if self.pool_size != 1:
            raise ConfigError(f"{self.layer_name!r}: the linear approximation needs pool_size 1.")
        z = self.presynaptic(state_below)
        return z, z

    def get_l1_act_cost(self, state: Any, target: float, coeff: float, eps: float | None = None):
        p, h = state
        pairs = [(h, target, coeff, eps or 0.0)] if self.pool_size == 1 else list(
            zip((p, h), target, coeff, eps or (0.0, 0.0)))
        return sum(c * (s.mean(0) - t).abs().sub(e).clamp_min(0).mean()
                   for s, t, c, e in pairs if c)

    def get_monitoring_channels_from_state(self, state: Any) -> dict[str, torch.Tensor]:
        p, h = state
        pairs = [(p, "")] if self.pool_size == 1 else [(p, "p_"), (h, "h_")]
        out = {}
        for var, prefix in pairs:
            stats = {"max_x": var.max(0).values, "min_x": var.min(0).values,
                     "mean_x": var.mean(0)}
            stats["range_x"] = stats["max_x"] - stats["min_x"]
            for name, v in stats.items():
                out[f"{prefix}{name}.max_u"] = v.max()
                out[f"{prefix}{name}.mean_u"] = v.mean()
                out[f"{prefix}{name}.min_u"] = v.min()
        return out

    def log_partition(self, z: torch.Tensor) -> torch.Tensor:
        groups = z.reshape(z.shape[0], -1, self.pool_size)
        with_off = torch.cat([torch.zeros_like(groups[..., :1]), groups], dim=-1)
        return torch.logsumexp(with_off, -1).sum(-1)

    # kept for older callers: (pool, detector) means / samples given detector inputs
    def pooled(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return max_pool_channels(z, self.pool_size)

    def sample_pooled(self, z: torch.Tensor, gen: torch.Generator | None):
        return max_pool_channels(z, self.pool_size, None, gen, sample=True)[2:]


class Softmax(HiddenLayer):
    """A one-of-``n_classes`` layer, usually the labels at the top of a DBM. Total state:
    one (batch, n_classes) tensor.

    Parameters
    ----------
    n_classes, layer_name : size and name.
    irange / sparse_init (with sparse_istdev) : weight initialisation (zeros if neither).
    W_lr_scale, b_lr_scale, max_col_norm, copies : as for BinaryVectorMaxPool.
    center : subtract ``softmax(initial b)`` from the state the neighbours see.
    learn_init_inpainting_state : gradients flow through the initial inpainting state
        ``softmax(b)`` (on by default, as in the original).
    """

    presynaptic_name = "presynaptic_Y_hat"

    def __init__(self, n_classes: int, layer_name: str, irange: float | None = None,
                 sparse_init: int | None = None, sparse_istdev: float = 1.0,
                 W_lr_scale: float | None = None, b_lr_scale: float | None = None,
                 max_col_norm: float | None = None, copies: int = 1, center: bool = False,
                 learn_init_inpainting_state: bool = True) -> None:
        super().__init__()
        self.n_classes, self.layer_name = int(n_classes), layer_name
        self.irange, self.sparse_init, self.sparse_istdev = irange, sparse_init, sparse_istdev
        self.W_lr_scale, self.b_lr_scale, self.max_col_norm = W_lr_scale, b_lr_scale, max_col_norm
        self.copies, self.center = int(copies), bool(center)
        self.learn_init_inpainting_state = bool(learn_init_inpainting_state)
        self.b = torch.nn.Parameter(torch.zeros(self.n_classes))
        self.register_buffer("offset", torch.softmax(self.b.detach().clone(), 0))
        self.pool_size = self.n_classes
        self.detector_layer_dim = self.n_classes

    def output_dim(self) -> int:
        return self.n_classes

    def get_total_state_space(self):
        return VectorSpace(self.n_classes)

    get_output_space = get_total_state_space

    def set_input_space(self, input_dim: Any, rng: np.random.Generator) -> None:
        W = init_weights(rng, (self._flat_input(input_dim), self.n_classes), self.layer_name, self.irange,
                         None, self.sparse_init, self.sparse_istdev, allow_zero=True)
        self.W = torch.nn.Parameter(torch.as_tensor(W, dtype=self.b.dtype))

    def upward_state(self, total_state: torch.Tensor) -> torch.Tensor:
        return total_state - self.offset if self.center else total_state

    downward_state = upward_state

    def presynaptic(self, state_below: Any, double_weights: bool = False) -> torch.Tensor:
        if double_weights:
            raise ConfigError(f"{self.layer_name!r}: a Softmax layer never doubles its weights.")
        return self._joined(state_below) @ self.W + self.b

    def mf_update(self, state_below: torch.Tensor, state_above: Any = None,
                  layer_above: Any = None, double_weights: bool = False,
                  iter_name: str | None = None) -> torch.Tensor:
        if state_above is not None:
            raise ConfigError(f"{self.layer_name!r}: a Softmax layer must be the top layer.")
        return torch.softmax(self.presynaptic(state_below, double_weights), -1)

    def sample(self, state_below: Any = None, state_above: Any = None, layer_above: Any = None,
               theano_rng: torch.Generator | None = None) -> torch.Tensor:
        probs = self.mf_update(state_below, state_above, layer_above)
        choice = torch.multinomial(probs, 1, generator=theano_rng)[:, 0]
        return F.one_hot(choice, self.n_classes).to(probs.dtype)

    def init_mf_state(self, batch_size: int) -> torch.Tensor:
        return torch.softmax(self.b, -1).expand(batch_size, -1)

    def make_state(self, num_examples: int, gen: torch.Generator | None = None) -> torch.Tensor:
        probs = torch.softmax(self.b.detach(), -1).expand(num_examples, -1).contiguous()
        choice = torch.multinomial(probs, 1, generator=gen)[:, 0]
        return F.one_hot(choice, self.n_classes).to(probs.dtype)

    make_symbolic_state = make_state

    def expected_energy_term(self, state: torch.Tensor, average: bool = False,
                             state_below: Any = None, average_below: Any = None) -> torch.Tensor:
        s = self.downward_state(state)
        return (-(s @ self.b) - ((self._joined(state_below) @ self.W) * s).sum(1)) * self.copies

    def init_inpainting_state(self, Y: torch.Tensor, noise: bool = False,
                              gen: torch.Generator | None = None):
        """``(softmax(b), b)`` broadcast to Y's shape (random logits with ``noise``)."""
        z = self.b.expand_as(Y)
        if not self.learn_init_inpainting_state:
            z = z.detach()
        if noise:
            z = torch.randn(Y.shape, generator=gen, dtype=Y.dtype, device=Y.device)
        return torch.softmax(z, -1), z

    def recons_cost(self, Y: torch.Tensor, Y_hat_logits: torch.Tensor,
                    drop_mask_Y: torch.Tensor, scale: float) -> torch.Tensor:
        """``-scale * copies * mean_examples(drop_mask_Y * log P(Y))``; ``scale`` puts it on
        the visible cost's per-unit scale (``1/nvis``)."""
        log_prob = (Y * torch.log_softmax(Y_hat_logits, -1)).sum(1)
        return -(log_prob * drop_mask_Y).mean() * scale * self.copies

    def get_monitoring_channels_from_state(self, state: torch.Tensor) -> dict[str, torch.Tensor]:
        mx = state.max(1).values
        return {"mean_max_class": mx.mean(), "max_max_class": mx.max(),
                "min_max_class": mx.min()}

    def log_partition(self, z: torch.Tensor) -> torch.Tensor:
        return torch.logsumexp(z, -1)


class GaussianVisLayer(VisibleLayer):
    """Real-valued visible units with a diagonal precision ``beta`` (vector form).

    Energy ``0.5 * sum beta (v - mu)^2 - v . message / copies``: given the layer above,
    ``v ~ N(mu + message / beta, 1 / beta)``. ``min_beta`` clips beta after each update.
    With rows/cols/channels instead of nvis it is the topological form a convolutional
    layer above needs (states stay flat, channel-major per example).
    """

    def __init__(self, nvis: int | None = None, rows: int | None = None, cols: int | None = None,
                 channels: int | None = None, learn_init_inpainting_state: bool = True,
                 init_beta: float = 1.0, min_beta: float = 1.0, init_mu: Any = None,
                 tie_beta: Any = None, tie_mu: Any = None, bias_from_marginals: Any = None,
                 beta_lr_scale: Any = "by_sharing", axes: Any = ("b", 0, 1, "c")) -> None:
        super().__init__()
        topo = (rows, cols, channels)
        if tie_beta or tie_mu or (nvis is None and None in topo) or (
                nvis is not None and any(t is not None for t in topo)):
            raise ConfigError("GaussianVisLayer: give nvis, or all of rows/cols/channels (the "
                              "topological form, for convolutional layers); tie_beta/tie_mu "
                              "are not available.")
        self.rows, self.cols, self.channels, self.axes = rows, cols, channels, tuple(axes)
        if nvis is None:
            nvis = int(rows) * int(cols) * int(channels)
        self.nvis, self.min_beta, self.copies, self.center = int(nvis), float(min_beta), 1, False
        self.learn_init_inpainting_state = learn_init_inpainting_state
        self.beta_lr_scale = beta_lr_scale
        if bias_from_marginals is not None:
            init_mu = np.asarray(bias_from_marginals.get_design_matrix()).mean(0)
        mu = np.zeros(self.nvis) + (0.0 if init_mu is None else np.asarray(init_mu, float))
        self.mu = torch.nn.Parameter(torch.as_tensor(mu, dtype=torch.float32))
        self.beta = torch.nn.Parameter(torch.full((self.nvis,), float(init_beta)))
        self.space = VectorSpace(self.nvis)

    def output_dim(self) -> int:
        return self.nvis

    def output_shape(self) -> tuple[int, int, int] | None:
        """(channels, rows, cols) of the topological form (flat states list each example's
        units channel-major); None for the vector form."""
        if self.rows is None:
            return None
        return int(self.channels), int(self.rows), int(self.cols)

    def get_total_state_space(self):
        return self.space

    def has_constraints(self) -> bool:
        return True

    @torch.no_grad()
    def enforce_constraints(self) -> None:
        self.beta.clamp_(self.min_beta, 1e6)

    def mean(self, state_above: Any, layer_above: Any) -> torch.Tensor:
        return self.mu + layer_above.downward_message(state_above) / self.beta

    def mf_update(self, state_above: Any, layer_above: Any) -> torch.Tensor:
        return self.mean(state_above, layer_above)

    def sample(self, state_below: Any = None, state_above: Any = None, layer_above: Any = None,
               theano_rng: torch.Generator | None = None) -> torch.Tensor:
        m = self.mean(state_above, layer_above)
        noise = torch.randn(m.shape, generator=theano_rng, dtype=m.dtype, device=m.device)
        return m + noise / self.beta.sqrt()

    def make_state(self, num_examples: int, gen: torch.Generator | None = None) -> torch.Tensor:
        mu = self.mu.detach().expand(num_examples, -1)
        return mu + torch.randn(mu.shape, generator=gen, dtype=mu.dtype) / self.beta.detach().sqrt()

    def expected_energy_term(self, state: torch.Tensor, average: bool = False,
                             state_below: Any = None, average_below: Any = None) -> torch.Tensor:
        return 0.5 * (self.beta * (state - self.mu).pow(2)).sum(1)

    def init_inpainting_state(self, V, drop_mask, noise=False, return_unmasked=False, gen=None):
        unmasked = self.mu.expand_as(V)
        if not self.learn_init_inpainting_state:
            unmasked = unmasked.detach()
        rval = unmasked if drop_mask is None else drop_mask * unmasked + (1 - drop_mask) * V
        return (rval, unmasked, unmasked) if return_unmasked else rval

    def inpaint_update(self, state_above, layer_above, drop_mask=None, V=None,
                       return_unmasked=False):
        unmasked = self.mean(state_above, layer_above)
        rval = unmasked if drop_mask is None else drop_mask * unmasked + (1 - drop_mask) * V
        return (rval, unmasked, unmasked) if return_unmasked else rval

    def recons_cost(self, V, V_hat_unmasked, drop_mask=None, use_sum=False):
        """Gaussian negative log-likelihood of V under N(V_hat, 1/beta) over dropped units."""
        cost = 0.5 * self.beta * (V - V_hat_unmasked).pow(2) - 0.5 * torch.log(
            self.beta / (2 * np.pi))
        if drop_mask is not None:
            cost = drop_mask * cost
        return cost.mean(0).sum() if use_sum else cost.mean()


class BVMP_Gaussian(BinaryVectorMaxPool):
    """:class:`BinaryVectorMaxPool` above a :class:`GaussianVisLayer` ``input_layer``: the
    detectors see ``(beta * v) W + b``, so the energy term is ``-b.h - (beta * v) W h`` and
    the visible mean given ``h`` is ``mu + W h`` whatever the precision. Other arguments
    as for BinaryVectorMaxPool."""

    def __init__(self, input_layer: GaussianVisLayer, detector_layer_dim: int, pool_size: int,
                 layer_name: str, irange: float | None = None, sparse_init: int | None = None,
                 sparse_stdev: float = 1.0, include_prob: float = 1.0, init_bias: float = 0.0,
                 W_lr_scale: float | None = None, b_lr_scale: float | None = None,
                 center: bool = False, mask_weights: Any = None,
                 max_col_norm: float | None = None, copies: int = 1) -> None:
        super().__init__(detector_layer_dim, pool_size, layer_name, irange=irange,
                         sparse_init=sparse_init, sparse_stdev=sparse_stdev,
                         include_prob=include_prob, init_bias=init_bias, W_lr_scale=W_lr_scale,
                         b_lr_scale=b_lr_scale, center=center, mask_weights=mask_weights,
                         max_col_norm=max_col_norm, copies=copies)
        if not isinstance(input_layer, GaussianVisLayer):
            raise ConfigError(f"{layer_name!r}: BVMP_Gaussian's input_layer must be a "
                              f"GaussianVisLayer, got {type(input_layer).__name__}.")
        # a plain attribute, not a submodule: the DBM owns the visible layer's parameters
        self.__dict__["input_layer"] = input_layer

    def link_below(self, below: Any) -> None:
        """Use the DBM's own visible layer (a rebuilt model file passes a copy)."""
        if not isinstance(below, GaussianVisLayer):
            raise ConfigError(f"{self.layer_name!r}: BVMP_Gaussian must sit right above a "
                              f"GaussianVisLayer, got {type(below).__name__}.")
        self.__dict__["input_layer"] = below

    def _scaled(self, state_below: torch.Tensor) -> torch.Tensor:
        return state_below * self.input_layer.beta

    def presynaptic(self, state_below: torch.Tensor, double_weights: bool = False) -> torch.Tensor:
        return super().presynaptic(self._scaled(state_below), double_weights)

    def downward_message(self, downward_state: torch.Tensor) -> torch.Tensor:
        return super().downward_message(downward_state) * self.input_layer.beta

    def expected_energy_term(self, state: Any, average: bool = False, state_below: Any = None,
                             average_below: Any = None) -> torch.Tensor:
        return super().expected_energy_term(state, average, self._scaled(state_below))


DenseMaxPool = BinaryVectorMaxPool

__all__ = ["Layer", "VisibleLayer", "HiddenLayer", "BinaryVector", "BinaryVectorMaxPool",
           "Softmax", "GaussianVisLayer", "DenseMaxPool", "init_sigmoid_bias_from_marginals",
           "init_sigmoid_bias_from_array", "init_tanh_bias_from_marginals", "ConvMaxPool",
           "ConvC01B_MaxPool", "BVMP_Gaussian", "CompositeLayer"]

