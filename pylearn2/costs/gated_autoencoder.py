"""Symmetric reconstruction costs of gated autoencoders: both inputs are reconstructed."""

from __future__ import annotations

from typing import Any

import torch

from pylearn2.costs.cost import Cost


class SymmetricCost(Cost):
    """Base class: ``cost(x, y, rx, ry)`` of the two inputs and their reconstructions."""

    @staticmethod
    def cost(x: torch.Tensor, y: torch.Tensor, rx: torch.Tensor, ry: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def get_data_specs(self, model: Any) -> tuple[Any, Any]:
        return (model.get_input_space(), model.get_input_source())

    def expr(self, model: Any, data: Any, **kwargs: Any) -> torch.Tensor:
        x, y = data
        x, y = x.reshape(x.shape[0], -1), y.reshape(y.shape[0], -1)
        rx, ry = model.reconstructXY((x, y))
        return self.cost(x, y, rx, ry)


class SymmetricMSRE(SymmetricCost):
    """Mean over examples of ``sum_i 0.5 (x_i - rx_i)^2 + sum_j 0.5 (y_j - ry_j)^2``
    (x and y may have different sizes)."""

    @staticmethod
    def cost(x: torch.Tensor, y: torch.Tensor, rx: torch.Tensor, ry: torch.Tensor) -> torch.Tensor:
        return (0.5 * (x - rx).pow(2).sum(1) + 0.5 * (y - ry).pow(2).sum(1)).mean()


class NormalizedSymmetricMSRE(SymmetricCost):
    """SymmetricMSRE divided by ``mean(0.5 |x|^2 + 0.5 |y|^2)``: the fraction of the
    inputs' energy not reconstructed (for monitoring)."""

    @staticmethod
    def cost(x: torch.Tensor, y: torch.Tensor, rx: torch.Tensor, ry: torch.Tensor) -> torch.Tensor:
        num = SymmetricMSRE.cost(x, y, rx, ry)
        den = (0.5 * x.pow(2).sum(1) + 0.5 * y.pow(2).sum(1)).mean()
        return num / den


__all__ = ["NormalizedSymmetricMSRE", "SymmetricCost", "SymmetricMSRE"]
