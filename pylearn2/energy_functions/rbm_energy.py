"""Energy functions of RBMs with Gaussian visible units, chosen in YAML by factory.

``GRBM_Type_1`` (the original Pylearn2's parameterisation, made so that denoising score
matching reads as a denoising autoencoder), with one scalar sigma:

* E(v, h) = -(b.v + (vW).h + c.h - 1/2 v.v) / sigma^2
* P(h = 1 | v) = sigmoid((c + vW) / sigma^2), P(v | h) = N(b + W h, sigma^2)
* F(v) = (1/2 v.v - b.v) / sigma^2 - sum_j softplus(((vW) + c)_j / sigma^2)
* score(v) = -dF/dv = -(v - b - P(h|v) W^T) / sigma^2

Any subclass of :class:`GRBM_EnergyFunction` can be given to
:class:`pylearn2.models.rbm.GaussianBinaryRBM` as ``energy_function_class``.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from pylearn2.energy_functions.energy_function import EnergyFunction


class RBM_EnergyFunction(EnergyFunction):
    """Energy functions of restricted Boltzmann machines."""


class GRBM_EnergyFunction(RBM_EnergyFunction):
    """Gaussian-binary RBM energies: the conditionals the RBM's sampler needs.

    Constructed by the RBM as ``cls(transformer=..., bias_hid=..., bias_vis=..., sigma=...)``;
    ``transformer`` has ``lmul`` (v -> vW) and ``lmul_T`` (h -> h W^T), and ``sigma`` is a
    zero-argument callable giving the current sigma (the RBM owns the parameter).
    """

    def __init__(self, transformer: Any, bias_hid: Any, bias_vis: Any, sigma: Any) -> None:
        self.transformer = transformer
        self.bias_hid, self.bias_vis = bias_hid, bias_vis
        self._sigma = sigma

    @property
    def sigma(self) -> torch.Tensor:
        return self._sigma() if callable(self._sigma) else torch.as_tensor(self._sigma)

    @classmethod
    def supports_vector_sigma(cls) -> bool:
        raise NotImplementedError(f"{cls.__name__} must say whether sigma may be a vector.")

    def mean_H_given_V(self, V: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def mean_V_given_H(self, H: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def log_P_H_given_V(self, H: torch.Tensor, V: torch.Tensor) -> torch.Tensor:
        """log P(H | V) per example, for binary H."""
        p_one = self.mean_H_given_V(V)
        return torch.log(H * p_one + (1.0 - H) * (1.0 - p_one)).sum(1)

    def reconstruct(self, V: torch.Tensor) -> torch.Tensor:
        """E[v | h = P(h|V)]: the mean-field reconstruction."""
        return self.mean_V_given_H(self.mean_H_given_V(V))


class GRBM_Type_1(GRBM_EnergyFunction):
    """The type-1 energy in the module docstring (scalar sigma)."""

    name = "grbm_type_1"

    @classmethod
    def supports_vector_sigma(cls) -> bool:
        return False

    def hidden_input(self, V: torch.Tensor) -> torch.Tensor:
        return (self.bias_hid + self.transformer.lmul(V)) / self.sigma ** 2

    def energy(self, varlist: Any) -> torch.Tensor:
        V, H = varlist
        inner = (V @ self.bias_vis + (self.transformer.lmul(V) * H).sum(1) + H @ self.bias_hid
                 - 0.5 * V.pow(2).sum(1))
        return -inner / self.sigma ** 2

    def mean_H_given_V(self, V: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.hidden_input(V))

    def mean_V_given_H(self, H: torch.Tensor) -> torch.Tensor:
        return self.bias_vis + self.transformer.lmul_T(H)

    def free_energy(self, V: torch.Tensor) -> torch.Tensor:
        quadratic = (0.5 * V.pow(2).sum(1) - V @ self.bias_vis) / self.sigma ** 2
        return quadratic - F.softplus(self.hidden_input(V)).sum(1)

    def score(self, V: torch.Tensor) -> torch.Tensor:
        return -(V - self.reconstruct(V)) / self.sigma ** 2

    def score_divergence(self, V: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """d score_i / d v_i: -1/sigma^2 + sum_j p_j (1 - p_j) W_ij^2 / sigma^4."""
        p = self.mean_H_given_V(V)
        s2 = self.sigma ** 2
        return -1.0 / s2 + ((p * (1 - p)) @ (weights ** 2).T) / s2 ** 2


def grbm_type_1() -> type:
    """The type-1 energy class (used in YAML as ``!obj:...rbm_energy.grbm_type_1 {}``)."""
    return GRBM_Type_1


__all__ = ["GRBM_EnergyFunction", "GRBM_Type_1", "RBM_EnergyFunction", "grbm_type_1"]
