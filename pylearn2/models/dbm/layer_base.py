"""Base classes of DBM layers (see :mod:`pylearn2.models.dbm.layer` for the protocol):
kept apart so that layer modules (``layer``, ``conv_layers``) can share them."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from pylearn2.models.mlp.layer import weight_bias_lr_scalers
from pylearn2.models.model import Model
from pylearn2.utils.exc import ConfigError


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

    def downward_message(self, downward_state: torch.Tensor) -> torch.Tensor:
        return (downward_state @ self.W.T) * self.copies

    def _message(self, state_above: Any, layer_above: Any) -> torch.Tensor | None:
        if state_above is None:
            return None
        if layer_above is None:
            raise ConfigError(f"{self.layer_name!r}: state_above given without layer_above.")
        return layer_above.downward_message(state_above)


# their public home (YAML, saved models, docs) stays pylearn2.models.dbm.layer
for _cls in (Layer, VisibleLayer, HiddenLayer):
    _cls.__module__ = "pylearn2.models.dbm.layer"

__all__ = ["Layer", "VisibleLayer", "HiddenLayer"]
