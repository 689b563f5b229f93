"""The DBM model: a visible layer, a stack of hidden layers, an inference procedure
(mean field) and a sampling procedure (block Gibbs)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from pylearn2.models.dbm.inference_procedure import InferenceProcedure, WeightDoubling
from pylearn2.models.dbm.layer import HiddenLayer, Softmax, VisibleLayer
from pylearn2.models.dbm.sampling_procedure import GibbsEvenOdd, SamplingProcedure
from pylearn2.models.model import Model
from pylearn2.space import VectorSpace
from pylearn2.utils.exc import ConfigError


class DBM(Model):
    """A deep Boltzmann machine.

    Parameters
    ----------
    batch_size : the model's batch size; SGD uses it when it is given none of its own.
    visible_layer : a VisibleLayer (BinaryVector, GaussianVisLayer).
    hidden_layers : HiddenLayers, bottom to top (a Softmax on top models labels).
    niter : mean-field passes of inference.
    sampling_procedure : default GibbsEvenOdd(). inference_procedure : default
        WeightDoubling().
    seed : seed of the weight initialisation.
    """

    def __init__(self, batch_size: int, visible_layer: VisibleLayer,
                 hidden_layers: Sequence[HiddenLayer], niter: int,
                 sampling_procedure: SamplingProcedure | None = None,
                 inference_procedure: InferenceProcedure | None = None,
                 seed: Any = (2013, 6, 6)) -> None:
        super().__init__()
        if not hidden_layers:
            raise ConfigError("DBM needs at least one hidden layer.")
        self.batch_size, self.niter = int(batch_size), int(niter)
        self.force_batch_size = self.batch_size
        self.visible_layer = visible_layer
        self.hidden_layers = torch.nn.ModuleList(hidden_layers)
        names = [layer.layer_name for layer in hidden_layers]
        if len(set(names)) != len(names):
            raise ConfigError(f"DBM hidden layer names must differ; got {names}.")
        for layer in hidden_layers[:-1]:
            if isinstance(layer, Softmax):
                raise ConfigError(f"DBM: Softmax layer {layer.layer_name!r} must be the top layer.")
        self.rng = np.random.default_rng([int(s) for s in np.atleast_1d(seed)])
        below = visible_layer
        for layer in hidden_layers:
            if hasattr(layer, "link_below"):  # layers that use the one below's parameters
                layer.link_below(below)
            layer.set_input_space(_input_description(below, layer), self.rng)
            below = layer
        self.inference_procedure = inference_procedure or WeightDoubling()
        self.sampling_procedure = sampling_procedure or GibbsEvenOdd()
        self.setup_inference_procedure()
        self.setup_sampling_procedure()
        self.input_space = VectorSpace(visible_layer.output_dim())
        self.output_space = VectorSpace(hidden_layers[-1].output_dim())

    def setup_inference_procedure(self) -> None:
        self.inference_procedure.set_dbm(self)

    def setup_sampling_procedure(self) -> None:
        self.sampling_procedure.set_dbm(self)

    def set_batch_size(self, batch_size: int) -> None:
        self.batch_size = self.force_batch_size = int(batch_size)
        self.inference_procedure.set_batch_size(batch_size)

    def get_all_layers(self) -> list[Any]:
        return [self.visible_layer, *self.hidden_layers]

    def get_target_space(self):
        top = self.hidden_layers[-1]
        if not isinstance(top, Softmax):
            raise ConfigError("This DBM has no label layer (a Softmax on top); "
                              "supervised costs need one.")
        return VectorSpace(top.n_classes)

    # -- inference ----------------------------------------------------------------------
    def mf(self, V: torch.Tensor, Y: torch.Tensor | None = None, return_history: bool = False,
           niter: int | None = None, block_grad: int | None = None):
        """Mean-field states of the hidden layers given V (and labels Y, clamped)."""
        return self.inference_procedure.mf(V, Y=Y, return_history=return_history,
                                           niter=niter, block_grad=block_grad)

    def do_inpainting(self, *args: Any, **kwargs: Any):
        return self.inference_procedure.do_inpainting(*args, **kwargs)

    def energy(self, V: torch.Tensor, hidden: Sequence[Any]) -> torch.Tensor:
        """Energy of each example's joint state (or its expectation under a factorial
        mean-field state, since the energy is linear in each layer)."""
        e = self.visible_layer.expected_energy_term(V, average=False)
        below = self.visible_layer.upward_state(V)
        for layer, state in zip(self.hidden_layers, hidden):
            e = e + layer.expected_energy_term(state, average=False, state_below=below)
            below = layer.upward_state(state)
        return e

    expected_energy = energy

    # -- sampling -----------------------------------------------------------------------
    def make_layer_to_state(self, num_examples: int, gen: torch.Generator | None = None) -> dict:
        """Samples from each layer's bias-only distribution: starting chains."""
        return {layer: layer.make_state(num_examples, gen) for layer in self.get_all_layers()}

    make_layer_to_symbolic_state = make_layer_to_state

    def sample(self, layer_to_state: dict, gen: torch.Generator | None = None,
               layer_to_clamp: dict | None = None, num_steps: int = 1) -> dict:
        return self.sampling_procedure.sample(layer_to_state, gen, layer_to_clamp, num_steps)

    # -- as a model -----------------------------------------------------------------------
    def _top_upward(self, V: torch.Tensor) -> torch.Tensor:
        return self.hidden_layers[-1].pool_state(self.mf(V)[-1])

    def perform(self, V: torch.Tensor) -> torch.Tensor:
        return self._top_upward(V)

    upward_pass = perform

    def forward(self, V: torch.Tensor) -> torch.Tensor:
        return self.perform(V)

    def get_weights(self) -> np.ndarray:
        return self.hidden_layers[0].get_weights()

    def get_monitoring_data_specs(self):
        return (self.input_space, "features")

    def get_monitoring_channels(self, data: torch.Tensor) -> dict[str, torch.Tensor]:
        state = self.mf(data)
        channels: dict[str, torch.Tensor] = {}
        for layer, s in zip(self.hidden_layers, state):
            channels[f"{layer.layer_name}_mean_activation"] = layer.pool_state(s).mean()
        first = self.hidden_layers[0]
        recon = self.visible_layer.mf_update(first.downward_state(state[0]), first)
        channels["reconstruction_error"] = (recon - data).pow(2).sum(1).mean()
        return channels


__all__ = ["DBM"]


def _input_description(below, layer):
    """What ``layer.set_input_space`` gets: one description per component above a
    CompositeLayer, ``(channels, rows, cols)`` for a layer with ``topological_input``
    above a layer with a shape, else the number of units below."""
    if hasattr(below, "part_descriptions"):
        return below.part_descriptions()
    shape = getattr(below, "output_shape", None)
    if getattr(layer, "topological_input", False) and shape is not None and shape() is not None:
        return shape()
    return below.output_dim()
