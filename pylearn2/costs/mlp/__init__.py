"""Costs for MLPs: the output layer's own cost and weight penalties."""

from __future__ import annotations

from typing import Any

import torch

from pylearn2.costs.cost import Cost, NullDataSpecsMixin


class Default(Cost):
    """The MLP's natural cost: its last layer's cost of the targets given the inputs."""

    supervised = True

    def expr(self, model, data: Any, **kwargs: Any) -> torch.Tensor:
        return model.cost_from_X(data)


class WeightDecay(NullDataSpecsMixin, Cost):
    """``sum_layers coeff * sum(W^2)``; ``coeffs`` is a dict {layer_name: coeff} or a list."""

    name = "weight_decay"

    def __init__(self, coeffs: Any) -> None:
        self.coeffs = coeffs

    def expr(self, model, data: Any = None, **kwargs: Any) -> torch.Tensor:
        return model.get_weight_decay(self.coeffs)


class L1WeightDecay(NullDataSpecsMixin, Cost):
    """``sum_layers coeff * sum(|W|)``; ``coeffs`` is a dict {layer_name: coeff} or a list."""

    name = "l1_penalty"

    def __init__(self, coeffs: Any) -> None:
        self.coeffs = coeffs

    def expr(self, model, data: Any = None, **kwargs: Any) -> torch.Tensor:
        return model.get_l1_weight_decay(self.coeffs)
