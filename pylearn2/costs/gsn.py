"""The GSN training cost: reconstruction costs of chosen layers at every step of the
chain (Bengio et al. 2014's walkback training)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from pylearn2.costs.cost import Cost
from pylearn2.utils.exc import ConfigError


def _cost_fn(cost: Any):
    if hasattr(cost, "cost"):
        return cost.cost
    if callable(cost):
        return cost
    raise ConfigError(f"GSNCost: {cost!r} is neither a cost with .cost(target, output) nor "
                      "a callable.")


class GSNCost(Cost):
    """``sum_(layer, coeff, cost) coeff * mean over steps of cost(target, layer state)``.

    Parameters
    ----------
    costs : ``(layer index, coefficient, cost)`` triples; a cost has
        ``cost(target, output)`` (e.g. MeanBinaryCrossEntropy) or is such a callable.
    walkback : extra chain steps beyond ``2 * (number of autoencoders)``.
    mode : 'joint' (every costed layer given and reconstructed), 'supervised' (the first
        costed layer is given and clamped, the others predicted: data is (features,
        targets) when two layers are costed), or 'anti_supervised' (the reverse).
    """

    def __init__(self, costs: Sequence[Sequence[Any]], walkback: int = 0,
                 mode: str = "joint") -> None:
        if mode not in ("joint", "supervised", "anti_supervised"):
            raise ConfigError(f"GSNCost mode must be 'joint', 'supervised' or "
                              f"'anti_supervised', got {mode!r}.")
        self.costs = [(int(i), float(c), cost) for i, c, cost in costs]
        if not self.costs:
            raise ConfigError("GSNCost needs at least one (layer, coefficient, cost) triple.")
        self.walkback, self.mode = int(walkback), mode
        self.supervised = len(self.costs) > 1

    def _layer_data(self, data: Any) -> list[tuple[int, torch.Tensor]]:
        values = list(data) if isinstance(data, (tuple, list)) else [data]
        if len(values) != len(self.costs):
            raise ConfigError(f"GSNCost: {len(self.costs)} costed layers but {len(values)} "
                              "data sources.")
        return [(i, v) for (i, _, _), v in zip(self.costs, values)]

    def expr(self, model: Any, data: Any, **kwargs: Any) -> torch.Tensor:
        layer_data = self._layer_data(data)
        if self.mode == "joint":
            given, clamped, scored = layer_data, [], [i for i, _, _ in self.costs]
        else:
            ordered = layer_data if self.mode == "supervised" else layer_data[::-1]
            given, clamped = ordered[:1], [ordered[0][0]]
            scored = [i for i, _ in ordered[1:]]
        steps = model.get_samples(given, walkback=self.walkback, clamped=clamped,
                                  return_means=True)
        targets = dict(layer_data)
        total = 0.0
        for i, coeff, cost in self.costs:
            if i not in scored:
                continue
            fn = _cost_fn(cost)
            total = total + coeff * sum(fn(targets[i], step[i]) for step in steps) / len(steps)
        return total

    def get_data_specs(self, model: Any):
        if not self.supervised:
            return (model.get_input_space(), model.get_input_source())
        from pylearn2.space import CompositeSpace, VectorSpace

        spaces = [VectorSpace(model.layer_sizes[i]) for i, _, _ in self.costs]
        sources = ("features", "targets") if len(spaces) == 2 else tuple(
            f"layer_{i}" for i, _, _ in self.costs)
        return (CompositeSpace(spaces), sources)


__all__ = ["GSNCost"]
