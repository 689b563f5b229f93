"""log Z and log-likelihoods of DBMs: exact enumeration for tiny models, annealed
importance sampling otherwise (Salakhutdinov & Hinton 2009).

The layers at even positions of ``[visible, h0, h1, ...]`` (the visible layer, h1, h3,
...) are conditionally independent given the odd ones, so they are summed out exactly:
AIS runs on the odd layers only, with the unnormalised marginal

    log p*_beta(odd) = sum_odd [beta b + (1 - beta) a] . d
                       + sum_even log_partition(beta (input + b) + (1 - beta) a)

between a base model with biases ``a`` and no weights (beta = 0) and the DBM (beta = 1).
The transition at beta samples the even layers given the odd ones, then the odd ones.
Needs binary visible units without ``center``/``copies`` (the exact marginalisation).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from pylearn2.expr.probabilistic_max_pooling import max_pool_channels
from pylearn2.models.dbm.layer import BinaryVector, BinaryVectorMaxPool, Softmax
from pylearn2.rbm_tools import AIS, base_rate_biases
from pylearn2.utils.exc import ConfigError


class _Annealer:
    """The tempered DBM: free energies and transitions of the odd layers at any beta."""

    def __init__(self, dbm: Any, base_visible_bias: np.ndarray | None, gen: torch.Generator):
        self.dbm, self.gen = dbm, gen
        self.layers = dbm.get_all_layers()
        for layer in self.layers:
            if getattr(layer, "center", False) or getattr(layer, "copies", 1) != 1:
                raise ConfigError(f"AIS: layer {layer.layer_name!r} uses center or copies, "
                                  "which this estimator does not handle.")
            if not isinstance(layer, (BinaryVector, BinaryVectorMaxPool, Softmax)):
                raise ConfigError(f"AIS needs binary, pooled binary or softmax layers; "
                                  f"{type(layer).__name__} is not one.")
        dtype = torch.float64
        self.W = [None] + [layer.W.detach().to(dtype) for layer in self.layers[1:]]
        self.b = [dbm.visible_layer.bias.detach().to(dtype)] + [
            layer.b.detach().to(dtype) for layer in self.layers[1:]]
        self.a = [torch.zeros_like(b) for b in self.b]
        if base_visible_bias is not None:
            self.a[0] = torch.as_tensor(base_visible_bias, dtype=dtype)
        self.even = list(range(0, len(self.layers), 2))
        self.odd = list(range(1, len(self.layers), 2))

    # -- pieces -------------------------------------------------------------------------
    @staticmethod
    def _pool(layer, state):
        return state[0] if isinstance(layer, BinaryVectorMaxPool) else state

    @staticmethod
    def _detector(layer, state):
        return state[1] if isinstance(layer, BinaryVectorMaxPool) else state

    def _input(self, j: int, states: dict) -> torch.Tensor:
        """Weighted input to layer j's units (detectors) from its neighbours, no bias."""
        total = 0.0
        if j > 0:
            total = self._pool(self.layers[j - 1], states[j - 1]) @ self.W[j]
        if j + 1 < len(self.layers):
            above = self.layers[j + 1]
            msg = self._detector(above, states[j + 1]) @ self.W[j + 1].T
            layer = self.layers[j]
            if isinstance(layer, BinaryVectorMaxPool) and layer.pool_size > 1:
                msg = msg.repeat_interleave(layer.pool_size, dim=1)
            total = total + msg
        return total

    def _logits(self, j: int, states: dict, beta: float) -> torch.Tensor:
        return beta * (self._input(j, states) + self.b[j]) + (1 - beta) * self.a[j]

    def _sample(self, j: int, z: torch.Tensor):
        layer = self.layers[j]
        if isinstance(layer, BinaryVectorMaxPool):
            _, _, p, h = max_pool_channels(z, layer.pool_size, None, self.gen, sample=True)
            return p, h
        if isinstance(layer, Softmax):
            choice = torch.multinomial(torch.softmax(z, -1), 1, generator=self.gen)[:, 0]
            return F.one_hot(choice, layer.n_classes).to(z.dtype)
        return torch.bernoulli(torch.sigmoid(z), generator=self.gen)

    # -- what AIS needs -----------------------------------------------------------------
    def base_sample(self, n: int) -> dict:
        return {j: self._sample(j, self.a[j].expand(n, -1)) for j in self.odd}

    def log_z_base(self) -> float:
        return float(sum(self.layers[j].log_partition(self.a[j][None])[0]
                         for j in range(len(self.layers))))

    def log_p_star(self, beta: float, odd: dict, visible: torch.Tensor | None = None
                   ) -> torch.Tensor:
        """Unnormalised log marginal of the odd layers (and of ``visible`` if given)."""
        first = next(iter(odd.values()))
        n = (first[0] if isinstance(first, tuple) else first).shape[0]
        total = torch.zeros(n, dtype=torch.float64)
        for j in self.odd:
            d = self._detector(self.layers[j], odd[j])
            total = total + d @ (beta * self.b[j] + (1 - beta) * self.a[j])
        for j in self.even:
            z = self._logits(j, odd, beta)
            if j == 0 and visible is not None:
                total = total + (visible * z).sum(1)
            else:
                total = total + self.layers[j].log_partition(z)
        return total

    def transition(self, beta: float, odd: dict) -> dict:
        states = dict(odd)
        for j in self.even:
            states[j] = self._sample(j, self._logits(j, states, beta))
        for j in self.odd:
            states[j] = self._sample(j, self._logits(j, states, beta))
        return {j: states[j] for j in self.odd}

    def enumerate_odd(self):
        """Every joint configuration of the odd layers (tiny models only)."""
        choices = []
        for j in self.odd:
            layer = self.layers[j]
            if isinstance(layer, Softmax):
                options = [np.eye(layer.n_classes)[k] for k in range(layer.n_classes)]
            else:
                per_pool = np.vstack([np.zeros(layer.pool_size), np.eye(layer.pool_size)])
                options = [np.concatenate(c) for c in
                           itertools.product(per_pool, repeat=layer.output_dim())]
            choices.append(options)
        count = int(np.prod([len(c) for c in choices]))
        if count > 2 ** 20:
            raise ConfigError(f"Exact log Z would enumerate {count} states of the odd layers; "
                              "use AIS (dbm_ais) instead.")
        combos = list(itertools.product(*choices))
        out = {}
        for position, j in enumerate(self.odd):
            d = torch.tensor(np.array([c[position] for c in combos]), dtype=torch.float64)
            layer = self.layers[j]
            if isinstance(layer, BinaryVectorMaxPool):
                out[j] = (d.reshape(len(d), -1, layer.pool_size).sum(-1), d)
            else:
                out[j] = d
        return out


def exact_log_z(dbm: Any) -> float:
    """log Z by enumerating the odd layers (h0, h2, ...) and summing out the rest."""
    with torch.no_grad():
        annealer = _Annealer(dbm, None, torch.Generator())
        return float(torch.logsumexp(annealer.log_p_star(1.0, annealer.enumerate_odd()), 0))


def exact_log_likelihood(dbm: Any, X: Any, log_z: float | None = None) -> np.ndarray:
    """log p(v) of each row of X by enumeration of the odd layers (tiny models only)."""
    with torch.no_grad():
        annealer = _Annealer(dbm, None, torch.Generator())
        odd = annealer.enumerate_odd()
        log_z = exact_log_z(dbm) if log_z is None else log_z
        X = torch.as_tensor(np.asarray(X), dtype=torch.float64)
        out = []
        for v in X:
            n = len(next(iter(odd.values()))[1] if isinstance(next(iter(odd.values())), tuple)
                    else next(iter(odd.values())))
            out.append(float(torch.logsumexp(annealer.log_p_star(1.0, odd, v.expand(n, -1)), 0)))
        return np.array(out) - log_z


def dbm_ais(dbm: Any, n_runs: int = 100, betas: np.ndarray | None = None,
            data: np.ndarray | None = None, seed: int = 23098,
            key_betas: np.ndarray | None = None):
    """AIS estimate of a DBM's log Z. The base model has no weights, zero hidden biases
    and visible biases from ``data``'s marginals (or the model's own). Returns
    ``((log_z, var_log_z), ais)``; ``ais.log_ais_w`` holds the particles' log weights."""
    gen = torch.Generator().manual_seed(int(seed))
    with torch.no_grad():
        base = (base_rate_biases(data) if data is not None
                else dbm.visible_layer.bias.detach().double().numpy())
        annealer = _Annealer(dbm, base, gen)
        ais = AIS(sample_fn=annealer.transition,
                  free_energy_fn=lambda beta, odd: -annealer.log_p_star(beta, odd).numpy(),
                  v_sample0=np.zeros((n_runs, 0)), n_runs=n_runs)
        ais.set_betas(betas, key_betas=key_betas)
        ais.v_sample0 = annealer.base_sample(n_runs)
        ais.run()
        dlogz, var = ais.estimate_from_weights()
        ais.log_za = annealer.log_z_base()
        ais.log_zb = ais.log_za + dlogz
    return (ais.log_zb, var), ais


def variational_lower_bound(dbm: Any, X: Any, log_z: float, niter: int | None = None
                            ) -> np.ndarray:
    """Per-row lower bound on log p(v): ``-E(v, q) + H(q) - log Z`` at the mean-field q
    (exact for a one-hidden-layer DBM with pool size 1, i.e. an RBM)."""
    with torch.no_grad():
        V = torch.as_tensor(np.asarray(X), dtype=dbm.visible_layer.bias.dtype)
        H = dbm.mf(V, niter=niter)
        entropy = torch.zeros(V.shape[0], dtype=torch.float64)
        for layer, state in zip(dbm.hidden_layers, H):
            if isinstance(layer, Softmax):
                probs = [state]
            else:
                _, h = state
                groups = h.reshape(h.shape[0], -1, layer.pool_size)
                probs = [torch.cat([1 - groups.sum(-1, keepdim=True), groups], -1)]
            for p in probs:
                p = p.double().clamp_min(1e-300)
                entropy = entropy - (p * p.log()).reshape(p.shape[0], -1).sum(1)
        bound = -dbm.energy(V, H).double() + entropy - log_z
        return bound.numpy()


__all__ = ["dbm_ais", "exact_log_z", "exact_log_likelihood", "variational_lower_bound"]
