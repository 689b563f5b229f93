"""Costs for deep Boltzmann machines.

* The CD family (:class:`BaseCD` and :class:`PCD`, :class:`VariationalPCD`,
  :class:`VariationalCD`): maximum-likelihood gradient estimates
  ``d/dtheta [mean E(positive) - mean E(negative)]`` with the states held fixed. The
  positive phase is the mean-field posterior (variational) or Gibbs samples with the data
  clamped (PCD); the negative phase comes from Gibbs chains, persistent or restarted at
  the data. ``supervised`` clamps the labels (the top Softmax layer) in the positive
  phase; ``toronto_neg`` uses, in the negative phase, one mean-field pass from the
  samples (Salakhutdinov's code: odd hidden layers given the samples, then even ones
  given those means; a top Softmax keeps its sample). :class:`VariationalPCD_VarianceReduction`
  averages the two Rao-Blackwellised estimates (odd layers integrated out, even ones
  integrated out).
* :class:`MultiPrediction` with :class:`MaskGen`: multi-prediction training of the
  MP-DBM (Goodfellow et al. 2013), in :mod:`pylearn2.costs.dbm_multiprediction`.
* Regularisers: :class:`WeightDecay`, :class:`TorontoSparsity`, :class:`MF_L1_ActCost`,
  :class:`MF_L2_ActCost`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from pylearn2.costs.cost import Cost, Gradients, NullDataSpecsMixin, StochasticCost
from pylearn2.models.dbm.layer import Softmax
from pylearn2.models.dbm.layer_base import as_state, detach_state
from pylearn2.utils.exc import ConfigError

_detach = detach_state


def _split_data(cost: Cost, data: Any):
    if cost.supervised:
        X, Y = data
        return X, Y
    return data, None


class BaseCD(StochasticCost):
    """Positive phase minus negative phase of the DBM's energy.

    Parameters
    ----------
    num_chains : negative chains. num_gibbs_steps : Gibbs sweeps per update.
    supervised : data is (features, labels); the labels are clamped in the positive phase.
    toronto_neg : negative statistics from conditional expectations (see module doc).
    theano_rng : a seed (int) for the chains' generator; ``seed`` is the same.
    """

    persistent = True

    def __init__(self, num_chains: int, num_gibbs_steps: int, supervised: bool = False,
                 toronto_neg: bool = False, theano_rng: Any = None, seed: int = 45) -> None:
        super().__init__(int(theano_rng) if isinstance(theano_rng, int) else seed)
        self.num_chains, self.num_gibbs_steps = int(num_chains), int(num_gibbs_steps)
        self.supervised, self.toronto_neg = bool(supervised), bool(toronto_neg)
        self.theano_rng = theano_rng
        self.chains: list[Any] | None = None

    def expr(self, model: Any, data: Any, **kwargs: Any) -> None:
        return None

    # -- phases -------------------------------------------------------------------------
    def _positive_phase(self, model: Any, X: torch.Tensor, Y: Any, gen) -> list[Any]:
        raise NotImplementedError

    def _chain_start(self, model: Any, X: torch.Tensor, gen) -> dict:
        if self.persistent and self.chains is not None:
            return dict(zip(model.get_all_layers(), self.chains))
        return model.make_layer_to_state(self.num_chains, gen)

    def _sampled_chains(self, model: Any, X: torch.Tensor, gen) -> list[Any]:
        """The negative chains after this update's Gibbs sweeps (kept when persistent)."""
        state = model.sample(self._chain_start(model, X, gen), gen,
                             num_steps=self.num_gibbs_steps)
        layers = model.get_all_layers()
        if self.persistent:
            self.chains = [_detach(state[layer]) for layer in layers]
        return [state[layer] for layer in layers]

    def _negative_states(self, model: Any, X: torch.Tensor, gen) -> list[tuple[float, list]]:
        """(weight, [visible, hidden...]) pairs whose weighted mean energies estimate the
        model's expected energy."""
        states = self._sampled_chains(model, X, gen)
        if self.toronto_neg:
            states = self._expectations(model, states)
        return [(1.0, states)]

    def _negative_phase(self, model: Any, X: torch.Tensor, gen) -> list[Any]:
        return self._negative_states(model, X, gen)[0][1]

    def _expectations(self, model: Any, states: list[Any]) -> list[Any]:
        """The original's toronto_neg: the hidden layers at odd positions of [v, h0, h1,
        ...] (h0, h2, ...) take their means given the sampled neighbours, then those at
        even positions their means given the odd means and the samples; a Softmax label
        layer on top keeps its sample in the energy."""
        layers = model.get_all_layers()
        out = list(states)
        for parity in (1, 0):
            for j in range(max(parity, 2 - parity), len(layers), 2):
                out[j] = _conditional_mean(layers, out, j)
        if isinstance(layers[-1], Softmax) and len(layers) > 2:
            out[-1] = states[-1]
        return out

    def get_gradients(self, model: Any, data: Any, **kwargs: Any) -> tuple[Gradients, dict]:
        X, Y = _split_data(self, data)
        gen = self.generator(X.device)
        with torch.no_grad():
            positive = [_detach(s) for s in self._positive_phase(model, X, Y, gen)]
            negatives = [(w, [_detach(s) for s in states])
                         for w, states in self._negative_states(model, X, gen)]
        difference = model.energy(X, positive).mean()
        for weight, states in negatives:
            difference = difference - weight * model.energy(states[0], states[1:]).mean()
        params = model.get_params()
        grads = torch.autograd.grad(difference, params, allow_unused=True)
        return {p: g if g is not None else torch.zeros_like(p) for p, g in zip(params, grads)}, {}

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "chains": self.chains}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        chains = state.get("chains")
        self.chains = None if chains is None else [as_state(c) for c in chains]


def _conditional_mean(layers: list[Any], states: list[Any], j: int) -> Any:
    """Layer j's mean-field state given its neighbours' states (layers = [visible, ...])."""
    above = layers[j + 1] if j + 1 < len(layers) else None
    state_above = above.downward_state(states[j + 1]) if above is not None else None
    if j == 0:
        return layers[0].mf_update(state_above=state_above, layer_above=above)
    return layers[j].mf_update(state_below=layers[j - 1].upward_state(states[j - 1]),
                               state_above=state_above, layer_above=above)


class _VariationalPositive:
    def _positive_phase(self, model, X, Y, gen):
        H = model.mf(X, Y=Y) if self.supervised else model.mf(X)
        return list(H)


class VariationalPCD(_VariationalPositive, BaseCD):
    """Mean-field positive phase, persistent Gibbs chains (Salakhutdinov & Hinton 2009)."""


class VariationalPCD_VarianceReduction(VariationalPCD):
    """VariationalPCD whose negative phase averages two Rao-Blackwellised estimates of
    the expected energy: the layers at odd positions of [v, h0, h1, ...] replaced by
    their means given the sampled even ones, and the even ones (the visible layer
    included) by their means given the sampled odd ones. Each half is an unbiased
    estimate with lower variance than the plain samples (the original's "textbook" rule,
    written there for v-h0-h1-Softmax DBMs; this form gives exactly that formula on such
    a model and the same rule on any stack).

    Parameters
    ----------
    num_chains, num_gibbs_steps : persistent chains and Gibbs sweeps per update.
    supervised : data is (features, labels), the labels clamped in the positive phase.
    seed : the chains' generator seed (an addition; the original fixed it).
    """

    def __init__(self, num_chains: int, num_gibbs_steps: int, supervised: bool = False,
                 seed: int = 45) -> None:
        super().__init__(num_chains, num_gibbs_steps, supervised=supervised, seed=seed)

    def _negative_states(self, model: Any, X: torch.Tensor, gen) -> list[tuple[float, list]]:
        samples = self._sampled_chains(model, X, gen)
        layers = model.get_all_layers()
        halves = []
        for parity in (1, 0):
            states = list(samples)
            for j in range(parity, len(layers), 2):
                states[j] = _conditional_mean(layers, samples, j)
            halves.append((0.5, states))
        return halves


class PCD(BaseCD):
    """Positive phase from Gibbs sampling with the data (and labels) clamped, started at
    the biases and run ``num_gibbs_steps`` sweeps; persistent negative chains."""

    def _positive_phase(self, model, X, Y, gen):
        state = model.make_layer_to_state(X.shape[0], gen)
        state[model.visible_layer] = X
        clamp = {model.visible_layer: True}
        if self.supervised:
            state[model.hidden_layers[-1]] = Y
            clamp[model.hidden_layers[-1]] = True
        state = model.sample(state, gen, layer_to_clamp=clamp, num_steps=self.num_gibbs_steps)
        return [state[layer] for layer in model.hidden_layers]


class VariationalCD(_VariationalPositive, BaseCD):
    """Mean-field positive phase; negative chains restart at the data each update
    (hidden layers sampled once with the data clamped) and run ``num_gibbs_steps``."""

    persistent = False

    def _chain_start(self, model, X, gen):
        state = model.make_layer_to_state(X.shape[0], gen)
        state[model.visible_layer] = X
        return model.sample(state, gen, layer_to_clamp={model.visible_layer: True}, num_steps=1)


class WeightDecay(NullDataSpecsMixin, Cost):
    """``sum_l coeffs[l] * ||W_l||^2`` over the DBM's hidden layers (one coefficient each)."""

    name = "weight_decay"

    def __init__(self, coeffs: Sequence[float]) -> None:
        self.coeffs = [float(c) for c in coeffs]

    def expr(self, model: Any, data: Any = None, **kwargs: Any) -> torch.Tensor:
        if len(self.coeffs) != len(model.hidden_layers):
            raise ConfigError(f"dbm.WeightDecay has {len(self.coeffs)} coefficients for "
                              f"{len(model.hidden_layers)} hidden layers.")
        return sum(layer.get_weight_decay(c) for c, layer in zip(self.coeffs, model.hidden_layers)
                   if c)


def _upward_means(model: Any, X: torch.Tensor, Y: Any, supervised: bool) -> list[torch.Tensor]:
    H = model.mf(X, Y=Y) if supervised else model.mf(X)
    return [layer.pool_state(h) for layer, h in zip(model.hidden_layers, H)]


class TorontoSparsity(Cost):
    """Pull each hidden unit's mean-field activation (averaged over the batch) towards
    ``targets[l]``: ``sum_l coeffs[l] * sum_j (mean_b q_lj - target_l)^2``.
    ``supervised``: the data is (features, labels) and the labels are clamped."""

    def __init__(self, targets: Sequence[float], coeffs: Sequence[float],
                 supervised: bool = False) -> None:
        self.targets, self.coeffs = list(targets), list(coeffs)
        self.supervised = bool(supervised)

    reduce = "sum"

    def expr(self, model: Any, data: Any, **kwargs: Any) -> torch.Tensor:
        X, Y = _split_data(self, data)
        means = _upward_means(model, X, Y, self.supervised)
        return sum(c * getattr((m.mean(0) - t).pow(2), self.reduce)()
                   for c, t, m in zip(self.coeffs, self.targets, means) if c)


class MF_L1_ActCost(Cost):
    """``sum_l layer.get_l1_act_cost(mf state, targets[l], coeffs[l], eps[l])``: an L1 pull
    of each layer's mean activation towards its target, ignoring deviations below eps."""

    def __init__(self, targets: Sequence[Any], coeffs: Sequence[Any],
                 eps: Sequence[Any] | None = None, supervised: bool = False) -> None:
        self.targets, self.coeffs = list(targets), list(coeffs)
        self.eps = None if eps is None else list(eps)
        self.supervised = bool(supervised)

    def expr(self, model: Any, data: Any, **kwargs: Any) -> torch.Tensor:
        X, Y = _split_data(self, data)
        H = model.mf(X, Y=Y) if self.supervised else model.mf(X)
        eps = self.eps or [None] * len(self.targets)
        total = 0.0
        for layer, s, t, c, e in zip(model.hidden_layers, H, self.targets, self.coeffs, eps):
            if c:
                total = total + layer.get_l1_act_cost(s, t, c, e)
        return torch.as_tensor(total) if not torch.is_tensor(total) else total


class MF_L2_ActCost(TorontoSparsity):
    """``sum_l coeffs[l] * mean_j (mean_b q_lj - targets[l])^2`` on the mean-field state
    (TorontoSparsity with a mean over units instead of a sum)."""

    reduce = "mean"

    def __init__(self, targets: Sequence[float], coeffs: Sequence[float],
                 supervised: bool = False) -> None:
        super().__init__(targets, coeffs, supervised)


from pylearn2.costs.dbm_multiprediction import MaskGen, MultiPrediction  # noqa: E402

__all__ = ["BaseCD", "PCD", "VariationalPCD", "VariationalPCD_VarianceReduction", "VariationalCD",
           "WeightDecay", "TorontoSparsity", "MF_L1_ActCost", "MF_L2_ActCost", "MultiPrediction", "MaskGen"]
