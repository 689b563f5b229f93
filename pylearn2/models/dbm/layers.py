"""DBM layers: a binary visible layer, binary hidden layers with probabilistic max
pooling, and a softmax layer for labels.

Every hidden layer has a state that the layer above sees ("upward state": pool units for
BinaryVectorMaxPool) and a state that the layer below connects to ("downward state":
detector units). With ``pool_size`` 1 detector and pool units coincide: ordinary binary
units.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from pylearn2.models.mlp.init import init_weights
from pylearn2.models.mlp.layer import weight_bias_lr_scalers
from pylearn2.models.model import Model
from pylearn2.space import VectorSpace
from pylearn2.utils.exc import ConfigError


class BinaryVector(Model):
    """Binary visible units with biases (optionally set from the data's marginals)."""

    def __init__(self, nvis: int, bias_from_marginals: Any = None, center: bool = False,
                 copies: int = 1, learn_init_inpainting_state: bool = False) -> None:
        super().__init__()
        if center or copies != 1:
            raise ConfigError("BinaryVector: center and copies are not supported.")
        self.nvis = int(nvis)
        self.bias_from_marginals = bias_from_marginals
        bias = np.zeros(self.nvis)
        if bias_from_marginals is not None:
            p = np.clip(np.asarray(bias_from_marginals.get_design_matrix()).mean(0), 1e-3, 1 - 1e-3)
            bias = np.log(p / (1 - p))
        self.bias = torch.nn.Parameter(torch.as_tensor(bias, dtype=torch.float32))
        self.space = VectorSpace(self.nvis)

    def output_dim(self) -> int:
        return self.nvis

    def mean_given_above(self, total_input: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.bias + total_input)

    def sample_given_above(self, total_input: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        return torch.bernoulli(self.mean_given_above(total_input), generator=gen)

    def bias_energy(self, state: torch.Tensor) -> torch.Tensor:
        return -(state @ self.bias)


class BinaryVectorMaxPool(Model):
    """Binary detector units in pools of ``pool_size``; at most one detector per pool is
    on, and the pool unit is on exactly when one of its detectors is."""

    def __init__(self, detector_layer_dim: int, pool_size: int, layer_name: str,
                 irange: float | None = None, sparse_init: int | None = None,
                 sparse_stdev: float = 1.0, include_prob: float = 1.0, init_bias: float = 0.0,
                 W_lr_scale: float | None = None, b_lr_scale: float | None = None,
                 center: bool = False, mask_weights: Any = None,
                 max_col_norm: float | None = None, copies: int = 1) -> None:
        super().__init__()
        if detector_layer_dim % pool_size:
            raise ConfigError(f"{layer_name!r}: detector_layer_dim must be a multiple of pool_size.")
        if center or copies != 1 or mask_weights is not None:
            raise ConfigError(f"{layer_name!r}: center, copies and mask_weights are not supported.")
        self.detector_layer_dim, self.pool_size = int(detector_layer_dim), int(pool_size)
        self.layer_name = layer_name
        self.irange, self.sparse_init, self.sparse_stdev = irange, sparse_init, sparse_stdev
        self.include_prob, self.init_bias = include_prob, init_bias
        self.W_lr_scale, self.b_lr_scale, self.max_col_norm = W_lr_scale, b_lr_scale, max_col_norm
        self.b = torch.nn.Parameter(torch.full((self.detector_layer_dim,), float(init_bias)))

    def output_dim(self) -> int:
        return self.detector_layer_dim // self.pool_size

    def connect(self, input_dim: int, rng: np.random.Generator) -> None:
        W = init_weights(rng, (input_dim, self.detector_layer_dim), self.layer_name, self.irange,
                         None, self.sparse_init, self.sparse_stdev)
        if self.include_prob < 1:
            W = W * (rng.uniform(size=W.shape) < self.include_prob)
        self.W = torch.nn.Parameter(torch.as_tensor(W, dtype=torch.float32))

    def pooled(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(pool means, detector means) of independent pools with detector inputs ``z``."""
        groups = z.reshape(z.shape[0], -1, self.pool_size)
        with_off = torch.cat([torch.zeros_like(groups[..., :1]), groups], dim=-1)
        probs = torch.softmax(with_off, dim=-1)
        detectors = probs[..., 1:]
        return detectors.sum(-1), detectors.reshape(z.shape)

    def sample_pooled(self, z: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        groups = z.reshape(z.shape[0], -1, self.pool_size)
        with_off = torch.cat([torch.zeros_like(groups[..., :1]), groups], dim=-1)
        probs = torch.softmax(with_off, dim=-1).reshape(-1, self.pool_size + 1)
        choice = torch.multinomial(probs, 1, generator=gen)[:, 0]
        one_hot = F.one_hot(choice, self.pool_size + 1).to(z.dtype)
        detectors = one_hot[:, 1:].reshape(z.shape)
        return detectors.reshape(z.shape[0], -1, self.pool_size).sum(-1), detectors

    def bias_energy(self, detector_state: torch.Tensor) -> torch.Tensor:
        return -(detector_state @ self.b)

    def get_lr_scalers(self) -> dict[torch.nn.Parameter, float]:
        return weight_bias_lr_scalers(self)

    def has_constraints(self) -> bool:
        return self.max_col_norm is not None

    @torch.no_grad()
    def enforce_constraints(self) -> None:
        if self.max_col_norm is not None:
            norms = self.W.pow(2).sum(0, keepdim=True).sqrt()
            self.W.mul_(norms.clamp(max=self.max_col_norm) / norms.clamp_min(1e-7))


class Softmax(BinaryVectorMaxPool):
    """A one-of-``n_classes`` layer (for labels at the top of a DBM)."""

    def __init__(self, n_classes: int, layer_name: str, irange: float | None = None,
                 sparse_init: int | None = None, W_lr_scale: float | None = None,
                 b_lr_scale: float | None = None, max_col_norm: float | None = None) -> None:
        super().__init__(detector_layer_dim=n_classes, pool_size=n_classes, layer_name=layer_name,
                         irange=irange if irange is not None or sparse_init is not None else 0.0,
                         sparse_init=sparse_init, W_lr_scale=W_lr_scale, b_lr_scale=b_lr_scale,
                         max_col_norm=max_col_norm)
        self.n_classes = int(n_classes)

    def output_dim(self) -> int:
        return self.n_classes

    def pooled(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        probs = torch.softmax(z, dim=-1)
        return probs, probs

    def sample_pooled(self, z: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        choice = torch.multinomial(torch.softmax(z, dim=-1), 1, generator=gen)[:, 0]
        one_hot = F.one_hot(choice, self.n_classes).to(z.dtype)
        return one_hot, one_hot
