"""The simplest density model: one Gaussian, fitted by maximum likelihood.

``GaussianDensity`` trains itself (``train_all`` computes the mean and the diagonal or
full covariance in one pass; ``algorithm: null`` in Train) or, through its default cost
``GaussianNLL``, by any gradient-based algorithm on its mean and log standard deviations.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from pylearn2.costs.cost import Cost
from pylearn2.models.model import Model
from pylearn2.space import VectorSpace


class GaussianDensity(Model):
    """A Gaussian over ``nvis`` dimensions: diagonal (trainable) or full covariance."""

    def __init__(self, nvis: int, diagonal: bool = True, min_variance: float = 1e-6) -> None:
        super().__init__()
        self.nvis, self.diagonal, self.min_variance = int(nvis), diagonal, float(min_variance)
        self.mean = torch.nn.Parameter(torch.zeros(self.nvis))
        self.log_std = torch.nn.Parameter(torch.zeros(self.nvis))
        self.register_buffer("covariance", torch.eye(self.nvis, dtype=torch.float64))
        self.register_buffer("fitted", torch.zeros((), dtype=torch.bool))
        self.input_space = VectorSpace(self.nvis)
        self.output_space = VectorSpace(1)

    def train_all(self, dataset: Any) -> None:
        """Maximum-likelihood fit on all of ``dataset`` (one pass)."""
        X = np.asarray(dataset.get_design_matrix(), dtype=np.float64)
        mean = X.mean(0)
        centred = X - mean
        cov = centred.T @ centred / len(X) + self.min_variance * np.eye(self.nvis)
        with torch.no_grad():
            self.mean.copy_(torch.as_tensor(mean))
            self.log_std.copy_(torch.as_tensor(0.5 * np.log(np.diag(cov))))
            self.covariance.copy_(torch.as_tensor(cov))
            self.fitted.fill_(True)

    def continue_learning(self) -> bool:
        return not bool(self.fitted)

    def log_prob(self, X: torch.Tensor) -> torch.Tensor:
        """Log density of each row of ``X``."""
        if self.diagonal:
            z = (X - self.mean) / self.log_std.exp()
            return -0.5 * (z ** 2).sum(1) - self.log_std.sum() - 0.5 * self.nvis * math.log(2 * math.pi)
        dist = torch.distributions.MultivariateNormal(self.mean.double(), self.covariance)
        return dist.log_prob(X.double()).to(X.dtype)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        eps = torch.randn((n, self.nvis), generator=generator, dtype=torch.float64)
        if self.diagonal:
            return (self.mean.double() + self.log_std.double().exp() * eps).float()
        return (self.mean.double() + eps @ torch.linalg.cholesky(self.covariance).T).float()

    def get_default_cost(self) -> Cost:
        return GaussianNLL()

    def get_monitoring_data_specs(self):
        return (self.input_space, "features")

    def get_monitoring_channels(self, data: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"log_likelihood": self.log_prob(data).mean()}


class GaussianNLL(Cost):
    """Mean negative log-likelihood of the data under the model's density."""

    def expr(self, model: Any, data: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        return -model.log_prob(data).mean()
