"""Closed-form KL divergences between a VAE's posterior q(z | x) and prior p(z).

A :class:`KLIntegrator` names the prior and posterior classes it handles;
:func:`find_integrator_for` picks the first integrator of this module that fits a pair.
When none fits, the VAE estimates the KL term by sampling instead.
"""

from __future__ import annotations

from typing import Any

import torch

from pylearn2.models.vae import conditional, prior
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.init_args import InitArgsMixin


class ImpossiblePrior(prior.Prior):
    """A prior no integrator handles (the base class's placeholder)."""


class ImpossiblePosterior(conditional.Conditional):
    """A posterior no integrator handles (the base class's placeholder)."""


class KLIntegrator(InitArgsMixin):
    """Computes KL(q(z | x) || p(z)) in closed form for one prior/posterior pair.

    ``phi`` are the posterior's parameters and ``theta`` the prior's, each a tuple of
    tensors (for diagonal Gaussians: means and log standard deviations).
    """

    prior_class: type = ImpossiblePrior
    posterior_class: type = ImpossiblePosterior

    def __init__(self) -> None:
        pass  # no arguments; defined so the (empty) argument record exists for model files

    def kl_divergence(self, phi: Any, theta: Any, prior: Any, posterior: Any) -> torch.Tensor:
        """KL per example (summed over latent units)."""
        return self.per_component_kl_divergence(phi, theta, prior, posterior).sum(-1)

    def per_component_kl_divergence(self, phi: Any, theta: Any, prior: Any,
                                    posterior: Any) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement "
                                  "per_component_kl_divergence.")

    def _validate_prior_posterior(self, prior: Any, posterior: Any) -> None:
        if not isinstance(prior, self.prior_class):
            raise ConfigError(f"{type(self).__name__} handles priors of class "
                              f"{self.prior_class.__name__}, not {type(prior).__name__}.")
        if not isinstance(posterior, self.posterior_class):
            raise ConfigError(f"{type(self).__name__} handles posteriors of class "
                              f"{self.posterior_class.__name__}, not {type(posterior).__name__}.")


class DiagonalGaussianPriorPosteriorKL(KLIntegrator):
    """KL between diagonal Gaussians, per latent unit:
    ``log s_p - log s_q + (s_q^2 + (m_q - m_p)^2) / (2 s_p^2) - 1/2``."""

    prior_class = prior.DiagonalGaussianPrior
    posterior_class = conditional.DiagonalGaussian

    def per_component_kl_divergence(self, phi: Any, theta: Any, prior: Any,
                                    posterior: Any) -> torch.Tensor:
        self._validate_prior_posterior(prior, posterior)
        q_mu, q_log_sigma = phi
        p_mu, p_log_sigma = theta
        return (p_log_sigma - q_log_sigma
                + 0.5 * ((2 * q_log_sigma).exp() + (q_mu - p_mu) ** 2) / (2 * p_log_sigma).exp()
                - 0.5)


INTEGRATORS: tuple[type[KLIntegrator], ...] = (DiagonalGaussianPriorPosteriorKL,)


def find_integrator_for(prior: Any, posterior: Any) -> KLIntegrator | None:
    """An integrator instance for this prior/posterior pair, or None when none fits."""
    for cls in INTEGRATORS:
        if isinstance(prior, cls.prior_class) and isinstance(posterior, cls.posterior_class):
            return cls()
    return None


__all__ = ["DiagonalGaussianPriorPosteriorKL", "ImpossiblePosterior", "ImpossiblePrior",
           "KLIntegrator", "find_integrator_for"]
