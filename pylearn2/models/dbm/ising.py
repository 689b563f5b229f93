"""Ising (+-1) layers for DBMs: the same energy form ``-b.s - u W s`` with states in
{-1, +1}, so a unit's conditional is ``P(s = +1) = sigmoid(2 z)`` and its mean ``tanh(z)``
for total input z. (The original's temperature ``beta`` other than 1 and its Boltzmann-
parametrised variants ``BoltzmannIsingVisible``/``BoltzmannIsingHidden`` are not built
here; asking for them is an error.)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from pylearn2.models.dbm.layer import HiddenLayer, VisibleLayer
from pylearn2.models.mlp.init import init_weights
from pylearn2.space import VectorSpace
from pylearn2.utils.exc import ConfigError


def _sample_pm1(z: torch.Tensor, gen: torch.Generator | None) -> torch.Tensor:
    return 2 * torch.bernoulli(torch.sigmoid(2 * z), generator=gen) - 1


def init_tanh_bias_from_marginals(dataset: Any, use_y: bool = False) -> np.ndarray:
    """arctanh of the data's per-unit means (+-1 data)."""
    from pylearn2.models.dbm.layer import init_tanh_bias_from_marginals as base

    return base(dataset, use_y)


class IsingVisible(VisibleLayer):
    """+-1 visible units with biases.

    Parameters
    ----------
    nvis : number of units. beta, learn_beta : the temperature (1 only here).
    bias_from_marginals : a +-1 dataset whose means set the biases (their arctanh).
    """

    def __init__(self, nvis: int, beta: float = 1.0, learn_beta: bool = False,
                 bias_from_marginals: Any = None) -> None:
        super().__init__()
        if float(beta) != 1.0 or learn_beta:
            raise ConfigError("IsingVisible: a temperature beta other than 1 (or learned) is "
                              "not available.")
        self.nvis, self.beta, self.learn_beta = int(nvis), float(beta), bool(learn_beta)
        self.bias_from_marginals = bias_from_marginals
        bias = (np.zeros(self.nvis) if bias_from_marginals is None
                else init_tanh_bias_from_marginals(bias_from_marginals))
        self.bias = torch.nn.Parameter(torch.as_tensor(bias, dtype=torch.float32))
        self.space = VectorSpace(self.nvis)
        self.center, self.copies = False, 1

    def output_dim(self) -> int:
        return self.nvis

    def get_total_state_space(self):
        return self.space

    def logits(self, state_above: Any, layer_above: Any) -> torch.Tensor:
        return layer_above.downward_message(state_above) + self.bias

    def mf_update(self, state_above: Any, layer_above: Any) -> torch.Tensor:
        return torch.tanh(self.logits(state_above, layer_above))

    def sample(self, state_below: Any = None, state_above: Any = None, layer_above: Any = None,
               theano_rng: torch.Generator | None = None) -> torch.Tensor:
        return _sample_pm1(self.logits(state_above, layer_above), theano_rng)

    def make_state(self, num_examples: int, gen: torch.Generator | None = None) -> torch.Tensor:
        return _sample_pm1(self.bias.detach().expand(num_examples, -1).contiguous(), gen)

    def expected_energy_term(self, state, average=False, state_below=None, average_below=None):
        return -(state @ self.bias)

    def log_partition(self, z: torch.Tensor) -> torch.Tensor:
        return torch.logaddexp(z, -z).sum(-1)


class IsingHidden(HiddenLayer):
    """+-1 hidden units (a single state tensor, seen the same from above and below).

    Parameters
    ----------
    dim, layer_name : size and name. irange / sparse_init (sparse_stdev), include_prob,
    init_bias, W_lr_scale, b_lr_scale, max_col_norm : as for BinaryVectorMaxPool.
    """

    def __init__(self, dim: int, layer_name: str, irange: float | None = None,
                 sparse_init: int | None = None, sparse_stdev: float = 1.0,
                 include_prob: float = 1.0, init_bias: float = 0.0,
                 W_lr_scale: float | None = None, b_lr_scale: float | None = None,
                 max_col_norm: float | None = None) -> None:
        super().__init__()
        self.dim, self.layer_name = int(dim), layer_name
        self.irange, self.sparse_init, self.sparse_stdev = irange, sparse_init, sparse_stdev
        self.include_prob, self.init_bias = include_prob, init_bias
        self.W_lr_scale, self.b_lr_scale, self.max_col_norm = W_lr_scale, b_lr_scale, max_col_norm
        self.b = torch.nn.Parameter(torch.full((self.dim,), float(init_bias)))
        self.copies, self.center, self.pool_size = 1, False, 1
        self.detector_layer_dim = self.dim

    def output_dim(self) -> int:
        return self.dim

    def get_total_state_space(self):
        return VectorSpace(self.dim)

    get_output_space = get_total_state_space

    def set_input_space(self, input_dim: int, rng: np.random.Generator) -> None:
        W = init_weights(rng, (int(input_dim), self.dim), self.layer_name, self.irange, None,
                         self.sparse_init, self.sparse_stdev)
        if self.include_prob < 1:
            W = W * (rng.uniform(size=W.shape) < self.include_prob)
        self.W = torch.nn.Parameter(torch.as_tensor(W, dtype=self.b.dtype))

    def presynaptic(self, state_below: torch.Tensor, double_weights: bool = False) -> torch.Tensor:
        below = 2.0 * state_below if double_weights else state_below
        return below @ self.W + self.b

    def _total(self, state_below, state_above, layer_above, double_weights=False):
        z = self.presynaptic(state_below, double_weights)
        msg = self._message(state_above, layer_above)
        return z if msg is None else z + msg

    def mf_update(self, state_below, state_above=None, layer_above=None, double_weights=False,
                  iter_name=None) -> torch.Tensor:
        return torch.tanh(self._total(state_below, state_above, layer_above, double_weights))

    def sample(self, state_below=None, state_above=None, layer_above=None, theano_rng=None):
        return _sample_pm1(self._total(state_below, state_above, layer_above), theano_rng)

    def init_mf_state(self, batch_size: int) -> torch.Tensor:
        return torch.tanh(self.b).expand(batch_size, -1)

    def make_state(self, num_examples: int, gen: torch.Generator | None = None) -> torch.Tensor:
        return _sample_pm1(self.b.detach().expand(num_examples, -1).contiguous(), gen)

    def expected_energy_term(self, state, average=False, state_below=None, average_below=None):
        return -(state @ self.b) - ((state_below @ self.W) * state).sum(1)

    def log_partition(self, z: torch.Tensor) -> torch.Tensor:
        return torch.logaddexp(z, -z).sum(-1)


def _unavailable(name: str):
    def build(*args: Any, **kwargs: Any):
        raise ConfigError(f"{name} (the Boltzmann-parametrised Ising layer) is not available; "
                          "use IsingVisible/IsingHidden or BinaryVector/BinaryVectorMaxPool.")
    build.__name__ = name
    return build


BoltzmannIsingVisible = _unavailable("BoltzmannIsingVisible")
BoltzmannIsingHidden = _unavailable("BoltzmannIsingHidden")

__all__ = ["IsingVisible", "IsingHidden", "BoltzmannIsingVisible", "BoltzmannIsingHidden",
           "init_tanh_bias_from_marginals"]
