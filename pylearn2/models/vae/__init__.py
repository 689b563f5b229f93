"""Variational autoencoders (Kingma and Welling, 2014).

``VAE(nvis, prior, conditional, posterior, nhid)``: the ``posterior`` q(z | x) (a
DiagonalGaussian on an MLP) encodes, the ``conditional`` p(x | z) (BernoulliVector or
DiagonalGaussian on an MLP) decodes, and the ``prior`` p(z) is a DiagonalGaussianPrior,
learned when ``learn_prior``. Train with ``pylearn2.costs.vae.VAECriterion`` (the
negative evidence lower bound) or ``ImportanceSamplingCriterion``.
"""

from __future__ import annotations

from typing import Any

import torch

from pylearn2.models.model import Model
from pylearn2.models.vae.conditional import DiagonalGaussian
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
        self.learn_prior, self.kl_integrator, self.seed = learn_prior, kl_integrator, seed
        self.batch_size = batch_size
        self.prior, self.conditional, self.posterior = prior, conditional, posterior
        prior.initialize(self.nhid, learn_prior)
        posterior.initialize(self.nvis, self.nhid)
        conditional.initialize(self.nhid, self.nvis)
        self.input_space = VectorSpace(self.nvis)
        self.output_space = VectorSpace(self.nhid)

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
