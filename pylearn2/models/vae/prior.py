"""Priors over a VAE's latent variables."""

from __future__ import annotations

import math

import torch

from pylearn2.models.model import Model


class Prior(Model):
    """Base class of p(z): :meth:`initialize` is called by the VAE with the number of
    latent units; subclasses give ``log_prob``, ``sample`` and ``get_params_tuple``."""

    def initialize(self, nhid: int, learn: bool) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement initialize.")

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement log_prob.")


class DiagonalGaussianPrior(Prior):
    """N(mean, diag(sigma^2)) over the latent units; learned when the VAE says so."""

    def get_params_tuple(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean, log_sigma): the prior's parameters as a KL integrator takes them."""
        return self.mean, self.log_sigma

    def initialize(self, nhid: int, learn: bool) -> None:
        mean, log_sigma = torch.zeros(nhid), torch.zeros(nhid)
        if learn:
            self.mean, self.log_sigma = torch.nn.Parameter(mean), torch.nn.Parameter(log_sigma)
        else:
            self.register_buffer("mean", mean)
            self.register_buffer("log_sigma", log_sigma)

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        u = (z - self.mean) / self.log_sigma.exp()
        return (-0.5 * u ** 2 - self.log_sigma - 0.5 * math.log(2 * math.pi)).sum(-1)

    def kl_from(self, mean: torch.Tensor, log_sigma: torch.Tensor) -> torch.Tensor:
        """KL(N(mean, sigma^2) || prior) per example, in closed form."""
        var_ratio = (2 * (log_sigma - self.log_sigma)).exp()
        diff = ((mean - self.mean) / self.log_sigma.exp()) ** 2
        return 0.5 * (var_ratio + diff - 1 - 2 * (log_sigma - self.log_sigma)).sum(-1)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        eps = torch.randn((n, self.mean.numel()), generator=generator, device=self.mean.device)
        return self.mean + self.log_sigma.exp() * eps
