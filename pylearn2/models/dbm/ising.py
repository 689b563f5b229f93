"""Ising (+-1) layers for DBMs.

:class:`IsingVisible` and :class:`IsingHidden` have the energy ``beta * (-b.s - u W s)``
with states in {-1, +1} and an inverse temperature ``beta`` shared by the whole model: a
unit with total input z is +1 with probability ``sigmoid(2 beta z)`` and has mean
``tanh(beta z)``.

:class:`BoltzmannIsingVisible` and :class:`BoltzmannIsingHidden` are a binary RBM written
in Ising form: the learned parameters are those of the {0, 1} Boltzmann machine
``-c.x - d.y - x W y`` and the layers run on ``s = 2x - 1`` with the equivalent Ising
parameters ``W / 4``, ``c / 2 + W 1 / 4`` and ``d / 2 + W^T 1 / 4``, so both describe the
same distribution. Clipping of the Ising parameters (``min_ising_*``/``max_ising_*``,
applied after each update) and noisy Ising parameters for sampling
(``sampling_W_stdev``/``sampling_b_stdev``, redrawn after each update) act on that form.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from pylearn2.models.dbm.layer import (
    HiddenLayer,
    VisibleLayer,
    init_sigmoid_bias_from_array,
    init_tanh_bias_from_marginals,
)
from pylearn2.models.mlp.init import init_weights
from pylearn2.space import VectorSpace
from pylearn2.utils.exc import ConfigError


def _sample_pm1(z: torch.Tensor, gen: torch.Generator | None) -> torch.Tensor:
    """+-1 samples with P(+1) = sigmoid(2 z)."""
    return 2 * torch.bernoulli(torch.sigmoid(2 * z), generator=gen) - 1


def _set_beta(layer: Any, beta: Any, learn_beta: bool) -> None:
    """The inverse temperature: a learned Parameter (the very one given, when it is a
    Parameter such as ``sharedX(1.)``, so several layers share it) or a fixed buffer. The
    recorded argument is its value, so model files rebuild it."""
    if isinstance(beta, torch.Tensor) and beta.numel() != 1:
        raise ConfigError(f"{type(layer).__name__}: beta must be a scalar, got shape "
                          f"{tuple(beta.shape)}.")
    value = float(beta.detach().reshape(()) if isinstance(beta, torch.Tensor) else beta)
    if value <= 0:
        raise ConfigError(f"{type(layer).__name__}: beta must be positive, got {value}.")
    if learn_beta:
        layer.beta = beta if isinstance(beta, torch.nn.Parameter) else torch.nn.Parameter(
            torch.tensor(value))
    else:
        layer.register_buffer("beta", torch.tensor(value))
    layer.learn_beta = bool(learn_beta)
    layer._init_args["beta"] = value


class IsingVisible(VisibleLayer):
    """+-1 visible units with biases.

    Parameters
    ----------
    nvis : number of units.
    beta : inverse temperature (a number, or a shared scalar Parameter); every layer of
        the model must use the same one.
    learn_beta : train beta.
    bias_from_marginals : a +-1 dataset whose means set the biases (their arctanh).
    """

    def __init__(self, nvis: int, beta: Any = 1.0, learn_beta: bool = False,
                 bias_from_marginals: Any = None) -> None:
        super().__init__()
        self.nvis = int(nvis)
        self.bias_from_marginals = bias_from_marginals
        bias = (np.zeros(self.nvis) if bias_from_marginals is None
                else init_tanh_bias_from_marginals(bias_from_marginals))
        self.bias = torch.nn.Parameter(torch.as_tensor(bias, dtype=torch.float32))
        _set_beta(self, beta, learn_beta)
        self.space = VectorSpace(self.nvis)
        self.center, self.copies = False, 1

    def output_dim(self) -> int:
        return self.nvis

    def get_total_state_space(self):
        return self.space

    def get_biases(self) -> np.ndarray:
        return self.bias.detach().cpu().numpy()

    def ising_bias(self, for_sampling: bool = False) -> torch.Tensor:
        return self.bias

    def logits(self, state_above: Any, layer_above: Any, for_sampling: bool = False):
        """beta times the total input (so P(+1) = sigmoid(2 * logits))."""
        message = layer_above.downward_message(state_above)
        return self.beta * (message + self.ising_bias(for_sampling))

    def mf_update(self, state_above: Any, layer_above: Any) -> torch.Tensor:
        return torch.tanh(self.logits(state_above, layer_above))

    def sample(self, state_below: Any = None, state_above: Any = None, layer_above: Any = None,
               theano_rng: torch.Generator | None = None) -> torch.Tensor:
        return _sample_pm1(self.logits(state_above, layer_above, for_sampling=True), theano_rng)

    def make_state(self, num_examples: int, gen: torch.Generator | None = None) -> torch.Tensor:
        z = (self.beta * self.ising_bias()).detach().expand(num_examples, -1).contiguous()
        return _sample_pm1(z, gen)

    make_symbolic_state = make_state

    def expected_energy_term(self, state, average=False, state_below=None, average_below=None):
        return -self.beta * (state @ self.ising_bias())

    def log_partition(self, z: torch.Tensor) -> torch.Tensor:
        return torch.logaddexp(self.beta * z, -self.beta * z).sum(-1)


class IsingHidden(HiddenLayer):
    """+-1 hidden units (a single state tensor, seen the same from above and below).

    Parameters
    ----------
    dim, layer_name : size and name. beta, learn_beta : as for IsingVisible.
    irange / sparse_init (sparse_stdev), include_prob, init_bias, W_lr_scale, b_lr_scale,
    max_col_norm : as for BinaryVectorMaxPool.
    """

    def __init__(self, dim: int, layer_name: str, beta: Any = 1.0, learn_beta: bool = False,
                 irange: float | None = None, sparse_init: int | None = None,
                 sparse_stdev: float = 1.0, include_prob: float = 1.0, init_bias: float = 0.0,
                 W_lr_scale: float | None = None, b_lr_scale: float | None = None,
                 max_col_norm: float | None = None) -> None:
        super().__init__()
        self.dim, self.layer_name = int(dim), layer_name
        self.irange, self.sparse_init, self.sparse_stdev = irange, sparse_init, sparse_stdev
        self.include_prob, self.init_bias = include_prob, init_bias
        self.W_lr_scale, self.b_lr_scale, self.max_col_norm = W_lr_scale, b_lr_scale, max_col_norm
        self.b = torch.nn.Parameter(torch.full((self.dim,), float(init_bias)))
        _set_beta(self, beta, learn_beta)
        self.copies, self.center, self.pool_size = 1, False, 1
        self.detector_layer_dim = self.dim

    def output_dim(self) -> int:
        return self.dim

    def get_total_state_space(self):
        return VectorSpace(self.dim)

    get_output_space = get_total_state_space

    def set_input_space(self, input_dim: Any, rng: np.random.Generator) -> None:
        W = init_weights(rng, (self._flat_input(input_dim), self.dim), self.layer_name,
                         self.irange, None, self.sparse_init, self.sparse_stdev)
        if self.include_prob < 1:
            W = W * (rng.uniform(size=W.shape) < self.include_prob)
        bias = next(iter(self.parameters()))  # b (or boltzmann_b): the layer's dtype
        self.W = torch.nn.Parameter(torch.as_tensor(W, dtype=bias.dtype))

    # the Ising form of the parameters (the learned ones here; see the Boltzmann layers)
    def ising_weights(self, for_sampling: bool = False) -> torch.Tensor:
        return self.W

    def ising_b(self, for_sampling: bool = False) -> torch.Tensor:
        return self.b

    def downward_message(self, downward_state: torch.Tensor) -> Any:
        return self._split(downward_state @ self.ising_weights().T)

    def presynaptic(self, state_below: Any, double_weights: bool = False,
                    for_sampling: bool = False) -> torch.Tensor:
        below = self._joined(state_below)
        below = 2.0 * below if double_weights else below
        return below @ self.ising_weights(for_sampling) + self.ising_b(for_sampling)

    def _total(self, state_below, state_above, layer_above, double_weights=False,
               for_sampling=False):
        z = self.presynaptic(state_below, double_weights, for_sampling)
        msg = self._message(state_above, layer_above)
        return self.beta * (z if msg is None else z + msg)

    def mf_update(self, state_below, state_above=None, layer_above=None, double_weights=False,
                  iter_name=None) -> torch.Tensor:
        return torch.tanh(self._total(state_below, state_above, layer_above, double_weights))

    def sample(self, state_below=None, state_above=None, layer_above=None, theano_rng=None):
        z = self._total(state_below, state_above, layer_above, for_sampling=True)
        return _sample_pm1(z, theano_rng)

    def init_mf_state(self, batch_size: int) -> torch.Tensor:
        return torch.tanh(self.beta * self.ising_b()).expand(batch_size, -1)

    def make_state(self, num_examples: int, gen: torch.Generator | None = None) -> torch.Tensor:
        z = (self.beta * self.ising_b()).detach().expand(num_examples, -1).contiguous()
        return _sample_pm1(z, gen)

    make_symbolic_state = make_state

    def expected_energy_term(self, state, average=False, state_below=None, average_below=None):
        below = self._joined(state_below)
        return -self.beta * (state @ self.ising_b()
                             + ((below @ self.ising_weights()) * state).sum(1))

    def linear_feed_forward_approximation(self, state_below: torch.Tensor):
        z = self.beta * self.presynaptic(state_below)
        return z, z

    def get_l2_act_cost(self, state: torch.Tensor, target: float, coeff: float):
        return coeff * (state.mean(0) - target).pow(2).mean()

    def get_monitoring_channels_from_state(self, state: torch.Tensor) -> dict[str, torch.Tensor]:
        stats = {"max_x": state.max(0).values, "min_x": state.min(0).values,
                 "mean_x": state.mean(0)}
        stats["range_x"] = stats["max_x"] - stats["min_x"]
        return {f"{name}.{agg}_u": getattr(v, agg)()
                for name, v in stats.items() for agg in ("max", "mean", "min")}

    def log_partition(self, z: torch.Tensor) -> torch.Tensor:
        return torch.logaddexp(self.beta * z, -self.beta * z).sum(-1)


class BoltzmannIsingVisible(IsingVisible):
    """+-1 visible units whose learned bias is the {0, 1} Boltzmann machine's
    (``boltzmann_bias``); its Ising bias ``boltzmann_bias / 2 + W 1 / 4`` needs the
    :class:`BoltzmannIsingHidden` above (which links itself). Noise and clipping are
    the hidden layer's business.

    Parameters
    ----------
    nvis, beta, learn_beta : as for IsingVisible.
    bias_from_marginals : a +-1 dataset; the biases are the logits of its {0, 1} means.
    """

    def __init__(self, nvis: int, beta: Any = 1.0, learn_beta: bool = False,
                 bias_from_marginals: Any = None) -> None:
        super().__init__(nvis, beta, learn_beta)
        self.bias_from_marginals = bias_from_marginals
        bias = np.zeros(self.nvis) if bias_from_marginals is None else \
            init_sigmoid_bias_from_array(np.asarray(bias_from_marginals.get_design_matrix())
                                         / 2.0 + 0.5)
        del self.bias
        self.boltzmann_bias = torch.nn.Parameter(torch.as_tensor(bias, dtype=torch.float32))
        self.__dict__["layer_above"] = None

    def _above(self) -> BoltzmannIsingHidden:
        if self.layer_above is None:
            raise ConfigError("BoltzmannIsingVisible needs a BoltzmannIsingHidden layer above "
                              "it (its layer_below).")
        return self.layer_above

    def get_biases(self) -> np.ndarray:
        return self.boltzmann_bias.detach().cpu().numpy()

    def ising_bias(self, for_sampling: bool = False) -> torch.Tensor:
        above = self._above()
        if for_sampling and above.noisy_bv is not None:
            return above.noisy_bv
        return 0.5 * self.boltzmann_bias + 0.25 * above.W.sum(1)

    def logits(self, state_above: Any, layer_above: Any, for_sampling: bool = True):
        # like the original, the visible layer always uses the sampling parameters
        message = layer_above.downward_message(state_above, for_sampling=for_sampling)
        return self.beta * (message + self.ising_bias(for_sampling))

    def make_state(self, num_examples: int, gen: torch.Generator | None = None) -> torch.Tensor:
        z = (self.beta * self.ising_bias()).detach().expand(num_examples, -1).contiguous()
        return _sample_pm1(z, gen)

    make_symbolic_state = make_state


class BoltzmannIsingHidden(IsingHidden):
    """+-1 hidden units of a binary RBM in Ising form (the DBM's only hidden layer, above a
    :class:`BoltzmannIsingVisible`). Learned: the Boltzmann ``W`` and ``boltzmann_b``;
    used: ``W / 4`` and ``boltzmann_b / 2 + W^T 1 / 4``.

    Parameters
    ----------
    dim, layer_name : size and name. layer_below : the BoltzmannIsingVisible below (the
        DBM links the layer it is given in any case).
    beta, learn_beta : as for IsingVisible; a learned beta is clipped to [1, 1000].
    irange / sparse_init (sparse_stdev), include_prob, init_bias, W_lr_scale, b_lr_scale,
    max_col_norm : as for IsingHidden. beta_lr_scale : learning-rate scaler of beta.
    min_ising_b, max_ising_b, min_ising_W, max_ising_W : bounds on the Ising biases (both
        layers) and weights, enforced after every update through the Boltzmann ones.
    sampling_W_stdev, sampling_b_stdev : Gaussian noise on the Ising weights / biases used
        for sampling (and the visible layer's updates), redrawn after every update.
    """

    def __init__(self, dim: int, layer_name: str, layer_below: Any, beta: Any = 1.0,
                 learn_beta: bool = False, irange: float | None = None,
                 sparse_init: int | None = None, sparse_stdev: float = 1.0,
                 include_prob: float = 1.0, init_bias: float = 0.0,
                 W_lr_scale: float | None = None, b_lr_scale: float | None = None,
                 beta_lr_scale: float | None = None, max_col_norm: float | None = None,
                 min_ising_b: float | None = None, max_ising_b: float | None = None,
                 min_ising_W: float | None = None, max_ising_W: float | None = None,
                 sampling_W_stdev: float | None = None,
                 sampling_b_stdev: float | None = None) -> None:
        super().__init__(dim, layer_name, beta, learn_beta, irange, sparse_init, sparse_stdev,
                         include_prob, init_bias, W_lr_scale, b_lr_scale, max_col_norm)
        self.boltzmann_b = self.b
        del self.b
        self.beta_lr_scale = beta_lr_scale
        self.min_ising_b, self.max_ising_b = min_ising_b, max_ising_b
        self.min_ising_W, self.max_ising_W = min_ising_W, max_ising_W
        self.sampling_W_stdev, self.sampling_b_stdev = sampling_W_stdev, sampling_b_stdev
        for name in ("noisy_W", "noisy_b", "noisy_bv"):
            self.register_buffer(name, None)
        self.__dict__["layer_below"] = None
        if layer_below is not None:
            self.link_below(layer_below)

    def link_below(self, below: Any) -> None:
        """Connect to the BoltzmannIsingVisible below (the DBM calls this)."""
        if not isinstance(below, BoltzmannIsingVisible):
            raise ConfigError(f"{self.layer_name!r}: a BoltzmannIsingHidden layer goes right "
                              "above a BoltzmannIsingVisible layer (the binary RBM in Ising "
                              f"form); got {type(below).__name__} below.")
        self.__dict__["layer_below"] = below
        below.__dict__["layer_above"] = self

    def set_input_space(self, input_dim: Any, rng: np.random.Generator) -> None:
        super().set_input_space(input_dim, rng)
        self._noise = torch.Generator().manual_seed(int(rng.integers(2 ** 31)))
        self.enforce_constraints()

    # -- the Ising form -----------------------------------------------------------------
    def ising_weights(self, for_sampling: bool = False) -> torch.Tensor:
        if for_sampling and self.noisy_W is not None:
            return self.noisy_W
        return 0.25 * self.W

    def ising_b(self, for_sampling: bool = False) -> torch.Tensor:
        if for_sampling and self.noisy_b is not None:
            return self.noisy_b
        return 0.5 * self.boltzmann_b + 0.25 * self.W.sum(0)

    def downward_message(self, downward_state: torch.Tensor, for_sampling: bool = False) -> Any:
        return self._split(downward_state @ self.ising_weights(for_sampling).T)

    def get_biases(self) -> np.ndarray:
        return self.boltzmann_b.detach().cpu().numpy()

    # -- training -----------------------------------------------------------------------
    def get_lr_scalers(self) -> dict[torch.nn.Parameter, float]:
        scalers = {}
        for param, scale in ((self.W, self.W_lr_scale), (self.boltzmann_b, self.b_lr_scale),
                             (self.beta, self.beta_lr_scale if self.learn_beta else None)):
            if scale is not None:
                scalers[param] = float(scale)
        return scalers

    def _clips(self) -> bool:
        return any(v is not None for v in (self.min_ising_b, self.max_ising_b,
                                           self.min_ising_W, self.max_ising_W))

    def has_constraints(self) -> bool:
        return (self.learn_beta or self.max_col_norm is not None or self._clips()
                or self.sampling_W_stdev is not None or self.sampling_b_stdev is not None)

    @torch.no_grad()
    def enforce_constraints(self) -> None:
        if self.learn_beta:
            self.beta.clamp_(1.0, 1000.0)
        if self.max_col_norm is not None:
            norms = self.W.pow(2).sum(0, keepdim=True).sqrt()
            self.W.mul_(norms.clamp(max=self.max_col_norm) / (1e-7 + norms))
        below = self.layer_below
        if self._clips():
            def bound(x, low, high):
                return x.clamp(-1e6 if low is None else low, 1e6 if high is None else high)
            W = self.W.clone()
            ising_W = bound(0.25 * W, self.min_ising_W, self.max_ising_W)
            ising_bv = bound(0.5 * below.boltzmann_bias + 0.25 * W.sum(1), self.min_ising_b,
                             self.max_ising_b)
            ising_bh = bound(0.5 * self.boltzmann_b + 0.25 * W.sum(0), self.min_ising_b,
                             self.max_ising_b)
            self.W.copy_(4.0 * ising_W)
            below.boltzmann_bias.copy_(2.0 * (ising_bv - ising_W.sum(1)))
            self.boltzmann_b.copy_(2.0 * (ising_bh - ising_W.sum(0)))
        if self.sampling_W_stdev is not None:
            W = self.ising_weights()
            self.noisy_W = W + float(self.sampling_W_stdev) * torch.randn(
                W.shape, generator=self._noise, dtype=W.dtype)
        if self.sampling_b_stdev is not None:
            bv, bh = below.ising_bias(), self.ising_b()
            self.noisy_bv = bv + float(self.sampling_b_stdev) * torch.randn(
                bv.shape, generator=self._noise, dtype=bv.dtype)
            self.noisy_b = bh + float(self.sampling_b_stdev) * torch.randn(
                bh.shape, generator=self._noise, dtype=bh.dtype)


__all__ = ["IsingVisible", "IsingHidden", "BoltzmannIsingVisible", "BoltzmannIsingHidden",
           "init_tanh_bias_from_marginals"]
