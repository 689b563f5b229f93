"""Costs with known gradients, for testing training algorithms."""

from __future__ import annotations

from typing import Any

import torch

from pylearn2.costs.cost import Cost
from pylearn2.space import NullSpace


class CallbackCost(Cost):
    """Calls ``data_callbacks`` on every batch it sees (one callable, or a nested tuple
    matching ``data_specs``), and returns sum(data) * sum(parameters).

    The callbacks receive numpy copies of the batch, so a test can record or check
    exactly what an algorithm fed the cost.
    """

    def __init__(self, data_callbacks: Any, data_specs: tuple[Any, Any]) -> None:
        self.data_callbacks = data_callbacks
        self.data_specs = data_specs

    def get_data_specs(self, model: Any) -> tuple[Any, Any]:
        return self.data_specs

    def expr(self, model: Any, data: Any, **kwargs: Any) -> torch.Tensor:
        callbacks, batches = _flat(self.data_callbacks), _flat(data)
        if len(callbacks) != len(batches):
            raise ValueError(f"CallbackCost: {len(callbacks)} callbacks for {len(batches)} "
                             "data parts; give one per part of data_specs.")
        total = 0.0
        for callback, batch in zip(callbacks, batches):
            if callable(callback):
                callback(batch.detach().cpu().numpy())
            total = total + batch.sum()
        return total * sum(p.sum() for p in model.get_params())


def _flat(tree: Any) -> list[Any]:
    if isinstance(tree, (tuple, list)):
        return [leaf for part in tree for leaf in _flat(part)]
    return [tree]


def _no_data(model: Any) -> tuple[Any, str]:
    return (NullSpace(), "")


class SumOfParams(Cost):
    """The sum of all parameters: every parameter's gradient is 1."""

    get_data_specs = staticmethod(_no_data)

    def expr(self, model: Any, data: Any = None, **kwargs: Any) -> torch.Tensor:
        return sum(p.sum() for p in model.get_params())


class SumOfOneHalfParamsSquared(Cost):
    """0.5 * the sum of squared parameters: every parameter's gradient is itself."""

    get_data_specs = staticmethod(_no_data)

    def expr(self, model: Any, data: Any = None, **kwargs: Any) -> torch.Tensor:
        return 0.5 * sum((p ** 2).sum() for p in model.get_params())


__all__ = ["CallbackCost", "SumOfOneHalfParamsSquared", "SumOfParams"]
