"""The MLP container and the Layer base class.

An :class:`MLP` is a stack of layers, each a Model with a name, an input space (set by
the MLP from the layer below) and an output space. The last layer defines the cost.
MLPs nest: an MLP with a ``layer_name`` can be a layer of another MLP.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from pylearn2.models.mlp.init import make_rng
from pylearn2.models.model import Model
from pylearn2.space import CompositeSpace, Space, VectorSpace
from pylearn2.utils.exc import ConfigError, ShapeError


class Layer(Model):
    """One stage of an MLP: ``fprop`` maps a batch of the input space to the output space."""

    layer_name: str

    def __init__(self) -> None:
        super().__init__()
        self._mlp_ref: list[MLP] = []

    def get_mlp(self) -> MLP | None:
        return self._mlp_ref[0] if self._mlp_ref else None

    def set_mlp(self, mlp: MLP) -> None:
        # Held in a list so that nn.Module does not register the parent as a child.
        self._mlp_ref[:] = [mlp]

    def set_input_space(self, space: Space) -> None:
        raise NotImplementedError

    def fprop(self, state_below: Any) -> Any:
        raise NotImplementedError

    def forward(self, state_below: Any) -> Any:
        return self.fprop(state_below)

    def cost(self, Y: torch.Tensor, Y_hat: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(
            f"Layer {self.layer_name!r} ({type(self).__name__}) cannot be the output layer of "
            "an MLP trained with costs.mlp.Default: it defines no cost."
        )

    def cost_from_input(self, Y: torch.Tensor, state_below: Any) -> torch.Tensor:
        """The cost given this layer's input (lets Softmax stay in log space)."""
        return self.cost(Y, self.fprop(state_below))

    def _weights(self) -> torch.Tensor:
        W = getattr(self, "W", None)
        if W is None:
            raise ConfigError(f"Layer {self.layer_name!r} has no weights to decay; give it "
                              "coefficient 0 (or leave it out of the dict).")
        return W

    def get_weight_decay(self, coeff: float) -> torch.Tensor:
        return float(coeff) * self._weights().pow(2).sum()

    def get_l1_weight_decay(self, coeff: float) -> torch.Tensor:
        return float(coeff) * self._weights().abs().sum()

    def get_lr_scalers(self) -> dict[torch.nn.Parameter, float]:
        return {**super().get_lr_scalers(), **weight_bias_lr_scalers(self)}

    def get_layer_monitoring_channels(
        self, state_below: Any = None, state: Any = None, targets: Any = None
    ) -> dict[str, torch.Tensor]:
        return {}

    def _check_input(self, space: Space, expected: type, what: str) -> None:
        if not isinstance(space, expected):
            raise ConfigError(f"Layer {self.layer_name!r} expects {what} input, got {space}.")


class MLP(Layer):
    """A multilayer perceptron: a stack of layers trained end to end.

    Give the input either as ``nvis`` (a VectorSpace of that size) or as ``input_space``;
    an MLP nested inside another gets its input space from its parent.
    """

    def __init__(
        self,
        layers: Sequence[Layer],
        batch_size: int | None = None,
        input_space: Space | None = None,
        input_source: str = "features",
        target_source: str = "targets",
        nvis: int | None = None,
        seed: Any = None,
        layer_name: str | None = None,
        monitor_targets: bool = True,
    ) -> None:
        super().__init__()
        if nvis is not None and input_space is not None:
            raise ConfigError("MLP: give nvis or input_space, not both.")
        names = [getattr(layer, "layer_name", None) for layer in layers]
        for layer, name in zip(layers, names):
            if not isinstance(layer, Layer):
                raise ConfigError(f"MLP layers must be Layer objects, got {layer!r}.")
            if not name:
                raise ConfigError(f"Every MLP layer needs a layer_name; {type(layer).__name__} has none.")
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ConfigError(f"MLP layer names must be unique; repeated: {duplicates}.")
        self.layers = torch.nn.ModuleList(layers)
        self.layer_name = layer_name
        self.batch_size = batch_size
        self.force_batch_size = batch_size
        self._input_source = input_source
        self._target_source = target_source
        self.monitor_targets = monitor_targets
        self.seed = seed
        self.rng = make_rng(seed)
        for layer in layers:
            layer.set_mlp(self)
        if nvis is not None:
            input_space = VectorSpace(nvis)
        if input_space is not None:
            self.set_input_space(input_space)

    # -- structure ---------------------------------------------------------------------
    def set_input_space(self, space: Space) -> None:
        self.input_space = space
        for layer in self.layers:
            layer.set_input_space(space)
            space = layer.get_output_space()
        self.output_space = space

    def get_input_space(self) -> Space:
        if not hasattr(self, "input_space"):
            raise ConfigError(
                "This MLP has no input space: give `nvis:` (e.g. nvis: 784) or `input_space:`."
            )
        return self.input_space

    def get_output_space(self) -> Space:
        return self.layers[-1].get_output_space()

    def get_target_space(self) -> Space:
        return self.layers[-1].get_target_space()

    def set_batch_size(self, batch_size: int) -> None:
        """Fix the batch size of this MLP and of every layer that has one.

        The new size is also recorded as the constructor argument, so a saved model
        reloads with it.
        """
        self.batch_size = self.force_batch_size = int(batch_size)
        if hasattr(self, "_init_args"):
            self._init_args["batch_size"] = self.batch_size
        for layer in self.layers:
            layer.set_batch_size(batch_size)

    def get_layer(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.layer_name == name:
                return layer
        raise ConfigError(f"MLP has no layer {name!r}; layers: {[l.layer_name for l in self.layers]}")

    def add_layers(self, layers: Sequence[Layer]) -> None:
        space = self.get_output_space()
        for layer in layers:
            layer.set_mlp(self)
            layer.set_input_space(space)
            space = layer.get_output_space()
            self.layers.append(layer)
        self.output_space = space

    def freeze(self, parameters: Sequence[torch.nn.Parameter]) -> None:
        for p in parameters:
            p.requires_grad_(False)

    # -- computation ------------------------------------------------------------------
    def fprop(self, state_below: Any, return_all: bool = False) -> Any:
        states = []
        for layer in self.layers:
            state_below = layer.fprop(state_below)
            states.append(state_below)
        return states if return_all else state_below

    def dropout_fprop(
        self,
        state_below: Any,
        default_input_include_prob: float = 0.5,
        input_include_probs: dict[str, float] | None = None,
        default_input_scale: float = 2.0,
        input_scales: dict[str, float] | None = None,
        per_example: bool = True,
        generator: torch.Generator | None = None,
    ) -> Any:
        """fprop with the input of every layer masked (kept with its include prob, scaled)."""
        probs, scales = input_include_probs or {}, input_scales or {}
        unknown = (set(probs) | set(scales)) - {layer.layer_name for layer in self.layers}
        if unknown:
            raise ConfigError(f"Dropout names unknown layers {sorted(unknown)}.")
        for layer in self.layers:
            p = probs.get(layer.layer_name, default_input_include_prob)
            scale = scales.get(layer.layer_name, default_input_scale)
            state_below = apply_dropout(state_below, p, scale, per_example, generator)
            state_below = layer.fprop(state_below)
        return state_below

    def cost(self, Y: torch.Tensor, Y_hat: torch.Tensor) -> torch.Tensor:
        return self.layers[-1].cost(Y, Y_hat)

    def cost_from_input(self, Y: torch.Tensor, state_below: Any) -> torch.Tensor:
        for layer in self.layers[:-1]:
            state_below = layer.fprop(state_below)
        return self.layers[-1].cost_from_input(Y, state_below)

    def cost_from_X(self, data: tuple) -> torch.Tensor:
        X, Y = data
        return self.cost_from_input(Y, X)

    def cost_from_X_data_specs(self) -> tuple[Space, tuple[str, str]]:
        return self.supervised_data_specs()

    def get_default_cost(self):
        from pylearn2.costs.mlp import Default

        return Default()

    def get_weights(self) -> Any:
        return self.layers[0].get_weights()

    def get_weights_topo(self) -> Any:
        return self.layers[0].get_weights_topo()

    def get_weights_format(self) -> tuple[str, str]:
        return self.layers[0].get_weights_format()

    def get_weight_decay(self, coeffs: Any) -> torch.Tensor:
        return sum(layer.get_weight_decay(c) for layer, c in self._zip_coeffs(coeffs))

    def get_l1_weight_decay(self, coeffs: Any) -> torch.Tensor:
        return sum(layer.get_l1_weight_decay(c) for layer, c in self._zip_coeffs(coeffs))

    def _zip_coeffs(self, coeffs: Any) -> list[tuple[Layer, float]]:
        if isinstance(coeffs, dict):
            unknown = set(coeffs) - {layer.layer_name for layer in self.layers}
            if unknown:
                raise ConfigError(f"Weight decay names unknown layers {sorted(unknown)}.")
            return [(self.get_layer(n), c) for n, c in coeffs.items() if c]
        if isinstance(coeffs, (list, tuple)):
            if len(coeffs) != len(self.layers):
                raise ConfigError(
                    f"Weight decay got {len(coeffs)} coefficients for {len(self.layers)} layers; "
                    "give one per layer or a dict {layer_name: coeff}."
                )
            return [(layer, c) for layer, c in zip(self.layers, coeffs) if c]
        return [(layer, coeffs) for layer in self.layers if coeffs]

    # -- monitoring -------------------------------------------------------------------
    def get_monitoring_data_specs(self) -> tuple[Space, Any]:
        if self.monitor_targets:
            return self.supervised_data_specs()
        return (self.get_input_space(), self.get_input_source())

    def get_monitoring_channels(self, data: Any) -> dict[str, torch.Tensor]:
        X, Y = data if self.monitor_targets else (data, None)
        return self.get_layer_monitoring_channels(state_below=X, targets=Y)

    def get_layer_monitoring_channels(
        self, state_below: Any = None, state: Any = None, targets: Any = None
    ) -> dict[str, torch.Tensor]:
        channels: dict[str, torch.Tensor] = {}
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            out = layer.fprop(state_below)
            sub = layer.get_layer_monitoring_channels(
                state_below=state_below, state=out, targets=targets if i == last else None
            )
            channels.update({f"{layer.layer_name}_{k}": v for k, v in sub.items()})
            state_below = out
        return channels


def weight_bias_lr_scalers(module: Any) -> dict[torch.nn.Parameter, float]:
    """``{W: W_lr_scale, b: b_lr_scale}`` for whichever of the two a module sets."""
    scalers = {}
    for param_name, scale_name in (("W", "W_lr_scale"), ("b", "b_lr_scale")):
        param, scale = getattr(module, param_name, None), getattr(module, scale_name, None)
        if param is not None and scale is not None:
            scalers[param] = float(scale)
    return scalers


def apply_dropout(
    x: torch.Tensor,
    include_prob: float,
    scale: float,
    per_example: bool = True,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Keep each input with probability ``include_prob`` and multiply kept ones by ``scale``."""
    if include_prob >= 1.0 and scale == 1.0:
        return x
    if not 0.0 < include_prob <= 1.0:
        raise ConfigError(f"Dropout include probability must be in (0, 1], got {include_prob}.")
    shape = x.shape if per_example else (1,) + tuple(x.shape[1:])
    keep = torch.rand(shape, device=x.device, generator=generator) < include_prob
    return x * keep.to(x.dtype) * scale


def check_batch(x: torch.Tensor, space: Space, layer_name: str) -> None:
    """Raise a clear ShapeError when ``x`` does not fit ``space``."""
    try:
        space.validate(x)
    except ShapeError as err:
        raise ShapeError(f"Layer {layer_name!r}: {err}") from None


__all__ = ["Layer", "MLP", "apply_dropout", "check_batch", "CompositeSpace"]
