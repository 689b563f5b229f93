"""The MLP container: a stack of layers trained end to end.

An :class:`MLP` is itself a Layer, so MLPs nest: an MLP with a ``layer_name`` can be a
layer of another MLP. The last layer defines the default cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from pylearn2.models.mlp.initializers import make_rng
from pylearn2.models.mlp.layer import Layer, apply_dropout
from pylearn2.space import Space, VectorSpace
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.forward_memo import memoized


class MLP(Layer):
    """A multilayer perceptron: a stack of layers trained end to end.

    Give the input either as ``nvis`` (a VectorSpace of that size) or as ``input_space``;
    an MLP nested inside another gets its input space from its parent.

    Parameters
    ----------
    layers : list of Layer
        Bottom to top; each gets the output space of the one below. The last defines
        the default cost.
    batch_size : int, optional
        Forces every batch to this size (``force_batch_size``).
    input_space : Space, optional
        The input space (instead of ``nvis``).
    input_source, target_source : str
        Dataset sources read as inputs and targets.
    nvis : int, optional
        Size of a vector input.
    seed : int or list of int, optional
        Seed of the layers' weight initialisation.
    layer_name : str, optional
        Name of this MLP when it is a layer of another.
    monitor_targets : bool
        Whether the monitor's channels may use the targets (accuracy, nll).
    extensions : list, optional
        Model extensions (objects with ``post_modify_updates(updates, model)``), run after
        every update once the layers' own extensions have run, as
        :class:`~pylearn2.models.model.Model` describes.
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
        extensions: list[Any] | None = None,
    ) -> None:
        super().__init__(extensions=extensions)
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
            state_below = memoized(layer, "fprop", state_below, layer.fprop)
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
        *hidden, output = self.layers  # unpacking, not slicing: a slice builds a new ModuleList
        for layer in hidden:
            state_below = memoized(layer, "fprop", state_below, layer.fprop)
        return output.cost_from_input(Y, state_below)

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
            out = memoized(layer, "fprop", state_below, layer.fprop)
            sub = layer.get_layer_monitoring_channels(
                state_below=state_below, state=out, targets=targets if i == last else None
            )
            channels.update({f"{layer.layer_name}_{k}": v for k, v in sub.items()})
            state_below = out
        return channels

    def get_param_monitoring_channels(self) -> dict[str, torch.Tensor]:
        """Every layer's parameter-only channels, named ``<layer_name>_<channel>``."""
        return {f"{layer.layer_name}_{k}": v for layer in self.layers
                for k, v in layer.get_param_monitoring_channels().items()}


__all__ = ["MLP"]
