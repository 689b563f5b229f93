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
    """Stochastic maximum likelihood (persistent CD): ``batch_size`` persistent chains
    advanced ``nsteps`` Gibbs steps per update provide the negative samples."""

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
                self.chains = model.random_visible(self.batch_size, gen)
            v = self.chains.to(data.device)
            for _ in range(self.nsteps):
                v = model.gibbs_step(v, gen)
            self.chains = v
        return free_energy_gradients(model, data, v), {}

    def get_monitoring_channels(self, model: Any, data: Any, **kwargs: Any) -> dict:
        return {"reconstruction_error": model.reconstruction_error(data).detach()}

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "chains": self.chains}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.chains = state.get("chains")


def score_matching_objective(model: Any, v: torch.Tensor, lambd: float = 0.0) -> torch.Tensor:
    """Hyvarinen's objective: mean of 1/2 ||psi(v)||^2 + sum_i d psi_i / d v_i, plus
    ``lambd`` times the squared curvature terms (regularised score matching)."""
    psi = model.score(v)
    divergence = model.score_divergence(v)
    value = (0.5 * psi.pow(2) + divergence).sum(1).mean()
    if lambd:
        value = value + lambd * divergence.pow(2).sum(1).mean()
    return value


class SM(Cost):
    """Score matching (optionally regularised by ``lambd``)."""

    def __init__(self, lambd: float = 0.0) -> None:
        self.lambd = float(lambd)

    def expr(self, model: Any, data: Any, **kwargs: Any) -> torch.Tensor:
        return score_matching_objective(model, data, self.lambd)


class SMD(Cost):
    """Denoising score matching: match the model's score at a corrupted point to the
    score of the corruption, ``(v - v_noisy) / stdev^2`` (Gaussian corruptors)."""

    def __init__(self, corruptor: Any) -> None:
        stdev = getattr(corruptor, "stdev", None)
        if stdev is None or stdev <= 0:
            raise ConfigError("SMD needs a Gaussian corruptor with a positive stdev "
                              "(!obj:pylearn2.corruption.GaussianCorruptor {stdev: .4}).")
        self.corruptor = corruptor

    def expr(self, model: Any, data: Any, **kwargs: Any) -> torch.Tensor:
        noisy = self.corruptor(data)
        target = (data - noisy) / self.corruptor.stdev ** 2
        return 0.5 * (model.score(noisy) - target).pow(2).sum(1).mean()

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


class NCE(StochasticCost):
    """Noise-contrastive estimation: classify data against ``noise_per_clean`` noise
    samples per example; the model's log density is ``-F(v) - log_z`` with ``log_z``
    learned (build the model with ``learn_log_z: True``)."""

    def __init__(self, noise: Any, noise_per_clean: int, seed: int = 44) -> None:
        super().__init__(seed)
        self.noise = noise
        self.noise_per_clean = int(noise_per_clean)

    def _log_ratio(self, model: Any, x: torch.Tensor) -> torch.Tensor:
        log_model = -model.free_energy(x) - model.log_z
        return log_model - self.noise.log_prob(x) - math.log(self.noise_per_clean)

    def expr(self, model: Any, data: Any, **kwargs: Any) -> torch.Tensor:
        if getattr(model, "log_z", None) is None:
            raise ConfigError("NCE needs the model to learn its log-normaliser: set "
                              "learn_log_z: True on the RBM.")
        noise = self.noise.sample(data.shape[0] * self.noise_per_clean,
                                  self.generator(data.device), data.device).to(data.dtype)
        clean = F.logsigmoid(self._log_ratio(model, data)).mean()
        fake = F.logsigmoid(-self._log_ratio(model, noise)).mean()
        return -(clean + self.noise_per_clean * fake)
