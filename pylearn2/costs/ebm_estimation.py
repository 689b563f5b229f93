"""Estimators for energy-based models (RBMs) whose likelihood is intractable.

The sampling-based estimators (CDk, SML) return gradients that are *not* the derivative
of a value: ``dF/dtheta`` at the data minus ``dF/dtheta`` at model samples, an estimate
of the negative log-likelihood's gradient. Their ``expr`` is None; they report the
reconstruction error as a monitoring channel instead. Score matching (SM), denoising
score matching (SMD) and noise-contrastive estimation (NCE) are ordinary objectives
differentiated by autograd.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from pylearn2.costs.cost import Cost, Gradients, StochasticCost
from pylearn2.utils.exc import ConfigError


def free_energy_gradients(model: Any, positive: torch.Tensor, negative: torch.Tensor) -> Gradients:
    """Gradient of mean F(positive) - mean F(negative): the likelihood gradient estimate."""
    params = model.get_params()
    difference = model.free_energy(positive).mean() - model.free_energy(negative.detach()).mean()
    grads = torch.autograd.grad(difference, params, allow_unused=True)
    return {p: g if g is not None else torch.zeros_like(p) for p, g in zip(params, grads)}


class CDk(StochasticCost):
    """Contrastive divergence: negative samples after ``nsteps`` Gibbs steps from the data."""

    def __init__(self, nsteps: int, seed: int = 42) -> None:
        super().__init__(seed)
        if nsteps < 1:
            raise ConfigError(f"CDk needs nsteps >= 1, got {nsteps}.")
        self.nsteps = int(nsteps)

    def expr(self, model: Any, data: Any, **kwargs: Any) -> None:
        return None

    def negative_samples(self, model: Any, data: torch.Tensor) -> torch.Tensor:
        gen = self.generator(data.device)
        with torch.no_grad():
            v = data
            for _ in range(self.nsteps):
                v = model.gibbs_step(v, gen)
        return v

    def get_gradients(self, model: Any, data: Any, **kwargs: Any) -> tuple[Gradients, dict]:
        return free_energy_gradients(model, data, self.negative_samples(model, data)), {}

    def get_monitoring_channels(self, model: Any, data: Any, **kwargs: Any) -> dict:
        return {"reconstruction_error": model.reconstruction_error(data).detach()}


class SML(StochasticCost):
    """Stochastic maximum likelihood (persistent CD) with ``batch_size`` persistent chains.

    As in the original Pylearn2: the chains start at 0.5 in every unit, each update's
    negative phase uses the chains as they stand, and afterwards the chains advance
    ``nsteps`` Gibbs steps under the parameters of that update (before it is applied).
    """

    def __init__(self, batch_size: int, nsteps: int, seed: int = 43) -> None:
        super().__init__(seed)
        self.batch_size, self.nsteps = int(batch_size), int(nsteps)
        self.chains: torch.Tensor | None = None

    def expr(self, model: Any, data: Any, **kwargs: Any) -> None:
        return None

    def get_gradients(self, model: Any, data: Any, **kwargs: Any) -> tuple[Gradients, dict]:
        gen = self.generator(data.device)
        with torch.no_grad():
            if self.chains is None:
                self.chains = torch.full((self.batch_size, model.nvis), 0.5, dtype=data.dtype,
                                         device=data.device)
            negative = self.chains.to(data.device, data.dtype)
        gradients = free_energy_gradients(model, data, negative)
        with torch.no_grad():
            v = negative
            for _ in range(self.nsteps):
                v = model.gibbs_step(v, gen)
            self.chains = v
        return gradients, {}

    def get_monitoring_channels(self, model: Any, data: Any, **kwargs: Any) -> dict:
        return {"reconstruction_error": model.reconstruction_error(data).detach()}

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "chains": self.chains}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.chains = state.get("chains")


def score_matching_objective(model: Any, v: torch.Tensor, lambd: float = 0.0,
                             reduction: str = "mean") -> torch.Tensor:
    """Hyvarinen's objective ``1/2 psi_i(v)^2 + d psi_i / d v_i + lambd (d psi_i / d v_i)^2``.

    ``reduction='mean'`` (the original Pylearn2's) averages over examples *and* visible
    units, so learning rates do not depend on nvis; ``'sum'`` sums over units (the
    textbook objective, nvis times larger) and averages over examples.
    """
    psi = model.score(v)
    divergence = model.score_divergence(v)
    terms = 0.5 * psi.pow(2) + divergence + lambd * divergence.pow(2)
    return _reduce(terms, reduction, "SM")


def _reduce(terms: torch.Tensor, reduction: str, owner: str) -> torch.Tensor:
    if reduction == "mean":
        return terms.mean()
    if reduction == "sum":
        return terms.sum(1).mean()
    raise ConfigError(f"{owner} reduction must be 'mean' or 'sum', got {reduction!r}.")


class SM(Cost):
    """Score matching, regularised by ``lambd`` (Kingma and LeCun, 2010).

    The mean over examples and visible units of
    ``1/2 psi_i^2 + d psi_i/d v_i + lambd (d psi_i/d v_i)^2``; ``reduction='sum'`` sums
    over units instead (see :func:`score_matching_objective`).
    """

    def __init__(self, lambd: float = 0.0, reduction: str = "mean") -> None:
        if lambd < 0:
            raise ConfigError(f"SM lambd must be >= 0, got {lambd}.")
        _reduce(torch.zeros(1, 1), reduction, "SM")
        self.lambd = float(lambd)
        self.reduction = reduction

    def expr(self, model: Any, data: Any, **kwargs: Any) -> torch.Tensor:
        return score_matching_objective(model, data, self.lambd, self.reduction)


class SMD(Cost):
    """Denoising score matching (Vincent, 2011, eq. 4.3): match the model's score at a
    corrupted point to the corruption's score, ``(v - v_noisy) / stdev^2``.

    As in the original Pylearn2 the objective is the *mean squared* difference over
    examples and units (no 1/2, no sum over units), so hyper-parameters do not depend
    on nvis. ``reduction='half_sum'`` gives Vincent's ``1/2 ||.||^2`` averaged over
    examples instead (``nvis / 2`` times larger).
    """

    def __init__(self, corruptor: Any, reduction: str = "mean") -> None:
        stdev = getattr(corruptor, "stdev", None)
        if stdev is None or stdev <= 0:
            raise ConfigError("SMD needs a Gaussian corruptor with a positive stdev "
                              "(!obj:pylearn2.corruption.GaussianCorruptor {stdev: .4}).")
        if reduction not in ("mean", "half_sum"):
            raise ConfigError(f"SMD reduction must be 'mean' or 'half_sum', got {reduction!r}.")
        self.corruptor = corruptor
        self.reduction = reduction

    def expr(self, model: Any, data: Any, **kwargs: Any) -> torch.Tensor:
        noisy = self.corruptor(data)
        target = (data - noisy) / self.corruptor.stdev ** 2
        squared = (model.score(noisy) - target).pow(2)
        if self.reduction == "half_sum":
            return 0.5 * squared.sum(1).mean()
        return squared.mean()

    def is_stochastic(self) -> bool:
        return True

    def state_dict(self) -> dict[str, Any]:
        return self.corruptor.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.corruptor.load_state_dict(state)


class BernoulliNoise:
    """Independent Bernoulli units with probabilities ``probs`` (noise for binary data)."""

    def __init__(self, probs: Any) -> None:
        self.probs = torch.as_tensor(probs, dtype=torch.float32).clamp(1e-4, 1 - 1e-4)

    def sample(self, n: int, generator: torch.Generator, device: torch.device) -> torch.Tensor:
        p = self.probs.to(device).expand(n, -1)
        return torch.bernoulli(p, generator=generator)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        p = self.probs.to(x.device, x.dtype)
        return (x * p.log() + (1 - x) * (1 - p).log()).sum(1)


class GaussianNoise:
    """Independent Gaussian units (noise for real-valued data)."""

    def __init__(self, mean: Any, std: Any) -> None:
        self.mean = torch.as_tensor(mean, dtype=torch.float32)
        self.std = torch.as_tensor(std, dtype=torch.float32)

    def sample(self, n: int, generator: torch.Generator, device: torch.device) -> torch.Tensor:
        eps = torch.randn((n, self.mean.numel()), generator=generator, device=device)
        return self.mean.to(device) + self.std.to(device) * eps

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        mean, std = self.mean.to(x.device, x.dtype), self.std.to(x.device, x.dtype)
        z = (x - mean) / std
        return (-0.5 * z ** 2 - std.log() - 0.5 * math.log(2 * math.pi)).sum(1)


def model_log_density(model: Any, x: torch.Tensor) -> torch.Tensor:
    """``model.log_prob(x)`` where the model has one, else ``-F(x) - log_z`` (``log_z``
    learned with ``learn_log_z: True``, or 0: an unnormalised density)."""
    if hasattr(model, "log_prob"):
        return model.log_prob(x)
    log_z = getattr(model, "log_z", None)
    return -model.free_energy(x) - (0.0 if log_z is None else log_z)


class NCE(StochasticCost):
    """Noise-contrastive estimation (Gutmann and Hyvarinen, 2010).

    With ``G(x) = log p_model(x) - log p_noise(x)``, ``noise_per_clean`` noise samples
    per example and each mean over its own samples, the objective is the original
    Pylearn2's ``-mean_data log sigmoid(G) - mean_noise log(1 - sigmoid(G))``.
    ``weighting='paper'`` uses the paper's ratio instead: ``G - log(noise_per_clean)``
    with the noise term weighted by ``noise_per_clean`` (identical when it is 1).
    The noise is any object with ``log_prob(x)`` and ``sample(n, generator, device)``
    (or ``random_design_matrix(n)``).
    """

    def __init__(self, noise: Any, noise_per_clean: int, seed: int = 44,
                 weighting: str = "original") -> None:
        super().__init__(seed)
        if int(noise_per_clean) != noise_per_clean or noise_per_clean < 1:
            raise ConfigError(f"NCE noise_per_clean must be a positive integer, "
                              f"got {noise_per_clean!r}.")
        if weighting not in ("original", "paper"):
            raise ConfigError(f"NCE weighting must be 'original' or 'paper', got {weighting!r}.")
        self.noise = noise
        self.noise_per_clean = int(noise_per_clean)
        self.weighting = weighting

    def G(self, X: torch.Tensor, model: Any) -> torch.Tensor:
        """Log ratio of model to noise density (shifted by log k for ``'paper'``)."""
        g = model_log_density(model, X) - self.noise.log_prob(X)
        return g - math.log(self.noise_per_clean) if self.weighting == "paper" else g

    def _noise_samples(self, n: int, data: torch.Tensor) -> torch.Tensor:
        if hasattr(self.noise, "sample"):
            out = self.noise.sample(n, self.generator(data.device), data.device)
        else:
            out = self.noise.random_design_matrix(n)
        return torch.as_tensor(out, device=data.device).to(data.dtype)

    def expr(self, model: Any, data: Any, noisy_data: Any = None, **kwargs: Any) -> torch.Tensor:
        if noisy_data is None:
            noisy_data = self._noise_samples(data.shape[0] * self.noise_per_clean, data)
        clean = F.logsigmoid(self.G(data, model)).mean()
        fake = F.logsigmoid(-self.G(noisy_data, model)).mean()
        weight = self.noise_per_clean if self.weighting == "paper" else 1
        return -(clean + weight * fake)
