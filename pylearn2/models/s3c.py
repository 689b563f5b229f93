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

import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from pylearn2.models.model import Model
from pylearn2.models.s3c_local_rf import local_rf_weights
from pylearn2.space import VectorSpace
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.init_args import InitArgsMixin

logger = logging.getLogger(__name__)


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


def geodesic_step(W: torch.Tensor, step: torch.Tensor) -> torch.Tensor:
    """Move each unit-norm column of W along the great circle towards ``step``'s part
    tangent to the sphere, by that part's length (the original's constrained W update)."""
    tangent = step - (step * W).sum(0) * W
    theta = (1e-8 + tangent.pow(2).sum(0)).sqrt()
    return torch.cos(theta) * W + torch.sin(theta) * (tangent / theta)


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

    def infer_H_hat_presigmoid(self, V: torch.Tensor, H_hat: torch.Tensor,
                               S_hat: torch.Tensor) -> torch.Tensor:
        """The spikes' update before the sigmoid, for the current slabs S_hat (damped or
        clipped ones included): the change in the energy functional when h_i goes from 0
        to 1 with the rest of q held fixed."""
        m = self.model
        w = m.w()
        HS = H_hat * S_hat
        residual = V - HS @ m.W.T
        data = (residual @ (m.W * m.B[:, None])) * S_hat + w * H_hat * S_hat.pow(2)
        data = data - 0.5 * w * S_hat.pow(2)
        prior = (-0.5 * m.alpha * S_hat.pow(2) + m.alpha * S_hat * m.mu
                 - 0.5 * m.alpha * m.mu.pow(2))
        return data + prior + m.bias_hid + 0.5 * torch.log(m.alpha / (m.alpha + w))

    def infer_H_hat(self, V: torch.Tensor, H_hat: torch.Tensor, S_hat: torch.Tensor
                    ) -> torch.Tensor:
        """Parallel spike update given the slabs."""
        return torch.sigmoid(self.infer_H_hat_presigmoid(V, H_hat, S_hat))

    def _recycled(self, name: str, V: torch.Tensor) -> torch.Tensor | None:
        m = self.model
        if getattr(m, "recycle_q", 0) and V.shape[0] == m.recycle_q:
            return getattr(m, name)
        return None

    def init_H_hat(self, V: torch.Tensor) -> torch.Tensor:
        """The prior, or with ``recycle_q`` the spikes the last E-step of a batch that
        size ended with."""
        recycled = self._recycled("prev_H", V)
        if recycled is not None:
            return recycled
        return torch.sigmoid(self.model.bias_hid).expand(V.shape[0], -1)

    def init_S_hat(self, V: torch.Tensor) -> torch.Tensor:
        recycled = self._recycled("prev_S", V)
        if recycled is not None:
            return recycled
        return self.model.mu.expand(V.shape[0], -1)

    def _schedules(self):
        return zip(self.h_new_coeff_schedule, self.s_new_coeff_schedule)

    def infer(self, V: torch.Tensor, return_history: bool = False):
        var_s0, var_s1 = self.variances()
        H, S = self.init_H_hat(V), self.init_S_hat(V)

        def obs():
            return {"H_hat": H, "S_hat": S, "var_s0_hat": var_s0, "var_s1_hat": var_s1}

        history = [obs()]
        for h_coeff, s_coeff in self._schedules():
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


class E_Step_Scan(E_Step):
    """:class:`E_Step` whose damping schedules are tensors (the original ran them in a
    scan over shared variables): they can be changed in place between calls, e.g.
    ``e_step.h_new_coeff_schedule[:] = 0.5``, keeping their length. Same arguments and
    the same updates as E_Step. The S3C model's state_dict keeps the current schedules."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.h_new_coeff_schedule = torch.tensor(self.h_new_coeff_schedule, dtype=torch.float64)
        self.s_new_coeff_schedule = torch.tensor(self.s_new_coeff_schedule, dtype=torch.float64)

    def _schedules(self):
        return zip(self.h_new_coeff_schedule.tolist(), self.s_new_coeff_schedule.tolist())


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
        # q is held fixed, its variances included (the original's sufficient statistics)
        var_s0, var_s1 = (v.detach() for v in model.e_step.variances())
        value = -model.energy_functional_batch(V, var_s0_hat=var_s0, var_s1_hat=var_s1,
                                                **fixed).mean()
        value = value + self.p_penalty * torch.sigmoid(model.bias_hid).mean()
        return value + self.B_penalty * model.B.mean() + self.alpha_penalty * model.alpha.mean()

    @torch.no_grad()
    def apply(self, model: Any, grads: dict) -> None:
        for p, g in grads.items():
            scale = (self.W_learning_rate_scale if p is model.W else
                     self.B_learning_rate_scale if p is model.B_driver else 1.0)
            if p is model.W and model.constrain_W_norm:
                p.copy_(geodesic_step(p, -self.learning_rate * scale * g))
            else:
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
    recycle_q : nonzero (the batch size): each E-step on a batch of that size starts from
        the previous one's result (meant for training on the same batch repeatedly).
    local_rf_src, local_rf_shape, local_rf_stride or local_rf_max_shape,
    local_rf_draw_patches : local receptive field initial weights on local_rf_src's
        images (:mod:`pylearn2.models.s3c_local_rf`).
    monitor_params : parameters whose min/mean/max to monitor (mu and W add |mu| and the
        column norms). monitor_norms : monitor W's column norms right after each M step.
    debug_m_step : monitor ``m_step_diff``, the change of the last batch's energy
        functional across its M step (positive when the step helped).
    print_interval : log progress every that many examples. stop_after_hack : stop
        self-training after that many examples.
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
                 local_rf_src: Any = None, local_rf_shape: Sequence[int] | None = None,
                 local_rf_max_shape: Sequence[int] | None = None,
                 local_rf_stride: Sequence[int] | None = None,
                 local_rf_draw_patches: bool = False, monitor_params: Sequence[str] | None = None,
                 monitor_norms: bool = False, debug_m_step: bool = False,
                 print_interval: int = 10000, stop_after_hack: int | None = None,
                 max_epochs: int = 1, batch_size: int = 100) -> None:
        super().__init__()
        if e_step is None:
            raise ConfigError("S3C needs an e_step (e.g. !obj:pylearn2.models.s3c.E_Step "
                              "{h_new_coeff_schedule: [.1, .2, .3, .4, .5]}).")
        if random_patches_src is not None and local_rf_src is not None:
            raise ConfigError("S3C: give random_patches_src or local_rf_src, not both.")
        if init_unit_W is not None and not init_unit_W and constrain_W_norm:
            raise ConfigError("S3C: init_unit_W: False contradicts constrain_W_norm: True.")
        unknown = set(monitor_params or []) - {"W", "bias_hid", "alpha", "mu", "B_driver"}
        if unknown:
            raise ConfigError(f"S3C monitor_params: unknown parameters {sorted(unknown)}; "
                              "choose from W, bias_hid, alpha, mu, B_driver.")
        self.nvis, self.nhid = int(nvis), int(nhid)
        self.irange = None if irange is None else float(irange)
        self.recycle_q = int(recycle_q)
        self.monitor_params, self.monitor_norms = list(monitor_params or []), bool(monitor_norms)
        self.debug_m_step, self.print_interval = bool(debug_m_step), int(print_interval)
        self.stop_after_hack = stop_after_hack
        self.examples_seen = 0
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
        elif local_rf_src is not None:
            W = local_rf_weights(local_rf_src, self.nhid, local_rf_shape, rng, self.irange,
                                 local_rf_stride, local_rf_max_shape, local_rf_draw_patches)
        elif self.irange is None:
            raise ConfigError("S3C needs irange (or random_patches_src / local_rf_src).")
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
        # recycle_q: the last E-step's spikes and slabs start the next one (same batch)
        self.register_buffer("prev_H", None if not self.recycle_q else
                             torch.sigmoid(self.bias_hid.detach()).expand(self.recycle_q, -1)
                             .clone())
        self.register_buffer("prev_S", None if not self.recycle_q else
                             self.mu.detach().expand(self.recycle_q, -1).clone())
        self.register_buffer("m_step_diff", torch.zeros(()))
        self.register_buffer("post_solve_norms", torch.zeros(self.nhid))
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
        """Features: the spikes' posterior means ``H_hat``, as the original's block output
        (``get_hidden_obs`` gives ``S_hat`` too, for ``H_hat * S_hat`` features)."""
        return self.get_hidden_obs(V)["H_hat"]

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
            if self.recycle_q:
                if X.shape[0] != self.recycle_q:
                    raise ConfigError(f"S3C recycle_q={self.recycle_q} but a batch has "
                                      f"{X.shape[0]} examples; make them equal.")
                self.prev_H, self.prev_S = obs["H_hat"].clone(), obs["S_hat"].clone()
            before = self.energy_functional_batch(X, **obs).mean() if self.debug_m_step else None
        value = self.m_step.objective(self, X, obs)
        params = [p for p in self.parameters() if p.requires_grad]
        grads = dict(zip(params, torch.autograd.grad(value, params)))
        self.m_step.apply(self, grads)
        with torch.no_grad():
            self.post_solve_norms.copy_(self.W.norm(dim=0))
        self.enforce_constraints()
        if before is not None:
            with torch.no_grad():
                var_s0, var_s1 = self.e_step.variances()
                after = self.energy_functional_batch(X, obs["H_hat"], obs["S_hat"], var_s0,
                                                     var_s1).mean()
                self.m_step_diff.copy_(after - before)
        previous = self.examples_seen
        self.examples_seen += int(X.shape[0])
        if self.examples_seen // self.print_interval > previous // self.print_interval:
            logger.info("S3C: %d examples seen", self.examples_seen)

    def train_all(self, dataset: Any) -> None:
        X = torch.as_tensor(np.asarray(dataset.get_design_matrix()), dtype=self.W.dtype)
        for start in range(0, len(X), self.batch_size):
            self.learn_mini_batch(X[start:start + self.batch_size])
        self.epochs_done += 1

    def continue_learning(self) -> bool:
        if self.stop_after_hack is not None and self.examples_seen > int(self.stop_after_hack):
            return False
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
        state["examples_seen"] = torch.tensor(self.examples_seen)
        if isinstance(self.e_step, E_Step_Scan):
            state["e_step.h_new_coeff_schedule"] = self.e_step.h_new_coeff_schedule.clone()
            state["e_step.s_new_coeff_schedule"] = self.e_step.s_new_coeff_schedule.clone()
        return state

    def load_state_dict(self, state: Any, strict: bool = True, assign: bool = False):
        state = dict(state)
        self.epochs_done = int(state.pop("epochs_done", 0))
        self.examples_seen = int(state.pop("examples_seen", 0))
        for key in ("m_step_diff", "post_solve_norms"):  # files saved before these existed
            state.setdefault(key, getattr(self, key))
        for key in ("h_new_coeff_schedule", "s_new_coeff_schedule"):
            if f"e_step.{key}" in state:
                getattr(self.e_step, key).copy_(state.pop(f"e_step.{key}"))
        return super().load_state_dict(state, strict=strict, assign=assign)

    def get_weights(self) -> np.ndarray:
        return self.W.detach().cpu().numpy()

    def get_monitoring_data_specs(self):
        return (self.input_space, "features")

    def get_monitoring_channels(self, V: torch.Tensor) -> dict[str, torch.Tensor]:
        out = dict(self.e_step.get_monitoring_channels(V))
        if self.debug_m_step:
            out["m_step_diff"] = self.m_step_diff.clone()
        for name in self.monitor_params:
            value = getattr(self, name).detach()
            out.update(_min_mean_max(name, value))
            if name == "mu":
                out.update(_min_mean_max("mu_abs", value.abs()))
            if name == "W":
                out.update(_min_mean_max("W_norm", value.norm(dim=0)))
        if self.monitor_norms:
            out.update(_min_mean_max("post_solve_norms", self.post_solve_norms.clone(),
                                     suffixes=("min", "mean", "max")))
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


def _min_mean_max(name: str, value: torch.Tensor, suffixes=("min", "mean", "max")):
    return {f"{name}_{k}": getattr(value, k)() for k in suffixes}


__all__ = ["S3C", "E_Step", "E_Step_Scan", "geodesic_step", "Grad_M_Step",
           "SufficientStatistics", "reflection_clip", "damp"]
