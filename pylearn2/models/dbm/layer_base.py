"""Base classes of DBM layers (see :mod:`pylearn2.models.dbm.layer` for the protocol):
kept apart so that layer modules (``layer``, ``conv_layers``) can share them."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from pylearn2.models.mlp.layer import weight_bias_lr_scalers
from pylearn2.models.model import Model
from pylearn2.utils.exc import ConfigError


class ComponentInputs(tuple):
    """What ``set_input_space`` gets for a layer above a :class:`CompositeLayer`: one
    description per component below (its number of units, or ``(channels, rows, cols)``
    for a convolutional one). The state such a layer sees from below is a tuple with one
    tensor per component; flat layers join it, and split their downward messages back."""


def detach_state(state: Any) -> Any:
    """A (possibly nested) total state with the gradient stopped."""
    if isinstance(state, (list, tuple)):
        return tuple(detach_state(s) for s in state)
    return state.detach()


def as_state(value: Any) -> Any:
    """Nested lists (a state read back from JSON-able data) as nested tuples of tensors."""
    if isinstance(value, (list, tuple)):
        return tuple(as_state(v) for v in value)
    return torch.as_tensor(value)


class Layer(Model):
    """Anything that can be a layer of a DBM."""

    layer_name: str = ""

    def get_total_state_space(self):
        raise NotImplementedError(f"{type(self).__name__} does not define its state space.")

    def upward_state(self, total_state: Any) -> Any:
        return total_state

    def downward_state(self, total_state: Any) -> Any:
        return total_state

    def get_monitoring_channels_from_state(self, state: Any) -> dict[str, torch.Tensor]:
        return {}

    def pool_state(self, total_state: Any) -> torch.Tensor:
        """The layer's output units (pools, or the state itself) as one tensor: what
        monitoring and activation penalties look at."""
        return total_state[0] if isinstance(total_state, tuple) else total_state

    def get_weight_decay(self, coeff: float) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no weight decay.")

    def get_l1_act_cost(self, state: Any, target: float, coeff: float, eps: float | None = None):
        raise NotImplementedError(f"{type(self).__name__} does not implement get_l1_act_cost.")


class VisibleLayer(Layer):
    """The bottom layer of a DBM (the data)."""

    layer_name = "visible"

    def get_input_space(self):
        return self.space

    def get_output_space(self):
        return self.space


class HiddenLayer(Layer):
    """A layer with weights from the layer below."""

    input_parts: list[int] | None = None

    def _flat_input(self, input_dim: Any) -> int:
        """The number of units below, from an int or a :class:`ComponentInputs` (whose
        part sizes are kept to split downward messages)."""
        if isinstance(input_dim, ComponentInputs):
            self.input_parts = [int(np.prod(np.atleast_1d(d))) for d in input_dim]
            return sum(self.input_parts)
        self.input_parts = None
        return int(np.prod(np.atleast_1d(input_dim)))

    def _joined(self, state_below: Any) -> torch.Tensor:
        """The state below as one (batch, units) tensor (a tuple from a composite layer
        below is concatenated)."""
        if isinstance(state_below, (tuple, list)):
            return torch.cat([self._joined(s) for s in state_below], 1)
        return state_below

    def _split(self, message: torch.Tensor) -> Any:
        """A downward message cut into one piece per component below (when it is a
        composite layer)."""
        if self.input_parts is None:
            return message
        return tuple(torch.split(message, self.input_parts, 1))

    def set_input_space(self, input_dim: int, rng: np.random.Generator) -> None:
        raise NotImplementedError

    def connect(self, input_dim: int, rng: np.random.Generator) -> None:
        self.set_input_space(input_dim, rng)

    def get_lr_scalers(self) -> dict[torch.nn.Parameter, float]:
        return weight_bias_lr_scalers(self)

    def has_constraints(self) -> bool:
        return self.max_col_norm is not None or getattr(self, "mask_weights", None) is not None

    @torch.no_grad()
    def enforce_constraints(self) -> None:
        if getattr(self, "mask", None) is not None:
            self.W.mul_(self.mask.to(self.W.dtype))
        if self.max_col_norm is not None:
            norms = self.W.pow(2).sum(0, keepdim=True).sqrt()
            self.W.mul_(norms.clamp(max=self.max_col_norm) / (1e-7 + norms))

    def get_weight_decay(self, coeff: float) -> torch.Tensor:
        return float(coeff) * self.W.pow(2).sum()

    def get_weights(self) -> np.ndarray:
        return self.W.detach().cpu().numpy()

    def set_weights(self, weights: np.ndarray) -> None:
        with torch.no_grad():
            self.W.copy_(torch.as_tensor(np.asarray(weights), dtype=self.W.dtype))

    def get_biases(self) -> np.ndarray:
        return self.b.detach().cpu().numpy()

    def downward_message(self, downward_state: torch.Tensor) -> Any:
        return self._split((downward_state @ self.W.T) * self.copies)

    def _message(self, state_above: Any, layer_above: Any) -> torch.Tensor | None:
        if state_above is None:
            return None
        if layer_above is None:
            raise ConfigError(f"{self.layer_name!r}: state_above given without layer_above.")
        return layer_above.downward_message(state_above)


# their public home (YAML, saved models, docs) stays pylearn2.models.dbm.layer
for _cls in (Layer, VisibleLayer, HiddenLayer):
    _cls.__module__ = "pylearn2.models.dbm.layer"

__all__ = ["Layer", "VisibleLayer", "HiddenLayer", "ComponentInputs", "detach_state", "as_state"]
