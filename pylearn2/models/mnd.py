"""Multivariate normal distributions with diagonal precision, as trainable models.

:class:`DiagonalMND` has mean ``mu`` and precision ``beta`` (clipped to
``[min_beta, max_beta]`` after each update); :func:`kl_divergence` is the closed-form
KL divergence between two of them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from pylearn2.models.model import Model
from pylearn2.space import VectorSpace
from pylearn2.utils.exc import ConfigError


class DiagonalMND(Model):
    """N(mu, diag(1 / beta)) over ``nvis`` variables.

    Parameters
    ----------
    nvis : dimension. init_beta, init_mu : initial precision and mean (scalars or arrays).
    min_beta, max_beta : the precision's allowed range.
    """

    def __init__(self, nvis: int, init_beta: Any, init_mu: Any, min_beta: float,
                 max_beta: float) -> None:
        super().__init__()
        if not 0 < float(min_beta) <= float(max_beta):
            raise ConfigError(f"DiagonalMND needs 0 < min_beta <= max_beta; got {min_beta}, "
                              f"{max_beta}.")
        self.nvis, self.min_beta, self.max_beta = int(nvis), float(min_beta), float(max_beta)
        self.init_beta, self.init_mu = init_beta, init_mu
        self.mu = torch.nn.Parameter(torch.as_tensor(np.zeros(self.nvis) + np.asarray(init_mu),
                                                     dtype=torch.float32))
        self.beta = torch.nn.Parameter(torch.as_tensor(np.zeros(self.nvis) + np.asarray(init_beta),
                                                       dtype=torch.float32))
        self.input_space = VectorSpace(self.nvis)

    def has_constraints(self) -> bool:
        return True

    @torch.no_grad()
    def enforce_constraints(self) -> None:
        self.beta.clamp_(self.min_beta, self.max_beta)

    def log_prob(self, X: torch.Tensor) -> torch.Tensor:
        """log density of each row."""
        return (0.5 * torch.log(self.beta / (2 * math.pi))
                - 0.5 * self.beta * (X - self.mu).pow(2)).sum(1)

    def free_energy(self, X: torch.Tensor) -> torch.Tensor:
        return 0.5 * (self.beta * (X - self.mu).pow(2)).sum(1)

    def log_partition_function(self) -> torch.Tensor:
        return 0.5 * torch.log(2 * math.pi / self.beta).sum()

    def entropy(self) -> torch.Tensor:
        return 0.5 * (self.nvis * (1 + math.log(2 * math.pi)) - torch.log(self.beta).sum())

    def random_design_matrix(self, batch_size: int, theano_rng: Any = None) -> torch.Tensor:
        """``batch_size`` samples (``theano_rng``: a torch Generator or a seed)."""
        gen = theano_rng if isinstance(theano_rng, torch.Generator) else \
            torch.Generator().manual_seed(0 if theano_rng is None else int(theano_rng))
        noise = torch.randn(int(batch_size), self.nvis, generator=gen, dtype=self.mu.dtype)
        return self.mu + noise / self.beta.sqrt()

    def perform(self, X: torch.Tensor) -> torch.Tensor:
        return self.log_prob(X)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.log_prob(X)

    def get_default_cost(self):
        from pylearn2.costs.cost import MethodCost

        return MethodCost("negative_log_likelihood")

    def negative_log_likelihood(self, X: torch.Tensor) -> torch.Tensor:
        return -self.log_prob(X).mean()


class AdditiveDiagonalMND:
    """Additive Gaussian noise with diagonal precision ``init_beta``: ``x + noise``."""

    def __init__(self, init_beta: Any, nvis: int) -> None:
        self.init_beta, self.nvis = init_beta, int(nvis)
        self.beta = torch.as_tensor(np.zeros(self.nvis) + np.asarray(init_beta), dtype=torch.float64)

    def random_design_matrix(self, X: torch.Tensor, generator: torch.Generator | None = None):
        noise = torch.randn(X.shape, generator=generator, dtype=X.dtype, device=X.device)
        return X + noise / self.beta.to(X).sqrt()

    def is_symmetric(self) -> bool:
        return True

    def log_prob_ratio(self, X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
        """log q(Y | X) - log q(X | Y): zero for symmetric noise."""
        return torch.zeros(X.shape[0], dtype=X.dtype, device=X.device)


def kl_divergence(q: DiagonalMND, p: DiagonalMND) -> torch.Tensor:
    """KL(q || p) between diagonal Gaussians, summed over dimensions."""
    if q.nvis != p.nvis:
        raise ConfigError(f"kl_divergence: dimensions {q.nvis} and {p.nvis} differ.")
    ratio = p.beta / q.beta
    return 0.5 * (ratio - torch.log(ratio) - 1 + p.beta * (q.mu - p.mu).pow(2)).sum()


__all__ = ["DiagonalMND", "AdditiveDiagonalMND", "kl_divergence"]
