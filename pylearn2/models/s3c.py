"""Spike-and-slab sparse coding (S3C; Goodfellow, Courville & Bengio 2011).

Generative model, per example::

    h_i ~ Bernoulli(sigmoid(bias_hid_i))          (spike)
    s_i | h_i ~ N(h_i mu_i, 1 / alpha_i)          (slab)
    v | h, s ~ N(W (h * s), diag(1 / B))

Inference (:class:`E_Step`) is structured mean field ``q(h, s) = prod_i q(h_i) q(s_i |
h_i)``: ``q(s_i | h_i = 1) = N(S_hat_i, var_s1_i)`` with ``var_s1 = 1 / (alpha + B.W^2)``,
``q(s_i | h_i = 0) = N(0, 1 / alpha_i)``, ``q(h_i = 1) = H_hat_i``. Each step updates all
slabs in parallel (optionally with reflection clipping, then damping), then all spikes
(damped by ``h_new_coeff_schedule``). Learning (:class:`Grad_M_Step`) follows the
gradient of the energy functional (the variational lower bound on log p(v)) with q fixed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from pylearn2.models.model import Model
from pylearn2.space import VectorSpace
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.init_args import InitArgsMixin


def reflection_clip(S_hat: torch.Tensor, new_S_hat: torch.Tensor, rho: float = 0.5):
    """Bound a slab update on the side opposite the current sign by ``-rho * S_hat``, so a
    parallel update cannot reflect a slab far across the origin."""
    ceiling = new_S_hat.abs().max()
    pos, neg = (S_hat > 0).to(S_hat.dtype), (S_hat < 0).to(S_hat.dtype)
    low = -rho * pos * S_hat - (1 - pos) * ceiling
    high = (1 - neg) * ceiling - rho * neg * S_hat
    return torch.maximum(torch.minimum(new_S_hat, high), low)


def damp(old: torch.Tensor, new: torch.Tensor, new_coeff: float) -> torch.Tensor:
    return new if new_coeff == 1.0 else new_coeff * new + (1 - new_coeff) * old


class SufficientStatistics:
    """Batch means of the statistics the energy functional needs: ``mean_h``,
    ``mean_hs``, ``mean_sq_s``, ``mean_sq_hs``, ``mean_hsv``, ``mean_sq_v``,
    ``mean_sq_mean_hs`` (all under q)."""

    def __init__(self, d: dict[str, torch.Tensor]) -> None:
        self.d = dict(d)

    @classmethod
    def from_observations(cls, V: torch.Tensor, H_hat: torch.Tensor, S_hat: torch.Tensor,
                          var_s0_hat: torch.Tensor, var_s1_hat: torch.Tensor,
                          needed_stats: Any = None) -> SufficientStatistics:
        sq_s = H_hat * (S_hat.pow(2) + var_s1_hat) + (1 - H_hat) * var_s0_hat
        hs = H_hat * S_hat
        d = {"mean_h": H_hat.mean(0), "mean_hs": hs.mean(0), "mean_sq_s": sq_s.mean(0),
             "mean_sq_hs": (H_hat * (S_hat.pow(2) + var_s1_hat)).mean(0),
             "mean_hsv": (hs.T @ V) / V.shape[0], "mean_sq_v": V.pow(2).mean(0),
             "mean_sq_mean_hs": hs.pow(2).mean(0)}
        if needed_stats is not None:
            d = {k: d[k] for k in needed_stats}
        return cls(d)


class E_Step(InitArgsMixin):
    """Damped parallel fixed-point inference.

    Parameters
    ----------
    h_new_coeff_schedule : damping coefficient on the new spikes at each step (its length
        is the number of steps).
    s_new_coeff_schedule : the same for the slabs (default all 1).
    clip_reflections, rho : reflection clipping of the slab updates.
    monitor_kl, monitor_energy_functional, monitor_s_mag : monitoring channels.
    """

    def __init__(self, h_new_coeff_schedule: Sequence[float],
                 s_new_coeff_schedule: Sequence[float] | None = None,
                 clip_reflections: bool = False, monitor_kl: bool = False,
                 monitor_energy_functional: bool = False, monitor_s_mag: bool = False,
                 rho: float = 0.5) -> None:
        self.h_new_coeff_schedule = [float(c) for c in h_new_coeff_schedule]
        if s_new_coeff_schedule is None:
            s_new_coeff_schedule = [1.0] * len(self.h_new_coeff_schedule)
        if len(s_new_coeff_schedule) != len(self.h_new_coeff_schedule):
            raise ConfigError(f"E_Step: s_new_coeff_schedule has {len(s_new_coeff_schedule)} "
                              f"entries but h_new_coeff_schedule has "
                              f"{len(self.h_new_coeff_schedule)}.")
        self.s_new_coeff_schedule = [float(c) for c in s_new_coeff_schedule]
        self.clip_reflections, self.rho = bool(clip_reflections), float(rho)
        self.monitor_kl, self.monitor_energy_functional = monitor_kl, monitor_energy_functional
        self.monitor_s_mag = monitor_s_mag
        self.model: Any = None

    def register_model(self, model: Any) -> None:
        object.__setattr__(self, "model", model)

    def variances(self) -> tuple[torch.Tensor, torch.Tensor]:
        m = self.model
        return 1.0 / m.alpha, 1.0 / (m.alpha + m.w())

    def infer_S_hat(self, V: torch.Tensor, H_hat: torch.Tensor, S_hat: torch.Tensor
                    ) -> torch.Tensor:
        """Parallel slab update given the spikes."""
        m = self.model
        _, var_s1 = self.variances()
        HS = H_hat * S_hat
        residual = V - HS @ m.W.T
        BW = m.W * m.B[:, None]
        own = HS * m.w()  # add back each unit's own contribution
        return var_s1 * (m.alpha * m.mu + residual @ BW + own)

    def infer_H_hat(self, V: torch.Tensor, H_hat: torch.Tensor, S_hat: torch.Tensor
                    ) -> torch.Tensor:
        """Parallel spike update given the slabs (each S_hat_i the optimum given the rest)."""
        m = self.model
        _, var_s1 = self.variances()
        z = (m.bias_hid + 0.5 * torch.log(var_s1 * m.alpha) + 0.5 * S_hat.pow(2) / var_s1
             - 0.5 * m.alpha * m.mu.pow(2))
        return torch.sigmoid(z)

    def init_H_hat(self, V: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.model.bias_hid).expand(V.shape[0], -1)

    def init_S_hat(self, V: torch.Tensor) -> torch.Tensor:
        return self.model.mu.expand(V.shape[0], -1)

    def infer(self, V: torch.Tensor, return_history: bool = False):
        var_s0, var_s1 = self.variances()
        H, S = self.init_H_hat(V), self.init_S_hat(V)

        def obs():
            return {"H_hat": H, "S_hat": S, "var_s0_hat": var_s0, "var_s1_hat": var_s1}

        history = [obs()]
        for h_coeff, s_coeff in zip(self.h_new_coeff_schedule, self.s_new_coeff_schedule):
            new_S = self.infer_S_hat(V, H, S)
            if self.clip_reflections:
                new_S = reflection_clip(S, new_S, self.rho)
            S = damp(S, new_S, s_coeff)
            H = damp(H, self.infer_H_hat(V, H, S), h_coeff)
            history.append(obs())
        return history if return_history else history[-1]

    def truncated_KL(self, V: torch.Tensor, obs: dict) -> torch.Tensor:
        """KL(q || posterior) up to a constant: ``-energy functional``, per example."""
        return -self.model.energy_functional_batch(V, **obs)

    def get_monitoring_channels(self, V: torch.Tensor) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {}
        if not (self.monitor_kl or self.monitor_energy_functional or self.monitor_s_mag):
            return out
        for i, obs in enumerate(self.infer(V, return_history=True), start=1):
            if self.monitor_kl:
                out[f"trunc_KL_{i}"] = self.truncated_KL(V, obs).mean()
            if self.monitor_energy_functional:
                out[f"energy_functional_{i}"] = self.model.energy_functional_batch(V, **obs).mean()
            if self.monitor_s_mag:
                out[f"s_mag_{i}"] = obs["S_hat"].pow(2).sum().sqrt()
        return out


class Grad_M_Step(InitArgsMixin):
    """One gradient step on ``-(mean energy functional)`` plus penalties, q held fixed.

    Parameters
    ----------
    learning_rate : the step size. B_learning_rate_scale, W_learning_rate_scale : scalers
        for B and W. p_penalty, B_penalty, alpha_penalty : L2 pulls on sigmoid(bias_hid)
        (mean), B and alpha.
    """

    def __init__(self, learning_rate: float | None = None, B_learning_rate_scale: float = 1.0,
                 W_learning_rate_scale: float = 1.0, p_penalty: float = 0.0,
                 B_penalty: float = 0.0, alpha_penalty: float = 0.0) -> None:
        if learning_rate is None:
            raise ConfigError("Grad_M_Step needs a learning_rate.")
        self.learning_rate = float(learning_rate)
        self.B_learning_rate_scale = float(B_learning_rate_scale)
        self.W_learning_rate_scale = float(W_learning_rate_scale)
        self.p_penalty, self.B_penalty = float(p_penalty), float(B_penalty)
        self.alpha_penalty = float(alpha_penalty)

    def objective(self, model: Any, V: torch.Tensor, obs: dict) -> torch.Tensor:
        fixed = {k: v.detach() for k, v in obs.items() if k in ("H_hat", "S_hat")}
        var_s0, var_s1 = model.e_step.variances()
        value = -model.energy_functional_batch(V, var_s0_hat=var_s0, var_s1_hat=var_s1,
                                                **fixed).mean()
        value = value + self.p_penalty * torch.sigmoid(model.bias_hid).mean()
        return value + self.B_penalty * model.B.mean() + self.alpha_penalty * model.alpha.mean()

    @torch.no_grad()
    def apply(self, model: Any, grads: dict) -> None:
        for p, g in grads.items():
            scale = (self.W_learning_rate_scale if p is model.W else
                     self.B_learning_rate_scale if p is model.B_driver else 1.0)
            p.sub_(self.learning_rate * scale * g)

    def get_monitoring_channels(self, V: torch.Tensor, model: Any) -> dict[str, torch.Tensor]:
        return {}


class S3C(Model):
    """Spike-and-slab sparse coding; trains itself (``algorithm: null`` in Train) by
    alternating :class:`E_Step` and :class:`Grad_M_Step` over minibatches of 100.

    Parameters (the original's; see the module docstring for the model)
    ----------
    nvis, nhid, irange : sizes and U(-irange, irange) weights. init_bias_hid, init_B,
    init_alpha, init_mu : initial values (scalars or vectors), clipped after each M step
    to [min_B, max_B], [min_alpha, max_alpha], [min_mu, max_mu], [min_bias_hid,
    max_bias_hid]. e_step, m_step : E_Step and Grad_M_Step. tied_B : one precision for all
    visible units. constrain_W_norm : unit-norm columns always; init_unit_W : at the start.
    random_patches_src : a dataset whose examples initialise W's columns. seed : init seed.
    disable_W_update : learn only the prior. monitor_stats : sufficient statistics to
    monitor; monitor_functional : monitor the energy functional. max_epochs : epochs of
    self-training (an addition; the original relied on a training algorithm).
    Other original arguments (local_rf_*, recycle_q, debug_m_step, print_interval,
    stop_after_hack, monitor_params, monitor_norms) are not available: giving a
    non-default value is an error.
    """

    def __init__(self, nvis: int, nhid: int, irange: float, init_bias_hid: Any, init_B: Any,
                 min_B: float, max_B: float, init_alpha: Any, min_alpha: float, max_alpha: float,
                 init_mu: Any, m_step: Grad_M_Step, min_bias_hid: float = -1e30,
                 max_bias_hid: float = 1e30, min_mu: float = -1e30, max_mu: float = 1e30,
                 e_step: E_Step | None = None, tied_B: bool = False,
                 monitor_stats: Sequence[str] | None = None, monitor_functional: bool = False,
                 seed: Any = None, disable_W_update: bool = False,
                 constrain_W_norm: bool = False, random_patches_src: Any = None,
                 init_unit_W: bool | None = None, recycle_q: int = 0,
                 local_rf_src: Any = None, debug_m_step: bool = False,
                 max_epochs: int = 1, batch_size: int = 100) -> None:
        super().__init__()
        if recycle_q or local_rf_src is not None or debug_m_step:
            raise ConfigError("S3C: recycle_q, local_rf_src and debug_m_step are not available.")
        if e_step is None:
            raise ConfigError("S3C needs an e_step (e.g. !obj:pylearn2.models.s3c.E_Step "
                              "{h_new_coeff_schedule: [.1, .2, .3, .4, .5]}).")
        self.nvis, self.nhid, self.irange = int(nvis), int(nhid), float(irange)
        self.min_B, self.max_B = float(min_B), float(max_B)
        self.min_alpha, self.max_alpha = float(min_alpha), float(max_alpha)
        self.min_mu, self.max_mu = float(min_mu), float(max_mu)
        self.min_bias_hid, self.max_bias_hid = float(min_bias_hid), float(max_bias_hid)
        self.m_step, self.e_step, self.tied_B = m_step, e_step, bool(tied_B)
        self.monitor_stats = list(monitor_stats or [])
        self.monitor_functional = bool(monitor_functional)
        self.disable_W_update, self.constrain_W_norm = bool(disable_W_update), bool(constrain_W_norm)
        self.max_epochs, self.batch_size, self.epochs_done = int(max_epochs), int(batch_size), 0
        rng = np.random.default_rng([1, 2, 3] if seed is None else np.atleast_1d(seed).tolist())
        if random_patches_src is not None:
            W = np.asarray(random_patches_src.get_design_matrix()[:self.nhid], float).T
        else:
            W = rng.uniform(-self.irange, self.irange, (self.nvis, self.nhid))
        if constrain_W_norm or init_unit_W:
            W = W / np.linalg.norm(W, axis=0).clip(1e-12)
        vec = lambda x, n: torch.as_tensor(np.zeros(n) + np.asarray(x, float), dtype=torch.float32)  # noqa: E731
        self.W = torch.nn.Parameter(torch.as_tensor(W, dtype=torch.float32),
                                    requires_grad=not self.disable_W_update)
        self.bias_hid = torch.nn.Parameter(vec(init_bias_hid, self.nhid))
        self.alpha = torch.nn.Parameter(vec(init_alpha, self.nhid))
        self.mu = torch.nn.Parameter(vec(init_mu, self.nhid))
        self.B_driver = torch.nn.Parameter(vec(init_B, 1 if self.tied_B else self.nvis))
        self.input_space = VectorSpace(self.nvis)
        self.output_space = VectorSpace(self.nhid)
        self.e_step.register_model(self)

    # -- the model ------------------------------------------------------------------------
    @property
    def B(self) -> torch.Tensor:
        return self.B_driver.expand(self.nvis)

    def w(self) -> torch.Tensor:
        """``B . W^2`` per hidden unit."""
        return self.B @ self.W.pow(2)

    def get_hidden_obs(self, V: torch.Tensor, return_history: bool = False):
        return self.e_step.infer(V, return_history=return_history)

    def perform(self, V: torch.Tensor) -> torch.Tensor:
        """Features: ``H_hat * S_hat`` (the expected spike-times-slab)."""
        obs = self.get_hidden_obs(V)
        return obs["H_hat"] * obs["S_hat"]

    def forward(self, V: torch.Tensor) -> torch.Tensor:
        return self.perform(V)

    def entropy_hs(self, H_hat, var_s0_hat, var_s1_hat) -> torch.Tensor:
        Hc = H_hat.clamp(1e-12, 1 - 1e-12)
        h_ent = -(Hc * Hc.log() + (1 - Hc) * (1 - Hc).log())
        s_ent = 0.5 * (H_hat * torch.log(2 * math.pi * math.e * var_s1_hat)
                       + (1 - H_hat) * torch.log(2 * math.pi * math.e * var_s0_hat))
        return (h_ent + s_ent).sum(1)

    def expected_log_prob_vhs_batch(self, V, H_hat, S_hat, var_s0_hat, var_s1_hat):
        """E_q log p(v, h, s) per example."""
        log_h = H_hat @ self.bias_hid - F.softplus(self.bias_hid).sum()
        sq_s1 = (S_hat - self.mu).pow(2) + var_s1_hat
        log_s = (0.5 * torch.log(self.alpha / (2 * math.pi))
                 - 0.5 * self.alpha * (H_hat * sq_s1 + (1 - H_hat) * var_s0_hat)).sum(1)
        HS = H_hat * S_hat
        mean_err = (V - HS @ self.W.T).pow(2)
        extra = (H_hat * (S_hat.pow(2) + var_s1_hat) - HS.pow(2)) @ self.W.pow(2).T
        log_v = (0.5 * torch.log(self.B / (2 * math.pi)) - 0.5 * self.B * (mean_err + extra)).sum(1)
        return log_h + log_s + log_v

    def energy_functional_batch(self, V, H_hat, S_hat, var_s0_hat, var_s1_hat):
        """The variational lower bound on log p(v) per example."""
        return (self.expected_log_prob_vhs_batch(V, H_hat, S_hat, var_s0_hat, var_s1_hat)
                + self.entropy_hs(H_hat, var_s0_hat, var_s1_hat))

    # -- self-training ----------------------------------------------------------------------
    def learn_mini_batch(self, X: torch.Tensor) -> None:
        with torch.no_grad():
            obs = self.get_hidden_obs(X)
        value = self.m_step.objective(self, X, obs)
        params = [p for p in self.parameters() if p.requires_grad]
        grads = dict(zip(params, torch.autograd.grad(value, params)))
        self.m_step.apply(self, grads)
        self.enforce_constraints()

    def train_all(self, dataset: Any) -> None:
        X = torch.as_tensor(np.asarray(dataset.get_design_matrix()), dtype=self.W.dtype)
        for start in range(0, len(X), self.batch_size):
            self.learn_mini_batch(X[start:start + self.batch_size])
        self.epochs_done += 1

    def continue_learning(self) -> bool:
        return self.epochs_done < self.max_epochs

    def has_constraints(self) -> bool:
        return True

    @torch.no_grad()
    def enforce_constraints(self) -> None:
        self.B_driver.clamp_(self.min_B, self.max_B)
        self.alpha.clamp_(self.min_alpha, self.max_alpha)
        self.mu.clamp_(self.min_mu, self.max_mu)
        self.bias_hid.clamp_(self.min_bias_hid, self.max_bias_hid)
        if self.constrain_W_norm:
            self.W.div_(self.W.norm(dim=0, keepdim=True).clamp_min(1e-12))

    def state_dict(self, *args: Any, **kwargs: Any):
        state = super().state_dict(*args, **kwargs)
        state["epochs_done"] = torch.tensor(self.epochs_done)
        return state

    def load_state_dict(self, state: Any, strict: bool = True, assign: bool = False):
        state = dict(state)
        self.epochs_done = int(state.pop("epochs_done", 0))
        return super().load_state_dict(state, strict=strict, assign=assign)

    def get_weights(self) -> np.ndarray:
        return self.W.detach().cpu().numpy()

    def get_monitoring_data_specs(self):
        return (self.input_space, "features")

    def get_monitoring_channels(self, V: torch.Tensor) -> dict[str, torch.Tensor]:
        out = dict(self.e_step.get_monitoring_channels(V))
        if self.monitor_stats or self.monitor_functional:
            obs = self.get_hidden_obs(V)
            if self.monitor_functional:
                out["energy_functional"] = self.energy_functional_batch(V, **obs).mean()
            stats = SufficientStatistics.from_observations(V, **obs).d
            for name in self.monitor_stats:
                if name not in stats:
                    raise ConfigError(f"S3C monitor_stats: unknown statistic {name!r}; "
                                      f"choose from {sorted(stats)}.")
                value = stats[name]
                out[f"{name}_min"], out[f"{name}_mean"], out[f"{name}_max"] = (
                    value.min(), value.mean(), value.max())
        return out


__all__ = ["S3C", "E_Step", "Grad_M_Step", "SufficientStatistics", "reflection_clip", "damp"]
