"""The mu-pooled spike-and-slab RBM (Courville, Bergstra & Bengio, ICML 2011), re-exported
as ``pylearn2.models.rbm.mu_pooled_ssRBM``.

Energy, with ``n_s_per_h`` slab variables per spike (``nslab = nhid * n_s_per_h``)::

    E(v, s, h) = 0.5 v^T (diag(B) + sum_i h_i diag(Lambda_i)) v - sum_ik h_i v^T W_ik s_ik
                 + 0.5 sum_ik alpha_ik s_ik^2 - sum_ik alpha_ik mu_ik h_i s_ik
                 + 0.5 sum_ik alpha_ik mu_ik^2 h_i - b.h

so ``s | v, h_i = 1 ~ N(mu + W^T v / alpha, 1 / alpha)``, ``v | h, s ~ N(var * W (h s),
var = 1 / (B + Lambda h))`` and the free energy is ``0.5 B.v^2 - sum softplus(input to h)``
(up to a constant). ``B`` is kept fixed during training in the original (its docstring
says so); here it is a parameter like the others unless you exclude it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from pylearn2.models.model import Model
from pylearn2.space import VectorSpace


class mu_pooled_ssRBM(Model):  # noqa: N801 (the original's name)
    """Parameters
    ----------
    nvis, nhid, n_s_per_h : sizes. batch_size : accepted (the original's), not needed.
    alpha0, alpha_irange : slab precisions ``alpha0 + U(-irange, irange)`` (learned in log).
    b0 : hidden biases. B0 : visible precisions. Lambda0, Lambda_irange : the
    spike-dependent visible precisions ``Lambda0 + U(0, irange)``. mu0 : slab means.
    W_irange : weights U(-r, r) (default ``2 / sqrt(nvis * nhid)``). rng : seed.
    """

    def __init__(self, nvis: int, nhid: int, n_s_per_h: int, batch_size: int | None,
                 alpha0: float, alpha_irange: float, b0: float, B0: float, Lambda0: float,
                 Lambda_irange: float, mu0: float, W_irange: float | None = None,
                 rng: Any = None) -> None:
        super().__init__()
        rng = np.random.RandomState(1001 if rng is None else rng)
        self.nvis, self.nhid, self.n_s_per_h = int(nvis), int(nhid), int(n_s_per_h)
        self.nslab = self.nhid * self.n_s_per_h
        self.batch_size = batch_size
        alpha = np.zeros(self.nslab) + alpha0
        if alpha_irange > 0:
            alpha += (2 * rng.rand(self.nslab) - 1) * alpha_irange
        self.log_alpha = torch.nn.Parameter(torch.as_tensor(np.log(alpha), dtype=torch.float32))
        self.mu = torch.nn.Parameter(torch.full((self.nslab,), float(mu0)))
        self.b = torch.nn.Parameter(torch.full((self.nhid,), float(b0)))
        W_irange = 2 / np.sqrt(nvis * nhid) if W_irange is None else W_irange
        W = (0.5 - rng.rand(self.nvis, self.nslab)) * 2 * W_irange
        self.W = torch.nn.Parameter(torch.as_tensor(W, dtype=torch.float32))
        self.B = torch.nn.Parameter(torch.full((self.nvis,), float(B0)))
        L = np.zeros((self.nvis, self.nhid)) + Lambda0
        if Lambda_irange > 0:
            L = L + rng.rand(self.nvis, self.nhid) * Lambda_irange
        self.Lambda = torch.nn.Parameter(torch.as_tensor(L, dtype=torch.float32))
        self.input_space = VectorSpace(self.nvis)
        self.output_space = VectorSpace(self.nhid)

    @property
    def alpha(self) -> torch.Tensor:
        return self.log_alpha.exp()

    def _sum_s(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(-1, self.nhid, self.n_s_per_h).sum(2)

    def input_to_h_from_v(self, v: torch.Tensor) -> torch.Tensor:
        vW = v @ self.W
        return (self.b - 0.5 * (v * v) @ self.Lambda + self._sum_s(self.mu * vW)
                + self._sum_s(0.5 * vW.pow(2) / self.alpha))

    def mean_h_given_v(self, v: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.input_to_h_from_v(v))

    P_H_given_V = mean_h_given_v

    def mean_var_s_given_v_h1(self, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.mu + (v @ self.W) / self.alpha, 1.0 / self.alpha

    def mean_var_v_given_h_s(self, h: torch.Tensor, s: torch.Tensor):
        var = 1.0 / (self.B + h @ self.Lambda.T)
        hs = (h.unsqueeze(2) * s.reshape(-1, self.nhid, self.n_s_per_h)).reshape(-1, self.nslab)
        return (hs @ self.W.T) * var, var

    def free_energy_given_v(self, v: torch.Tensor) -> torch.Tensor:
        return 0.5 * (self.B * v.pow(2)).sum(1) - F.softplus(self.input_to_h_from_v(v)).sum(1)

    free_energy = free_energy_given_v

    def energy(self, v: torch.Tensor, h: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        """E(v, s, h) of the module docstring, per example."""
        h_slab = h.repeat_interleave(self.n_s_per_h, dim=1)
        a = self.alpha
        return (0.5 * (v * v * (self.B + h @ self.Lambda.T)).sum(1)
                - ((v @ self.W) * h_slab * s).sum(1) + 0.5 * (a * s * s).sum(1)
                - (a * self.mu * h_slab * s).sum(1) + 0.5 * (a * self.mu.pow(2) * h_slab).sum(1)
                - h @ self.b)

    def gibbs_step_for_v(self, v: torch.Tensor, generator: torch.Generator | None = None):
        """h | v, then s | v, h, then v | h, s; returns ``(v_sample, locals)``."""
        h_mean = self.mean_h_given_v(v)
        h_sample = torch.bernoulli(h_mean, generator=generator)
        s_mu, s_var = self.mean_var_s_given_v_h1(v)
        s_sample = s_mu + torch.randn(s_mu.shape, generator=generator, dtype=v.dtype) * s_var.sqrt()
        v_mean, v_var = self.mean_var_v_given_h_s(h_sample, s_sample)
        v_sample = v_mean + torch.randn(v_mean.shape, generator=generator, dtype=v.dtype) * v_var.sqrt()
        return v_sample, {"h_mean": h_mean, "h_sample": h_sample, "s_sample": s_sample,
                          "v_mean": v_mean, "v_sample": v_sample}

    def ml_gradients(self, pos_v: torch.Tensor, neg_v: torch.Tensor) -> list[torch.Tensor]:
        cost = (self.free_energy_given_v(pos_v.detach()).mean()
                - self.free_energy_given_v(neg_v.detach()).mean())
        return list(torch.autograd.grad(cost, self.get_params()))

    def perform(self, v: torch.Tensor) -> torch.Tensor:
        return self.mean_h_given_v(v)

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        return self.perform(v)

    def get_weights(self) -> np.ndarray:
        return self.W.detach().cpu().numpy()

    def get_monitoring_data_specs(self):
        return (self.input_space, "features")

    def get_monitoring_channels(self, data: torch.Tensor) -> dict[str, torch.Tensor]:
        h = self.mean_h_given_v(data).mean(0)
        return {"h_min": h.min(), "h_mean": h.mean(), "h_max": h.max()}


__all__ = ["mu_pooled_ssRBM"]
