"""Restricted Boltzmann machines: binary-binary and Gaussian-binary.

An RBM defines p(v, h) ~ exp(-E(v, h)); summing out the binary hidden units gives the
free energy F(v) with p(v) ~ exp(-F(v)). The models expose what the estimators in
:mod:`pylearn2.costs.ebm_estimation` need: ``free_energy``, block Gibbs sampling, the score
``psi(v) = -dF/dv`` and its divergence for score matching. A trained RBM is a Block whose
``perform`` gives the hidden units' means.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from pylearn2.models.model import Model
from pylearn2.space import VectorSpace
from pylearn2.utils.exc import ConfigError


def _np_rng(rng: Any) -> np.random.Generator:
    return np.random.default_rng(None if rng is None else [int(s) for s in np.atleast_1d(rng)])


class RBM(Model):
    """Binary visible and hidden units: E(v, h) = -b.v - c.h - v^T W h.

    ``W`` is a dense matrix, or any LinearTransform given as ``transformer`` (convolutional,
    tiled, locally connected): the same model then becomes convolutional by configuration.
    """

    def __init__(self, nvis: int | None = None, nhid: int | None = None, vis_space: Any = None,
                 hid_space: Any = None, transformer: Any = None, irange: float = 0.5,
                 rng: Any = (2013, 4, 1), init_bias_vis: float | None = None,
                 init_bias_vis_marginals: Any = None, init_bias_hid: float = 0.0,
                 base_lr: float = 1e-3, anneal_start: Any = None, nchains: int = 100,
                 sml_gibbs_steps: int = 1, random_patches_src: Any = None,
                 monitor_reconstruction: bool = False, learn_log_z: bool = False) -> None:
        super().__init__()
        if transformer is not None:
            vis_space, hid_space = transformer.input_space, transformer.output_space
            nvis, nhid = vis_space.get_total_dimension(), hid_space.get_total_dimension()
        if vis_space is not None:
            nvis = vis_space.get_total_dimension()
        if hid_space is not None:
            nhid = hid_space.get_total_dimension()
        if nvis is None or nhid is None:
            raise ConfigError("RBM needs nvis (or vis_space) and nhid (or hid_space), or a "
                              "transformer.")
        self.nvis, self.nhid = int(nvis), int(nhid)
        self.irange = irange
        self.monitor_reconstruction = monitor_reconstruction
        generator = _np_rng(rng)
        self.transformer = transformer
        self.weights = None if transformer is not None else torch.nn.Parameter(torch.as_tensor(
            generator.uniform(-irange, irange, (self.nvis, self.nhid)), dtype=torch.float32))
        self.bias_vis = torch.nn.Parameter(torch.as_tensor(self._visible_bias(
            init_bias_vis, init_bias_vis_marginals), dtype=torch.float32))
        self.bias_hid = torch.nn.Parameter(torch.full((self.nhid,), float(init_bias_hid)))
        self.log_z = torch.nn.Parameter(torch.zeros(())) if learn_log_z else None
        self.input_space = VectorSpace(self.nvis)
        self.output_space = VectorSpace(self.nhid)

    def _visible_bias(self, init_bias_vis: Any, marginals_dataset: Any) -> np.ndarray:
        if marginals_dataset is not None:
            p = np.clip(np.asarray(marginals_dataset.get_design_matrix()).mean(0), 1e-3, 1 - 1e-3)
            return np.log(p / (1 - p))
        return np.full(self.nvis, 0.0 if init_bias_vis is None else float(init_bias_vis))

    # -- the linear part ----------------------------------------------------------------------
    def lmul(self, v: torch.Tensor) -> torch.Tensor:
        """v W for flat (batch, nvis) visible vectors, flat (batch, nhid) result."""
        if self.transformer is None:
            return v @ self.weights
        t = self.transformer
        out = t.lmul(VectorSpace(self.nvis).format_as(v, t.input_space))
        return t.output_space.format_as(out, VectorSpace(self.nhid))

    def lmul_T(self, h: torch.Tensor) -> torch.Tensor:
        """h W^T for flat hidden vectors."""
        if self.transformer is None:
            return h @ self.weights.T
        t = self.transformer
        out = t.lmul_T(VectorSpace(self.nhid).format_as(h, t.output_space))
        return t.input_space.format_as(out, VectorSpace(self.nvis))

    def weight_matrix(self) -> torch.Tensor:
        """W as a dense (nvis, nhid) matrix (materialised for transforms)."""
        if self.transformer is None:
            return self.weights
        eye = torch.eye(self.nvis, dtype=self.bias_vis.dtype, device=self.bias_vis.device)
        return self.lmul(eye)

    # -- energies ---------------------------------------------------------------------------
    def hidden_input(self, v: torch.Tensor) -> torch.Tensor:
        return self.bias_hid + self.lmul(v)

    def energy(self, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        return -(v @ self.bias_vis) - (h @ self.bias_hid) - (self.lmul(v) * h).sum(1)

    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        return -(v @ self.bias_vis) - F.softplus(self.hidden_input(v)).sum(1)

    # -- sampling -----------------------------------------------------------------------------
    def mean_h_given_v(self, v: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.hidden_input(v))

    def mean_v_given_h(self, h: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.bias_vis + self.lmul_T(h))

    def sample_v_given_h(self, h: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return torch.bernoulli(self.mean_v_given_h(h), generator=generator)

    def gibbs_step(self, v: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        h = torch.bernoulli(self.mean_h_given_v(v), generator=generator)
        return self.sample_v_given_h(h, generator)

    def random_visible(self, n: int, generator: torch.Generator) -> torch.Tensor:
        half = torch.full((n, self.nvis), 0.5, device=self.bias_vis.device,
                          dtype=self.bias_vis.dtype)
        return torch.bernoulli(half, generator=generator)

    # -- score matching -----------------------------------------------------------------------
    def score(self, v: torch.Tensor) -> torch.Tensor:
        """psi(v) = -dF/dv = b + sigmoid(c + vW) W^T."""
        return self.bias_vis + self.lmul_T(self.mean_h_given_v(v))

    def score_divergence(self, v: torch.Tensor) -> torch.Tensor:
        """d psi_i / d v_i per example and visible unit: sum_j sigmoid'(z_j) W_ij^2."""
        p = self.mean_h_given_v(v)
        return (p * (1 - p)) @ (self.weight_matrix() ** 2).T

    # -- as a Block / for monitoring ---------------------------------------------------------
    def perform(self, v: torch.Tensor) -> torch.Tensor:
        return self.mean_h_given_v(v)

    upward_pass = perform

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        return self.perform(v)

    def reconstruction_error(self, v: torch.Tensor) -> torch.Tensor:
        return (self.mean_v_given_h(self.mean_h_given_v(v)) - v).pow(2).sum(1).mean()

    def get_monitoring_data_specs(self):
        return (self.input_space, "features") if self.monitor_reconstruction else \
            super().get_monitoring_data_specs()

    def get_monitoring_channels(self, data: Any) -> dict[str, torch.Tensor]:
        if not self.monitor_reconstruction:
            return {}
        return {"reconstruction_error": self.reconstruction_error(data)}

    def get_weights(self) -> np.ndarray:
        return self.weight_matrix().detach().cpu().numpy()

    def get_weights_format(self) -> tuple[str, str]:
        return ("v", "h")


class GaussianBinaryRBM(RBM):
    """Gaussian visible units with per-unit deviations sigma, binary hidden units (type 1)."""

    def __init__(self, energy_function_class: Any = None, nvis: int | None = None,
                 nhid: int | None = None, vis_space: Any = None, hid_space: Any = None,
                 transformer: Any = None, irange: float = 0.5, rng: Any = (2013, 4, 2),
                 mean_vis: bool = False, init_sigma: float = 2.0, learn_sigma: bool = False,
                 sigma_lr_scale: float = 1.0, init_bias_hid: float = 0.0, min_sigma: float = 0.1,
                 max_sigma: float = 10.0, learn_log_z: bool = False) -> None:
        from pylearn2.energy_functions.rbm_energy import GRBM_Type_1

        if energy_function_class not in (None, GRBM_Type_1):
            raise ConfigError("GaussianBinaryRBM supports the type-1 energy only "
                              "(!obj:pylearn2.energy_functions.rbm_energy.grbm_type_1 {}).")
        super().__init__(nvis=nvis, nhid=nhid, vis_space=vis_space, hid_space=hid_space,
                         transformer=transformer, irange=irange, rng=rng,
                         init_bias_hid=init_bias_hid, learn_log_z=learn_log_z)
        self.energy_function_class = energy_function_class
        self.mean_vis, self.learn_sigma = mean_vis, learn_sigma
        self.sigma_lr_scale = float(sigma_lr_scale)
        self.min_sigma, self.max_sigma = float(min_sigma), float(max_sigma)
        sigma = torch.full((self.nvis,), float(init_sigma))
        if learn_sigma:
            self.sigma = torch.nn.Parameter(sigma)
        else:
            self.register_buffer("sigma", sigma)

    def hidden_input(self, v: torch.Tensor) -> torch.Tensor:
        return self.bias_hid + self.lmul(v / self.sigma ** 2)

    def energy(self, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        quadratic = 0.5 * (((v - self.bias_vis) / self.sigma) ** 2).sum(1)
        return quadratic - h @ self.bias_hid - (self.lmul(v / self.sigma ** 2) * h).sum(1)

    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        quadratic = 0.5 * (((v - self.bias_vis) / self.sigma) ** 2).sum(1)
        return quadratic - F.softplus(self.hidden_input(v)).sum(1)

    def mean_v_given_h(self, h: torch.Tensor) -> torch.Tensor:
        return self.bias_vis + self.lmul_T(h)

    def sample_v_given_h(self, h: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        mean = self.mean_v_given_h(h)
        if self.mean_vis:
            return mean
        noise = torch.randn(mean.shape, generator=generator, device=mean.device)
        return mean + self.sigma * noise

    def random_visible(self, n: int, generator: torch.Generator) -> torch.Tensor:
        noise = torch.randn((n, self.nvis), generator=generator, device=self.bias_vis.device,
                            dtype=self.bias_vis.dtype)
        return self.bias_vis.detach() + self.sigma.detach() * noise

    def score(self, v: torch.Tensor) -> torch.Tensor:
        s2 = self.sigma ** 2
        return -(v - self.bias_vis) / s2 + self.lmul_T(self.mean_h_given_v(v)) / s2

    def score_divergence(self, v: torch.Tensor) -> torch.Tensor:
        p = self.mean_h_given_v(v)
        s2 = self.sigma ** 2
        return -1.0 / s2 + ((p * (1 - p)) @ (self.weight_matrix() ** 2).T) / s2 ** 2

    def get_lr_scalers(self) -> dict[torch.nn.Parameter, float]:
        return {self.sigma: self.sigma_lr_scale} if self.learn_sigma else {}

    def has_constraints(self) -> bool:
        return self.learn_sigma

    @torch.no_grad()
    def enforce_constraints(self) -> None:
        if self.learn_sigma:
            self.sigma.clamp_(self.min_sigma, self.max_sigma)
