"""Costs for deep Boltzmann machines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from pylearn2.costs.cost import Cost, Gradients, NullDataSpecsMixin, StochasticCost
from pylearn2.utils.exc import ConfigError


class VariationalPCD(StochasticCost):
    """Variational learning with persistent chains: the positive phase uses the mean-field
    posterior, the negative phase ``num_chains`` persistent Gibbs chains advanced
    ``num_gibbs_steps`` steps per update. The gradient is that of
    ``mean E(v, q(h|v)) - mean E(chains)`` (not the derivative of a value)."""

    def __init__(self, num_chains: int, num_gibbs_steps: int, supervised: bool = False,
                 toronto_neg: bool = False, seed: int = 45) -> None:
        super().__init__(seed)
        if supervised or toronto_neg:
            raise ConfigError("VariationalPCD: supervised and toronto_neg are not supported.")
        self.num_chains, self.num_gibbs_steps = int(num_chains), int(num_gibbs_steps)
        self.chains: Any = None

    def expr(self, model: Any, data: Any, **kwargs: Any) -> None:
        return None

    def get_gradients(self, model: Any, data: Any, **kwargs: Any) -> tuple[Gradients, dict]:
        gen = self.generator(data.device)
        with torch.no_grad():
            positive = [(p.detach(), d.detach()) for p, d in model.mf(data)]
            if self.chains is None:
                self.chains = model.random_state(self.num_chains, gen)
            v, state = self.chains
            for _ in range(self.num_gibbs_steps):
                v, state = model.gibbs_step(v, state, gen)
            self.chains = (v, state)
        difference = model.energy(data, positive).mean() - model.energy(v, state).mean()
        params = model.get_params()
        grads = torch.autograd.grad(difference, params, allow_unused=True)
        return {p: g if g is not None else torch.zeros_like(p) for p, g in zip(params, grads)}, {}

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "chains": self.chains}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        chains = state.get("chains")
        self.chains = None if chains is None else (chains[0], [tuple(s) for s in chains[1]])


class WeightDecay(NullDataSpecsMixin, Cost):
    """``sum_l coeffs[l] * ||W_l||^2`` over the DBM's hidden layers (one coefficient each)."""

    name = "weight_decay"

    def __init__(self, coeffs: Sequence[float]) -> None:
        self.coeffs = list(coeffs)

    def expr(self, model: Any, data: Any = None, **kwargs: Any) -> torch.Tensor:
        if len(self.coeffs) != len(model.hidden_layers):
            raise ConfigError(f"dbm.WeightDecay has {len(self.coeffs)} coefficients for "
                              f"{len(model.hidden_layers)} hidden layers.")
        return sum(c * layer.W.pow(2).sum() for c, layer in zip(self.coeffs, model.hidden_layers))


class TorontoSparsity(Cost):
    """Pull each hidden unit's mean-field activation (averaged over the batch) towards
    ``targets[l]``: ``sum_l coeffs[l] * sum_j (mean_b q_lj - target_l)^2``."""

    def __init__(self, targets: Sequence[float], coeffs: Sequence[float],
                 supervised: bool = False) -> None:
        if supervised:
            raise ConfigError("TorontoSparsity: supervised is not supported.")
        self.targets, self.coeffs = list(targets), list(coeffs)

    def expr(self, model: Any, data: Any, **kwargs: Any) -> torch.Tensor:
        state = model.mf(data)
        return sum(c * (pool.mean(0) - t).pow(2).sum()
                   for c, t, (pool, _) in zip(self.coeffs, self.targets, state))
