"""Partition functions and log-likelihoods of binary RBMs: exact enumeration for small
models and annealed importance sampling (Neal 2001; Salakhutdinov & Murray 2008).

AIS moves particles from a base-rate RBM A (no weights; visible biases from the data's
marginals) to the model B through the distributions ``p_k(v) ∝ p_A(v)^(1-beta_k)
p_B(v)^beta_k``, each a product of two RBMs with separate hidden units, sampled by
block Gibbs. ``log Z_B = log Z_A + log mean_i w_i``. Everything is float64 numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from pylearn2.utils.exc import ConfigError
from pylearn2.utils.progress import task_bar

RBMParams = Sequence[np.ndarray]  # (weights (nvis, nhid), visbias, hidbias)


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def _logmeanexp(x: np.ndarray) -> float:
    m = float(np.max(x))
    return m + float(np.log(np.mean(np.exp(x - m))))


def _states(width: int, block_bits: int, upper: tuple) -> np.ndarray:
    low = np.array(np.unravel_index(np.arange(2 ** block_bits), [2] * block_bits)).T \
        if block_bits else np.zeros((1, 0))
    high = np.tile(np.asarray(upper, dtype=float), (len(low), 1))
    return np.hstack([high, low.astype(float)]).reshape(len(low), width)


def rbm_params(rbm: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(weights, visible biases, hidden biases) of a binary RBM as float64 arrays."""
    return (rbm.weight_matrix().detach().cpu().double().numpy(),
            rbm.bias_vis.detach().cpu().double().numpy(),
            rbm.bias_hid.detach().cpu().double().numpy())


def free_energy_of(params: RBMParams) -> Callable[[np.ndarray], np.ndarray]:
    """``F(v) = -v.b - sum softplus(v W + c)`` for visible rows v."""
    W, b, c = (np.asarray(p, dtype=np.float64) for p in params)
    return lambda v: -(v @ b) - _softplus(v @ W + c).sum(1)


def compute_log_z(rbm: Any, free_energy_fn: Callable | None = None,
                  max_bits: int = 15) -> float:
    """Exact log Z by enumerating every visible configuration (``free_energy_fn`` maps
    visible rows to free energies; default: the binary RBM's). Enumerates
    ``2**max_bits`` states at a time; use only on toy models (nvis <= ~25)."""
    width = int(rbm.nvis)
    if width > 30:
        raise ConfigError(f"compute_log_z: 2**{width} visible states are too many to "
                          "enumerate; use rbm_ais instead.")
    fn = free_energy_fn or free_energy_of(rbm_params(rbm))
    block_bits = min(width, max_bits) if max_bits else width
    neg_fe = []
    for upper in np.ndindex(*([2] * (width - block_bits))):
        neg_fe.append(-np.asarray(fn(_states(width, block_bits, upper)), dtype=np.float64))
    all_neg = np.concatenate(neg_fe)
    m = all_neg.max()
    return float(m + np.log(np.exp(all_neg - m).sum()))


def compute_nll(rbm: Any, data: np.ndarray, log_z: float, free_energy_fn: Callable | None = None,
                bufsize: int = 1000, preproc: Callable | None = None) -> float:
    """Mean negative log-likelihood ``mean(F(v)) + log Z`` of the rows of ``data``."""
    fn = free_energy_fn or free_energy_of(rbm_params(rbm))
    total, n = 0.0, 0
    for i in range(0, len(data), bufsize):
        x = np.asarray(data[i:i + bufsize], dtype=np.float64)
        if preproc is not None:
            x = preproc(x)
        total += float(np.sum(np.asarray(fn(x)) + log_z))
        n += len(x)
    return total / n


def rbm_ais_pk_free_energy(rbmA_params: RBMParams, rbmB_params: RBMParams, beta: float,
                           v_sample: np.ndarray) -> np.ndarray:
    """Free energy of v under ``p_A^(1-beta) p_B^beta`` (Salakhutdinov & Murray, eq. 10)."""
    def part(params, scale):
        W, b, c = params
        return -scale * (v_sample @ b) - _softplus(scale * (v_sample @ W + c)).sum(1)
    return part(rbmA_params, 1.0 - beta) + part(rbmB_params, beta)


def rbm_ais_gibbs_for_v(rbmA_params: RBMParams, rbmB_params: RBMParams, beta: float,
                        v_sample: np.ndarray, rng: np.random.Generator | None = None
                        ) -> np.ndarray:
    """One block-Gibbs step at inverse temperature beta (eqs. 15-17): sample both hidden
    sets given v, then v given both."""
    rng = rng if rng is not None else np.random.default_rng(23098)
    WA, bA, cA = rbmA_params
    WB, bB, cB = rbmB_params
    ha = rng.random((len(v_sample), len(cA))) < 1 / (1 + np.exp(-(1 - beta) * (v_sample @ WA + cA)))
    hb = rng.random((len(v_sample), len(cB))) < 1 / (1 + np.exp(-beta * (v_sample @ WB + cB)))
    act = (1 - beta) * (ha @ WA.T + bA) + beta * (hb @ WB.T + bB)
    return (rng.random(v_sample.shape) < 1 / (1 + np.exp(-act))).astype(np.float64)


class AIS:
    """Log AIS weights for a ratio of partition functions.

    Parameters
    ----------
    sample_fn : ``sample_fn(beta, v) -> v'``, a transition leaving ``p_beta`` invariant.
    free_energy_fn : ``free_energy_fn(beta, v)``, the free energy under ``p_beta``.
    v_sample0 : exact samples from the beta=0 distribution, one row per particle.
    n_runs : number of particles. log_int : kept for the original's signature; progress is
    shown by a bar over the temperatures when a display is active.
    """

    dflt_beta = np.hstack([np.linspace(0, 0.5, 1000), np.linspace(0.5, 0.9, 10000),
                           np.linspace(0.9, 1.0, 10000)])

    def __init__(self, sample_fn: Callable, free_energy_fn: Callable, v_sample0: np.ndarray,
                 n_runs: int, log_int: int = 500) -> None:
        self.sample_fn, self.free_energy_fn = sample_fn, free_energy_fn
        self.v_sample0 = np.asarray(v_sample0, dtype=np.float64)
        self.n_runs, self.log_int = int(n_runs), int(log_int)
        self.log_ais_w = np.zeros(self.n_runs)
        self.betas = self.dflt_beta
        self.key_betas = None
        self.key_log_ais_w: list[np.ndarray] = []

    def set_betas(self, betas: np.ndarray | None = None, key_betas: np.ndarray | None = None) -> None:
        """Inverse temperatures from 0 to 1, never decreasing; ``key_betas`` are also added
        and the log weights at each are kept (estimates of log Z at those temperatures).
        A repeated temperature (the original's default schedule repeats 0.5 and 0.9)
        adds nothing to the weights and one more transition at that temperature."""
        betas = self.dflt_beta if betas is None else np.asarray(betas, dtype=np.float64)
        if key_betas is not None:
            self.key_betas = np.sort(np.asarray(key_betas, dtype=np.float64))
            betas = np.unique(np.hstack([betas, self.key_betas]))
        if betas.ndim != 1 or len(betas) < 2 or betas[0] != 0 or betas[-1] != 1 \
                or np.any(np.diff(betas) < 0):
            raise ConfigError("AIS betas must rise from 0 to 1 without decreasing, e.g. "
                              "numpy.linspace(0, 1, 1000).")
        self.betas = betas

    def run(self, n_steps: int = 1) -> np.ndarray:
        """Anneal every particle through ``betas``; returns the log weights."""
        v = self.v_sample0
        self.log_ais_w = np.zeros(self.n_runs)
        self.key_log_ais_w = []
        steps = zip(self.betas[:-1], self.betas[1:])
        for previous, beta in task_bar(steps, len(self.betas) - 1, "AIS", "temperature"):
            self.log_ais_w += self.free_energy_fn(previous, v) - self.free_energy_fn(beta, v)
            if self.key_betas is not None and beta in self.key_betas:
                self.key_log_ais_w.append(self.log_ais_w.copy())
            for _ in range(n_steps):
                v = self.sample_fn(beta, v)
        return self.log_ais_w

    def estimate_from_weights(self, log_ais_w: np.ndarray | None = None) -> tuple[float, float]:
        """``(log mean w, var)``: var is the delta-method variance of the log of the mean
        weight, ``var(w) / (n mean(w)^2)``."""
        w = self.log_ais_w if log_ais_w is None else np.asarray(log_ais_w)
        dlogz = _logmeanexp(w)
        relative = np.exp(w - dlogz)  # w / mean(w)
        return dlogz, float(np.var(relative) / len(w))


def rbm_z_ratio(rbmA_params: RBMParams, rbmB_params: RBMParams, n_runs: int,
                v0: np.ndarray | None = None, betas: np.ndarray | None = None,
                key_betas: np.ndarray | None = None, rng: Any = None, seed: int = 23098) -> AIS:
    """Run AIS from RBM A to RBM B (same visible units); ``log Z_B = log Z_A + log mean w``."""
    A = [np.asarray(p, dtype=np.float64) for p in rbmA_params]
    B = [np.asarray(p, dtype=np.float64) for p in rbmB_params]
    if len(A[1]) != len(B[1]):
        raise ConfigError("rbm_z_ratio: the two RBMs need the same visible units.")
    rng = _generator(rng, seed)
    v0 = rng.random((n_runs, len(B[1]))) if v0 is None else v0
    ais = AIS(lambda beta, v: rbm_ais_gibbs_for_v(A, B, beta, v, rng),
              lambda beta, v: rbm_ais_pk_free_energy(A, B, beta, v), v0, n_runs)
    ais.set_betas(betas, key_betas=key_betas)
    ais.run()
    return ais


def _generator(rng: Any, seed: int) -> np.random.Generator:
    if rng is None:
        return np.random.default_rng(seed)
    if isinstance(rng, np.random.RandomState):
        return np.random.default_rng(rng.randint(2 ** 31))
    return rng


def base_rate_biases(data: np.ndarray) -> np.ndarray:
    """Logits of the data's per-unit means, clipped to [1e-5, 1 - 1e-5]."""
    p = np.clip(np.asarray(data, dtype=np.float64).mean(0), 1e-5, 1 - 1e-5)
    return np.log(p / (1 - p))


def rbm_ais(rbm_params: RBMParams, n_runs: int, visbias_a: np.ndarray | None = None,
            data: np.ndarray | None = None, betas: np.ndarray | None = None,
            key_betas: np.ndarray | None = None, rng: Any = None, seed: int = 23098):
    """AIS estimate of a binary RBM's log Z from a base-rate model with no weights.

    The base model's visible biases: from ``data`` (the logits of its marginals), else
    ``visbias_a``, else the model's own. Returns ``((log_z, var_log_z), ais)``.
    """
    W, vb, hb = (np.asarray(p, dtype=np.float64) for p in rbm_params)
    if data is not None:
        visbias_a = base_rate_biases(data)
    elif visbias_a is None:
        visbias_a = vb
    A = (np.zeros_like(W), np.asarray(visbias_a, dtype=np.float64), np.zeros_like(hb))
    rng = _generator(rng, seed)
    v0 = (rng.random((n_runs, len(vb))) < 1 / (1 + np.exp(-A[1]))).astype(np.float64)
    ais = rbm_z_ratio(A, (W, vb, hb), n_runs, v0, betas=betas, key_betas=key_betas, rng=rng)
    dlogz, var = ais.estimate_from_weights()
    ais.log_za = len(hb) * np.log(2) + float(_softplus(A[1]).sum())
    ais.log_zb = ais.log_za + dlogz
    return (ais.log_zb, var), ais


__all__ = ["compute_log_z", "compute_nll", "rbm_ais", "rbm_z_ratio", "rbm_ais_pk_free_energy",
           "rbm_ais_gibbs_for_v", "AIS", "rbm_params", "free_energy_of", "base_rate_biases"]
