"""Reconstruction costs for autoencoders, the sparse-activation penalty and the sampled
reconstruction costs for sparse inputs."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from pylearn2.costs.cost import Cost, StochasticCost


class GSNFriendlyCost(Cost):
    """A reconstruction cost given by ``cost(target, output)``; ``expr`` compares the data
    with ``model.reconstruct(data)`` (other models call ``cost`` on their own pairs)."""

    @staticmethod
    def cost(target: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def expr(self, model: Any, data: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        return self.cost(data, model.reconstruct(data))

    def is_stochastic(self) -> bool:
        return False


class MeanSquaredReconstructionError(GSNFriendlyCost):
    """Mean over examples of the summed squared reconstruction error."""

    @staticmethod
    def cost(target: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
        return (output - target).pow(2).sum(1).mean()


class MeanBinaryCrossEntropy(GSNFriendlyCost):
    """Mean over examples of the summed cross-entropy between inputs in [0, 1] and the
    reconstruction (a sigmoid decoder's output)."""

    @staticmethod
    def cost(target: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
        r = output.clamp(1e-7, 1 - 1e-7)
        return -(target * r.log() + (1 - target) * (1 - r).log()).sum(1).mean()


class SparseActivation(Cost):
    """``coeff * sum_j KL(p || p_hat_j)``, ``p_hat_j`` the mean over examples of
    ``|h_j|``: pushes the average activation of each hidden unit towards ``p``."""

    def __init__(self, coeff: float, p: float) -> None:
        self.coeff, self.p = float(coeff), float(p)

    def expr(self, model: Any, data: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        p, p_hat = self.p, model.encode(data).abs().mean(0)
        kl = p * torch.log(p / p_hat) + (1 - p) * torch.log((1 - p) / (1 - p_hat))
        return self.coeff * kl.sum()

    def is_stochastic(self) -> bool:
        return False


class _SampledReconstruction(StochasticCost):
    """Reconstruct every non-zero input and a random ``ratio`` of the zeros (pattern P);
    plus ``L1`` times the mean over examples of the summed |hidden activations|."""

    def __init__(self, L1: float, ratio: float, seed: int = 1) -> None:  # noqa: N803
        super().__init__(seed)
        self.L1, self.one_ratio = float(L1), float(ratio)

    def pattern(self, X: torch.Tensor) -> torch.Tensor:
        gen = self.generator(X.device)
        noise = torch.rand(X.shape, generator=gen, device=X.device) < self.one_ratio
        return ((noise.to(X.dtype) + X) > 0).to(X.dtype)

    def expr(self, model: Any, data: Any, **kwargs: Any) -> torch.Tensor:
        from pylearn2.utils.sparse import to_dense

        X = to_dense(data)
        P = self.pattern(X)
        reg_units = model.encode(X).abs().sum(1).mean()
        return self.masked_cost(model, X, P) + self.L1 * reg_units


class SampledMeanBinaryCrossEntropy(_SampledReconstruction):
    """Cross-entropy of the sampled positions P, computed from the decoder's
    pre-activation ``a``: ``X softplus(-a) + (1 - X) softplus(a)``.

    (The classic library's formula took a log of these softplus terms, which is not a
    cross-entropy; this is the cross-entropy its documentation describes.)
    """

    def masked_cost(self, model: Any, X: torch.Tensor, P: torch.Tensor) -> torch.Tensor:
        a = model.reconstruct_without_dec_acti(X, P)
        ce = X * F.softplus(-a) + (1 - X) * F.softplus(a)
        return (ce * P).sum(1).mean()


class SampledMeanSquaredReconstructionError(_SampledReconstruction):
    """Squared reconstruction error of the sampled positions P."""

    def masked_cost(self, model: Any, X: torch.Tensor, P: torch.Tensor) -> torch.Tensor:
        return ((model.reconstruct(X, P) - X).pow(2) * P).sum(1).mean()


__all__ = ["GSNFriendlyCost", "MeanBinaryCrossEntropy", "MeanSquaredReconstructionError",
           "SampledMeanBinaryCrossEntropy", "SampledMeanSquaredReconstructionError",
           "SparseActivation"]
