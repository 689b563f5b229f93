"""A DBM hidden layer made of several hidden layers side by side
(``!obj:pylearn2.models.dbm.layer.CompositeLayer``).

The components share the layer's place in the stack: each sees (part of) the layer below
and the whole layer above, and the energy is the sum of their energy terms. The total,
upward and downward states are tuples with one entry per component. A layer above a
composite layer is connected to every component: its set_input_space gets a
:class:`~pylearn2.models.dbm.layer_base.ComponentInputs`, it joins the tuple it sees
from below and splits its downward message into one piece per component.

``inputs_to_components`` routes the components of a composite layer *below*: ``{i:
[j, ...]}`` gives input i only to components j, ...; an input the mapping does not name
goes to every component (so a convolutional component can take just the topological
part of the layer below).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from pylearn2.models.dbm.layer_base import ComponentInputs, HiddenLayer
from pylearn2.space import CompositeSpace
from pylearn2.utils.exc import ConfigError


class _Relay:
    """Stands for the layer above when a component gets its ready-made share of the
    downward message."""

    layer_name = "relay"

    @staticmethod
    def downward_message(message: torch.Tensor) -> torch.Tensor:
        return message


_RELAY = _Relay()


class CompositeLayer(HiddenLayer):
    """Several DBM hidden layers side by side, seen as one layer.

    Parameters
    ----------
    layer_name : name of the layer (component channels are prefixed with their names).
    components : the HiddenLayers, in order; their states form this layer's tuple.
    inputs_to_components : None, or ``{input index: [component indices]}`` when the
        layer below is itself a CompositeLayer; inputs not named go to every component.
    """

    topological_input = True  # it hands each component the description it can use

    def __init__(self, layer_name: str, components: Sequence[HiddenLayer],
                 inputs_to_components: Mapping[Any, Sequence[int]] | None = None) -> None:
        super().__init__()
        components = list(components)
        if not components:
            raise ConfigError(f"{layer_name!r}: a CompositeLayer needs at least one component.")
        for c in components:
            if not isinstance(c, HiddenLayer):
                raise ConfigError(f"{layer_name!r}: components must be DBM hidden layers; got "
                                  f"{type(c).__name__}.")
            if isinstance(c, CompositeLayer):
                raise ConfigError(f"{layer_name!r}: a component cannot itself be a "
                                  "CompositeLayer; list its components instead.")
        names = [c.layer_name for c in components]
        if len(set(names)) != len(names):
            raise ConfigError(f"{layer_name!r}: component names must differ; got {names}.")
        self.layer_name = layer_name
        self.components = torch.nn.ModuleList(components)
        self.num_components = len(components)
        self.inputs_to_components = None
        if inputs_to_components is not None:
            if not isinstance(inputs_to_components, Mapping):
                raise ConfigError(f"{layer_name!r}: inputs_to_components must be a mapping "
                                  f"{{input index: [component indices]}}, got "
                                  f"{type(inputs_to_components).__name__}.")
            routes: dict[int, list[int]] = {}
            for key, value in inputs_to_components.items():
                targets = [int(v) for v in value]
                if int(key) < 0 or not targets or min(targets) < 0 or \
                        max(targets) >= self.num_components:
                    raise ConfigError(f"{layer_name!r}: inputs_to_components[{key}] = {value} "
                                      f"must name components 0..{self.num_components - 1}.")
                routes[int(key)] = targets
            self.inputs_to_components = routes
            # recorded with string keys, as model files (JSON) store mappings
            self._init_args["inputs_to_components"] = {str(k): v for k, v in routes.items()}
        self.components_to_inputs: dict[int, list[int]] | None = None
        self.copies, self.center, self.max_col_norm = 1, False, None

    # -- wiring -------------------------------------------------------------------------
    def set_input_space(self, input_dim: Any, rng: np.random.Generator) -> None:
        """Connect every component; ``input_dim`` describes the layer below (a
        ComponentInputs when that layer is composite)."""
        self.input_description = input_dim
        if isinstance(input_dim, ComponentInputs):
            n = len(input_dim)
            routes = self.inputs_to_components or {}
            if routes and max(routes) >= n:
                raise ConfigError(f"{self.layer_name!r}: inputs_to_components names input "
                                  f"{max(routes)} but the layer below has {n} components.")
            self.components_to_inputs = {
                i: [j for j in range(n) if j not in routes or i in routes[j]]
                for i in range(self.num_components)}
            for i, inputs in self.components_to_inputs.items():
                if not inputs:
                    raise ConfigError(f"{self.layer_name!r}: component {i} receives no input; "
                                      "inputs_to_components must send it at least one.")
        else:
            if self.inputs_to_components is not None:
                raise ConfigError(f"{self.layer_name!r}: inputs_to_components needs a "
                                  "CompositeLayer below; the layer below has one state.")
            self.components_to_inputs = None
        for i, component in enumerate(self.components):
            component.set_input_space(self._description_for(i, component), rng)

    def _description_for(self, i: int, component: HiddenLayer) -> Any:
        desc = self.input_description
        if self.components_to_inputs is not None:
            inputs = self.components_to_inputs[i]
            desc = desc[inputs[0]] if len(inputs) == 1 else ComponentInputs(
                desc[j] for j in inputs)
        if getattr(component, "topological_input", False) or isinstance(desc, ComponentInputs):
            return desc
        return int(np.prod(np.atleast_1d(desc)))

    def _below_for(self, i: int, state_below: Any) -> Any:
        """Component i's share of the state below."""
        if self.components_to_inputs is None or state_below is None:
            return state_below
        inputs = self.components_to_inputs[i]
        if len(inputs) == 1:
            return state_below[inputs[0]]
        return tuple(state_below[j] for j in inputs)

    def _messages_for(self, state_above: Any, layer_above: Any) -> list[Any]:
        if state_above is None:
            return [None] * self.num_components
        if layer_above is None:
            raise ConfigError(f"{self.layer_name!r}: state_above given without layer_above.")
        message = layer_above.downward_message(state_above)
        if not isinstance(message, tuple) or len(message) != self.num_components:
            raise ConfigError(f"{self.layer_name!r}: the layer above "
                              f"{getattr(layer_above, 'layer_name', '?')!r} must send one "
                              f"message per component ({self.num_components}).")
        return list(message)

    # -- sizes and spaces ---------------------------------------------------------------
    def output_dim(self) -> int:
        return sum(c.output_dim() for c in self.components)

    def output_shape(self) -> None:
        return None

    def part_descriptions(self) -> ComponentInputs:
        """What a layer above is told about each component (see ComponentInputs)."""
        parts = []
        for c in self.components:
            shape = c.output_shape() if hasattr(c, "output_shape") else None
            parts.append(tuple(shape) if shape is not None else c.output_dim())
        return ComponentInputs(parts)

    def get_total_state_space(self):
        return CompositeSpace([c.get_total_state_space() for c in self.components])

    def get_output_space(self):
        return CompositeSpace([c.get_output_space() for c in self.components])

    # -- states -------------------------------------------------------------------------
    def upward_state(self, total_state: Any) -> tuple:
        return tuple(c.upward_state(s) for c, s in zip(self.components, total_state))

    def downward_state(self, total_state: Any) -> tuple:
        return tuple(c.downward_state(s) for c, s in zip(self.components, total_state))

    def pool_state(self, total_state: Any) -> torch.Tensor:
        return torch.cat([c.pool_state(s) for c, s in zip(self.components, total_state)], 1)

    def downward_message(self, downward_state: Any) -> Any:
        """The sum of the components' messages, per input of the layer below (a tuple
        when that layer is composite)."""
        if self.components_to_inputs is None:
            return sum(c.downward_message(s) for c, s in zip(self.components, downward_state))
        total: list[Any] = [None] * len(self.input_description)
        for i, (c, s) in enumerate(zip(self.components, downward_state)):
            inputs = self.components_to_inputs[i]
            message = c.downward_message(s)
            pieces = [message] if len(inputs) == 1 else list(message)
            for j, piece in zip(inputs, pieces):
                total[j] = piece if total[j] is None else total[j] + piece
        return tuple(total)

    def mf_update(self, state_below: Any, state_above: Any = None, layer_above: Any = None,
                  double_weights: bool = False, iter_name: str | None = None) -> tuple:
        messages = self._messages_for(state_above, layer_above)
        return tuple(
            c.mf_update(state_below=self._below_for(i, state_below), state_above=m,
                        layer_above=None if m is None else _RELAY,
                        double_weights=double_weights, iter_name=iter_name)
            for i, (c, m) in enumerate(zip(self.components, messages)))

    def sample(self, state_below: Any = None, state_above: Any = None, layer_above: Any = None,
               theano_rng: torch.Generator | None = None) -> tuple:
        messages = self._messages_for(state_above, layer_above)
        return tuple(
            c.sample(state_below=self._below_for(i, state_below), state_above=m,
                     layer_above=None if m is None else _RELAY, theano_rng=theano_rng)
            for i, (c, m) in enumerate(zip(self.components, messages)))

    def init_mf_state(self, batch_size: int) -> tuple:
        return tuple(c.init_mf_state(batch_size) for c in self.components)

    def make_state(self, num_examples: int, gen: torch.Generator | None = None) -> tuple:
        return tuple(c.make_state(num_examples, gen) for c in self.components)

    make_symbolic_state = make_state

    def expected_energy_term(self, state: Any, average: bool = False, state_below: Any = None,
                             average_below: Any = None) -> torch.Tensor:
        return sum(c.expected_energy_term(s, average, self._below_for(i, state_below),
                                          average_below)
                   for i, (c, s) in enumerate(zip(self.components, state)))

    # -- training helpers ---------------------------------------------------------------
    def _per_component(self, value: Any, what: str) -> list[Any]:
        if isinstance(value, (list, tuple)):
            if len(value) != self.num_components:
                raise ConfigError(f"{self.layer_name!r}: {what} has {len(value)} entries for "
                                  f"{self.num_components} components.")
            return list(value)
        return [value] * self.num_components

    def get_weight_decay(self, coeff: Any) -> torch.Tensor:
        """``coeff``: one coefficient per component (or one for all)."""
        return sum(c.get_weight_decay(k) for c, k in
                   zip(self.components, self._per_component(coeff, "the weight decay")) if k)

    def get_l1_act_cost(self, state: Any, target: Any, coeff: Any, eps: Any = None):
        parts = zip(self.components, state, self._per_component(target, "target"),
                    self._per_component(coeff, "coeff"), self._per_component(eps, "eps"))
        return sum(c.get_l1_act_cost(s, t, k, e) for c, s, t, k, e in parts if k)

    def get_lr_scalers(self) -> dict[torch.nn.Parameter, float]:
        scalers: dict[torch.nn.Parameter, float] = {}
        for c in self.components:
            scalers.update(c.get_lr_scalers())
        return scalers

    def has_constraints(self) -> bool:
        return any(c.has_constraints() for c in self.components)

    def enforce_constraints(self) -> None:
        for c in self.components:
            if c.has_constraints():
                c.enforce_constraints()

    def get_monitoring_channels_from_state(self, state: Any) -> dict[str, torch.Tensor]:
        out = {}
        for c, s in zip(self.components, state):
            for key, value in c.get_monitoring_channels_from_state(s).items():
                out[f"{c.layer_name}_{key}"] = value
        return out

    def get_weights(self) -> np.ndarray:
        raise ConfigError(f"{self.layer_name!r}: a CompositeLayer has one weight matrix per "
                          "component; use layer.components[i].get_weights().")


__all__ = ["CompositeLayer"]
