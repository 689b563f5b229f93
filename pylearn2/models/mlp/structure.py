"""Structural MLP layers: wrapping a trained model, parallel branches, space changes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from pylearn2.blocks import apply_transformer
from pylearn2.models.mlp.layer import Layer
from pylearn2.space import CompositeSpace, Space, VectorSpace
from pylearn2.utils.exc import ConfigError


class PretrainedLayer(Layer):
    """A trained model (autoencoder, RBM, another MLP's layer) used as an MLP layer.

    Its encoding (``perform``/``encode``/``upward_pass``/``fprop``) is the layer's output.
    With ``freeze_params`` its parameters are not trained further.
    """

    def __init__(self, layer_name: str, layer_content: Any, freeze_params: bool = False) -> None:
        super().__init__()
        self.layer_name = layer_name
        self.layer_content = layer_content
        self.freeze_params = freeze_params
        if freeze_params:
            for p in layer_content.parameters():
                p.requires_grad_(False)

    def set_input_space(self, space: Space) -> None:
        expected = self.layer_content.get_input_space()
        if space.get_total_dimension() != expected.get_total_dimension():
            raise ConfigError(f"PretrainedLayer {self.layer_name!r}: the layer below gives {space}, "
                              f"but the pretrained model expects {expected}.")
        self.input_space = space

    def get_output_space(self) -> Space:
        return self.layer_content.get_output_space()

    def fprop(self, state_below: Any) -> Any:
        if self.input_space != self.layer_content.get_input_space():
            state_below = self.input_space.format_as(state_below,
                                                     self.layer_content.get_input_space())
        return apply_transformer(self.layer_content, state_below)

    def get_weight_decay(self, coeff: float) -> torch.Tensor:
        return float(coeff) * sum(p.pow(2).sum() for p in self.layer_content.parameters()
                                  if p.ndim == 2)

    def get_l1_weight_decay(self, coeff: float) -> torch.Tensor:
        return float(coeff) * sum(p.abs().sum() for p in self.layer_content.parameters()
                                  if p.ndim == 2)

    def get_weights(self) -> Any:
        return self.layer_content.get_weights()

    def get_weights_format(self) -> tuple[str, str]:
        return self.layer_content.get_weights_format()


class CompositeLayer(Layer):
    """Several layers side by side; the output is a CompositeSpace of their outputs.

    ``inputs_to_layers`` maps input component index -> list of layer indices when the input
    is itself composite; otherwise every layer sees the whole input.
    """

    def __init__(self, layer_name: str, layers: Sequence[Layer],
                 inputs_to_layers: dict[int, Sequence[int]] | None = None) -> None:
        super().__init__()
        self.layer_name = layer_name
        self.layers = torch.nn.ModuleList(layers)
        self.inputs_to_layers = {int(k): list(v) for k, v in (inputs_to_layers or {}).items()}

    def set_mlp(self, mlp: Any) -> None:
        super().set_mlp(mlp)
        for layer in self.layers:
            layer.set_mlp(mlp)

    def _route(self) -> list[int | None]:
        if not self.inputs_to_layers:
            return [None] * len(self.layers)
        routes: list[int | None] = [None] * len(self.layers)
        for component, layer_ids in self.inputs_to_layers.items():
            for i in layer_ids:
                routes[i] = component
        return routes

    def set_input_space(self, space: Space) -> None:
        self.input_space = space
        for layer, component in zip(self.layers, self._route()):
            if component is not None and not isinstance(space, CompositeSpace):
                raise ConfigError(f"CompositeLayer {self.layer_name!r}: inputs_to_layers needs a "
                                  "CompositeSpace input.")
            layer.set_input_space(space if component is None else space.components[component])
        self.output_space = CompositeSpace([layer.get_output_space() for layer in self.layers])

    def fprop(self, state_below: Any) -> tuple:
        return tuple(layer.fprop(state_below if c is None else state_below[c])
                     for layer, c in zip(self.layers, self._route()))


class FlattenerLayer(Layer):
    """Wrap a layer with a composite output and flatten that output into one vector."""

    def __init__(self, raw_layer: Layer) -> None:
        super().__init__()
        self.raw_layer = raw_layer
        self.layer_name = raw_layer.layer_name

    def set_mlp(self, mlp: Any) -> None:
        super().set_mlp(mlp)
        self.raw_layer.set_mlp(mlp)

    def set_input_space(self, space: Space) -> None:
        self.input_space = space
        self.raw_layer.set_input_space(space)
        self.output_space = VectorSpace(self.raw_layer.get_output_space().get_total_dimension())

    def fprop(self, state_below: Any) -> torch.Tensor:
        return self.raw_layer.get_output_space().format_as(self.raw_layer.fprop(state_below),
                                                           self.output_space)


class SpaceConverter(Layer):
    """Reformat the data into ``output_space`` (e.g. vectors into images)."""

    def __init__(self, layer_name: str, output_space: Space) -> None:
        super().__init__()
        self.layer_name = layer_name
        self.output_space = output_space

    def set_input_space(self, space: Space) -> None:
        if space.get_total_dimension() != self.output_space.get_total_dimension():
            raise ConfigError(f"SpaceConverter {self.layer_name!r}: cannot convert {space} into "
                              f"{self.output_space}.")
        self.input_space = space

    def fprop(self, state_below: Any) -> Any:
        return self.input_space.format_as(state_below, self.output_space)
