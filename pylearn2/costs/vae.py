"""Training criteria for variational autoencoders."""

from __future__ import annotations

import math
from typing import Any

import torch

from pylearn2.costs.cost import StochasticCost


class _SampledCost(StochasticCost):
    def __init__(self, num_samples: int = 1, seed: int = 2015) -> None:
        super().__init__(seed)
        self.num_samples = int(num_samples)

    def _eps(self, shape: tuple[int, ...], like: torch.Tensor) -> torch.Tensor:
        gen = self.generator(like.device)
        return torch.randn(shape, generator=gen, device=like.device, dtype=like.dtype)


class VAECriterion(_SampledCost):
    """The negative evidence lower bound: -E_q[log p(x|z)] + KL(q(z|x) || p(z)), the
    expectation estimated with ``num_samples`` reparameterised samples."""

    def expr(self, model: Any, data: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        params = model.encode_parameters(data)
        mean, log_sigma = model.posterior.split(params)
        eps = self._eps((self.num_samples,) + tuple(mean.shape), mean)
        z = model.posterior.rsample(params, eps)  # (samples, batch, nhid)
        kl = model.kl_divergence_term(params, z)
        recon = model.conditional.log_likelihood(data, model.conditional.parameters_of(z))
        return (kl - recon.mean(0)).mean()

    def get_monitoring_channels(self, model: Any, data: Any, **kwargs: Any) -> dict:
        params = model.encode_parameters(data)
        if model.kl_integrator is None:
            return {}
        return {"kl_divergence": model.kl_divergence_term(params).mean().detach()}


class ImportanceSamplingCriterion(_SampledCost):
    """-log p(x) estimated by importance sampling with the posterior as proposal."""

    def expr(self, model: Any, data: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        params = model.encode_parameters(data)
        mean, _ = model.posterior.split(params)
        eps = self._eps((self.num_samples,) + tuple(mean.shape), mean)
        z = model.posterior.rsample(params, eps)
        log_weights = (model.conditional.log_likelihood(data, model.conditional.parameters_of(z))
                       + model.prior.log_prob(z) - model.posterior.log_likelihood(z, params))
        return -(torch.logsumexp(log_weights, dim=0) - math.log(self.num_samples)).mean()
