"""Variational autoencoders (Kingma and Welling, 2014).

``VAE(nvis, prior, conditional, posterior, nhid)``: the ``posterior`` q(z | x) (a
DiagonalGaussian on an MLP) encodes, the ``conditional`` p(x | z) (BernoulliVector or
DiagonalGaussian on an MLP) decodes, and the ``prior`` p(z) is a DiagonalGaussianPrior,
learned when ``learn_prior``. Train with ``pylearn2.costs.vae.VAECriterion`` (the
negative evidence lower bound) or ``ImportanceSamplingCriterion``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from pylearn2.models.model import Model
from pylearn2.models.vae.conditional import DiagonalGaussian
from pylearn2.models.vae.kl import find_integrator_for
from pylearn2.space import VectorSpace
from pylearn2.utils.exc import ConfigError


class VAE(Model):
    """A variational autoencoder over ``nvis`` visible and ``nhid`` latent units."""

    def __init__(self, nvis: int, prior: Any, conditional: Any, posterior: Any, nhid: int,
                 learn_prior: bool = True, kl_integrator: Any = None,
                 batch_size: int | None = None, seed: Any = None) -> None:
        super().__init__()
        if not isinstance(posterior, DiagonalGaussian):
            raise ConfigError("VAE posterior must be a vae.conditional.DiagonalGaussian.")
        self.nvis, self.nhid = int(nvis), int(nhid)
        self.learn_prior, self.seed = learn_prior, seed
        self.prior, self.conditional, self.posterior = prior, conditional, posterior
        if seed is not None:
            # The seed fixes the initial weights of both MLPs and the sampling generator.
            seeds = np.random.SeedSequence([int(s) for s in np.atleast_1d(seed)]).spawn(2)
            for cond, seq in ((posterior, seeds[0]), (conditional, seeds[1])):
                cond.mlp.rng = np.random.default_rng(seq)
        prior.initialize(self.nhid, learn_prior)
        posterior.initialize(self.nvis, self.nhid)
        conditional.initialize(self.nhid, self.nvis)
        if kl_integrator is None:
            kl_integrator = find_integrator_for(prior, posterior)
        else:
            kl_integrator._validate_prior_posterior(prior, posterior)
        self.kl_integrator = kl_integrator
        self.batch_size = self.force_batch_size = batch_size
        self._sample_seed = [int(s) for s in np.atleast_1d(seed if seed is not None
                                                           else (2014, 10, 22))]
        self.input_space = VectorSpace(self.nvis)
        self.output_space = VectorSpace(self.nhid)

    def set_batch_size(self, batch_size: int) -> None:
        self.batch_size = self.force_batch_size = int(batch_size)

    def kl_divergence_term(self, params: torch.Tensor, z: torch.Tensor | None = None,
                           approximate: bool = False) -> torch.Tensor:
        """KL(q(z|x) || p(z)) per example: in closed form through ``kl_integrator``, or
        (no integrator fits, or ``approximate``) estimated as ``log q(z|x) - log p(z)``
        averaged over the posterior samples ``z`` (shape (samples, batch, nhid))."""
        if self.kl_integrator is not None and not approximate:
            phi = self.posterior.split(params)
            return self.kl_integrator.kl_divergence(phi, self.prior.get_params_tuple(),
                                                    self.prior, self.posterior)
        if z is None:
            raise ConfigError("No KL integrator fits this prior/posterior pair; the KL term "
                              "needs posterior samples z to be estimated.")
        return (self.posterior.log_likelihood(z, params) - self.prior.log_prob(z)).mean(0)

    def sample(self, num_samples: int, return_sample_means: bool = True) -> Any:
        """Draw z from the prior and x from p(x|z) (or its means); (x, z)."""
        gen = torch.Generator(device=self.prior.mean.device)
        gen.manual_seed(int(np.random.SeedSequence(self._sample_seed).generate_state(1)[0]))
        self._sample_seed = self._sample_seed + [len(self._sample_seed)]
        z = self.prior.sample(int(num_samples), generator=gen)
        params = self.conditional.parameters_of(z)
        means = self.conditional.means(params)
        if return_sample_means:
            return means, z
        u = torch.rand(means.shape, generator=gen, device=means.device)
        return (u < means).to(means.dtype), z

    def encode_parameters(self, X: torch.Tensor) -> torch.Tensor:
        return self.posterior.parameters_of(X)

    def encode(self, X: torch.Tensor) -> torch.Tensor:
        """Posterior means of the latent units (the VAE as a feature extractor)."""
        return self.posterior.means(self.encode_parameters(X))

    perform = encode
    upward_pass = encode

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.encode(X)

    def reconstruct(self, X: torch.Tensor) -> torch.Tensor:
        return self.conditional.means(self.conditional.parameters_of(self.encode(X)))

    def get_default_cost(self):
        from pylearn2.costs.vae import VAECriterion

        return VAECriterion(num_samples=1)
