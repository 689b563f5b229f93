"""Dropout (Hinton et al., 2012) as a cost: the MLP's cost under randomly masked inputs."""

from __future__ import annotations

from typing import Any

import torch

from pylearn2.costs.cost import StochasticCost
from pylearn2.models.mlp.layer import apply_dropout
from pylearn2.utils.exc import ConfigError


class Dropout(StochasticCost):
    """Mask the input of every layer while training; no masks when monitoring.

    Each layer's input is kept with probability ``input_include_probs[layer_name]``
    (default ``default_input_include_prob``) and kept values are multiplied by
    ``input_scales[layer_name]`` (default ``default_input_scale``). With
    ``per_example=False`` one mask is shared by the whole batch. The masks come from a
    seeded torch generator whose state is part of :meth:`state_dict`, so a resumed run
    draws the same masks. The output cost goes through the last layer's logits. An
    include probability of 1 leaves that input unscaled. The monitor's ``objective`` is
    the masked cost, as the original recorded it (see :meth:`monitoring_expr`); the
    model's own channels (``y_nll``, ``y_misclass``) use the unmasked network.
    """

    supervised = True

    def __init__(self, default_input_include_prob: float = 0.5,
                 input_include_probs: dict[str, float] | None = None,
                 default_input_scale: float = 2.0, input_scales: dict[str, float] | None = None,
                 per_example: bool = True, seed: int = 2013,
                 monitor_objective: str = "dropout") -> None:
        probs = {"default_input_include_prob": default_input_include_prob,
                 **{f"input_include_probs[{k!r}]": v for k, v in (input_include_probs or {}).items()}}
        for where, prob in probs.items():
            if not 0.0 < float(prob) <= 1.0:
                raise ConfigError(f"Dropout {where} must be in (0, 1], got {prob}.")
        self.default_input_include_prob = default_input_include_prob
        self.input_include_probs = dict(input_include_probs or {})
        self.default_input_scale = default_input_scale
        self.input_scales = dict(input_scales or {})
        self.per_example = per_example
        if monitor_objective not in ("dropout", "deterministic"):
            raise ConfigError("Dropout monitor_objective must be 'dropout' (the original's: the "
                              f"masked cost) or 'deterministic', got {monitor_objective!r}.")
        self.monitor_objective = monitor_objective
        self._monitor_gens: dict[str, torch.Generator] = {}
        super().__init__(seed)

    def masked_cost(self, model: Any, data: Any, generator: torch.Generator) -> torch.Tensor:
        """The output layer's cost computed from its masked input (through the logits,
        so a confidently wrong example keeps its full cost and gradient)."""
        X, Y = data
        layers = model.layers
        names = {layer.layer_name for layer in layers}
        unknown = (set(self.input_include_probs) | set(self.input_scales)) - names
        if unknown:
            raise ConfigError(f"Dropout names unknown layers {sorted(unknown)}.")
        state = X
        for i, layer in enumerate(layers):
            p = self.input_include_probs.get(layer.layer_name, self.default_input_include_prob)
            scale = self.input_scales.get(layer.layer_name, self.default_input_scale)
            state = apply_dropout(state, p, scale, self.per_example, generator)
            if i < len(layers) - 1:
                state = layer.fprop(state)
        return layers[-1].cost_from_input(Y, state)

    def expr(self, model: Any, data: Any, **kwargs: Any) -> torch.Tensor:
        return self.masked_cost(model, data, self.generator(data[0].device))

    def monitoring_expr(self, model: Any, data: Any, **kwargs: Any) -> torch.Tensor:
        """What the original Pylearn2 recorded as ``objective``: the dropout cost itself
        (masks drawn afresh) on the monitoring data. The masks come from a generator of
        their own (saved with the cost's state), so monitoring never moves the training
        masks and a resumed run records the same values. ``monitor_objective='deterministic'``
        records the unmasked network's cost instead."""
        if self.monitor_objective == "deterministic":
            return model.cost_from_X(data)
        return self.masked_cost(model, data, self._monitor_generator(data[0].device))

    def _monitor_generator(self, device: torch.device) -> torch.Generator:
        gen = self._monitor_gens.get(str(device))
        if gen is None:
            gen = self._monitor_gens[str(device)] = torch.Generator(device=device)
            gen.manual_seed(self.seed + 1)
        return gen

    def state_dict(self) -> dict[str, Any]:
        state = dict(super().state_dict())
        state["monitor_masks"] = {d: g.get_state() for d, g in self._monitor_gens.items()}
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        state = dict(state)
        masks = state.pop("monitor_masks", {})
        super().load_state_dict(state)
        for device, gen_state in masks.items():
            self._monitor_generator(torch.device(device)).set_state(gen_state)
