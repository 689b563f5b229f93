"""Reconstruction costs for autoencoders."""

from __future__ import annotations

from typing import Any

import torch

from pylearn2.costs.cost import Cost


class MeanSquaredReconstructionError(Cost):
    """Mean over examples of the summed squared reconstruction error."""

    def expr(self, model: Any, data: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        return (model.reconstruct(data) - data).pow(2).sum(1).mean()

    def is_stochastic(self) -> bool:
        return False


class MeanBinaryCrossEntropy(Cost):
    """Mean over examples of the summed cross-entropy between inputs in [0, 1] and the
    reconstruction (a sigmoid decoder's output)."""

    def expr(self, model: Any, data: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        r = model.reconstruct(data).clamp(1e-7, 1 - 1e-7)
        return -(data * r.log() + (1 - data) * (1 - r).log()).sum(1).mean()
