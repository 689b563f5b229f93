"""An MLP cost that ignores missing targets (entries equal to -1)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from pylearn2.costs.cost import Cost
from pylearn2.utils.exc import ConfigError


def elementwise_cost(layer: Any, Y: torch.Tensor, Y_hat: torch.Tensor) -> torch.Tensor:
    """The output layer's cost per example and unit (before the sum over units)."""
    if hasattr(layer, "cost_matrix"):
        return layer.cost_matrix(Y, Y_hat)
    from pylearn2.models.mlp.dense import Linear, Sigmoid

    if isinstance(layer, Sigmoid):
        p = Y_hat.clamp(1e-7, 1 - 1e-7)
        return F.binary_cross_entropy(p, Y.clamp(0, 1), reduction="none")
    if isinstance(layer, Linear):
        return (Y - Y_hat).abs() if getattr(layer, "use_abs_loss", False) else (Y - Y_hat).pow(2)
    raise ConfigError(f"MissingTargetCost needs an output layer with an elementwise cost "
                      f"(Linear, Sigmoid, ...); {type(layer).__name__} has none.")


class MissingTargetCost(Cost):
    """The output layer's elementwise cost with the entries whose target is -1 set to
    zero, summed over units and averaged over examples. ``dropout_args`` (a dict of
    MLP.dropout_fprop arguments) computes the prediction with dropout."""

    supervised = True

    def __init__(self, dropout_args: dict[str, Any] | None = None) -> None:
        self.dropout_args = dropout_args

    def expr(self, model: Any, data: Any, **kwargs: Any) -> torch.Tensor:
        X, Y = data
        Y_hat = model.dropout_fprop(X, **self.dropout_args) if self.dropout_args else model.fprop(X)
        known = (Y != -1).to(Y_hat.dtype)
        return (elementwise_cost(model.layers[-1], Y, Y_hat) * known).sum(1).mean()

    def is_stochastic(self) -> bool:
        return bool(self.dropout_args)


__all__ = ["MissingTargetCost", "elementwise_cost"]
