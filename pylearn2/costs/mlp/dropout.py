"""Dropout (Hinton et al., 2012) as a cost: the MLP's cost under randomly masked inputs."""

from __future__ import annotations

from typing import Any

import torch

from pylearn2.costs.cost import StochasticCost
from pylearn2.utils.exc import ConfigError


class Dropout(StochasticCost):
    """Mask the input of every layer while training; no masks when monitoring.

    Each layer's input is kept with probability ``input_include_probs[layer_name]``
    (default ``default_input_include_prob``) and kept values are multiplied by
    ``input_scales[layer_name]`` (default ``default_input_scale``). With
    ``per_example=False`` one mask is shared by the whole batch. The masks come from a
    seeded torch generator whose state is part of :meth:`state_dict`, so a resumed run
    draws the same masks. Monitoring channels use the unmasked network.
    """

    supervised = True

    def __init__(self, default_input_include_prob: float = 0.5,
                 input_include_probs: dict[str, float] | None = None,
                 default_input_scale: float = 2.0, input_scales: dict[str, float] | None = None,
                 per_example: bool = True, seed: int = 2013) -> None:
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
        super().__init__(seed)

    def expr(self, model: Any, data: Any, **kwargs: Any) -> torch.Tensor:
        X, Y = data
        Y_hat = model.dropout_fprop(
            X, default_input_include_prob=self.default_input_include_prob,
            input_include_probs=self.input_include_probs,
            default_input_scale=self.default_input_scale, input_scales=self.input_scales,
            per_example=self.per_example, generator=self.generator(X.device),
        )
        return model.cost(Y, Y_hat)

    def monitoring_expr(self, model: Any, data: Any, **kwargs: Any) -> torch.Tensor:
        return model.cost_from_X(data)
