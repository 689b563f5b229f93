"""Deep Boltzmann machines: a visible layer and a stack of hidden layers.

Energy: ``E = -b_v.v - sum_l b_l.d_l - v^T W_1 d_1 - sum_{l>1} p_{l-1}^T W_l d_l`` where
``d_l`` are layer l's detector units and ``p_l`` its pool units (the same for pool size
1). ``mf(v)`` runs ``niter`` rounds of mean-field inference of the hidden layers;
``gibbs_step`` samples the odd layers given the even ones, then the even ones. A
one-hidden-layer DBM with pool size 1 is an RBM.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from pylearn2.models.dbm.layers import BinaryVector, BinaryVectorMaxPool, Softmax
from pylearn2.models.model import Model
from pylearn2.space import VectorSpace
from pylearn2.utils.exc import ConfigError

State = list[tuple[torch.Tensor, torch.Tensor]]  # per hidden layer: (pool, detector)


class DBM(Model):
    """A deep Boltzmann machine with mean-field inference and block Gibbs sampling."""

    def __init__(self, batch_size: int, visible_layer: BinaryVector,
                 hidden_layers: Sequence[BinaryVectorMaxPool], niter: int,
                 sampling_procedure: Any = None, inference_procedure: Any = None,
                 seed: Any = (2013, 6, 6)) -> None:
        super().__init__()
        if not hidden_layers:
            raise ConfigError("DBM needs at least one hidden layer.")
        self.batch_size, self.niter = int(batch_size), int(niter)
        self.force_batch_size = None
        self.visible_layer = visible_layer
        self.hidden_layers = torch.nn.ModuleList(hidden_layers)
        rng = np.random.default_rng([int(s) for s in np.atleast_1d(seed)])
        below = visible_layer.output_dim()
        for layer in hidden_layers:
            layer.connect(below, rng)
            below = layer.output_dim()
        self.input_space = VectorSpace(visible_layer.nvis)
        self.output_space = VectorSpace(hidden_layers[-1].output_dim())

    # -- inference ----------------------------------------------------------------------
    def _input_to(self, i: int, v: torch.Tensor, state: State) -> torch.Tensor:
        """Total input to hidden layer i's detectors from its neighbours."""
        below = v if i == 0 else state[i - 1][0]
        total = below @ self.hidden_layers[i].W + self.hidden_layers[i].b
        if i + 1 < len(self.hidden_layers):
            above = self.hidden_layers[i + 1]
            top_down = state[i + 1][1] @ above.W.T  # into layer i's pool units
            total = total + top_down.repeat_interleave(self.hidden_layers[i].pool_size, dim=1)
        return total

    def mf(self, v: torch.Tensor, niter: int | None = None) -> State:
        """Mean-field posterior over the hidden layers: a bottom-up pass with doubled
        weights (approximating the missing input from above), then ``niter`` sweeps."""
        state: State = []
        below = v
        for i, layer in enumerate(self.hidden_layers):
            scale = 2.0 if i + 1 < len(self.hidden_layers) else 1.0
            pool, det = layer.pooled(scale * (below @ layer.W) + layer.b)
            state.append((pool, det))
            below = pool
        for _ in range(self.niter if niter is None else niter):
            for i, layer in enumerate(self.hidden_layers):
                state[i] = layer.pooled(self._input_to(i, v, state))
        return state

    def energy(self, v: torch.Tensor, state: State) -> torch.Tensor:
        e = self.visible_layer.bias_energy(v)
        below = v
        for layer, (pool, det) in zip(self.hidden_layers, state):
            e = e + layer.bias_energy(det) - ((below @ layer.W) * det).sum(1)
            below = pool
        return e

    # -- sampling -----------------------------------------------------------------------
    def random_state(self, n: int, gen: torch.Generator) -> tuple[torch.Tensor, State]:
        device, dtype = self.visible_layer.bias.device, self.visible_layer.bias.dtype
        v = torch.bernoulli(torch.full((n, self.visible_layer.nvis), 0.5, device=device,
                                       dtype=dtype), generator=gen)
        state = [layer.sample_pooled(torch.zeros(n, layer.detector_layer_dim, device=device,
                                                 dtype=dtype), gen)
                 for layer in self.hidden_layers]
        return v, state

    def gibbs_step(self, v: torch.Tensor, state: State, gen: torch.Generator
                   ) -> tuple[torch.Tensor, State]:
        """Sample the odd hidden layers (1st, 3rd, ...) then v and the even ones."""
        state = list(state)
        for i in range(0, len(self.hidden_layers), 2):
            state[i] = self.hidden_layers[i].sample_pooled(self._input_to(i, v, state), gen)
        v = self.visible_layer.sample_given_above(state[0][1] @ self.hidden_layers[0].W.T, gen)
        for i in range(1, len(self.hidden_layers), 2):
            state[i] = self.hidden_layers[i].sample_pooled(self._input_to(i, v, state), gen)
        return v, state

    # -- as a model -----------------------------------------------------------------------
    def perform(self, v: torch.Tensor) -> torch.Tensor:
        return self.mf(v)[-1][0]

    upward_pass = perform

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        return self.perform(v)

    def get_weights(self) -> np.ndarray:
        return self.hidden_layers[0].W.detach().cpu().numpy()

    def get_monitoring_data_specs(self):
        return (self.input_space, "features")

    def get_monitoring_channels(self, data: torch.Tensor) -> dict[str, torch.Tensor]:
        state = self.mf(data)
        channels = {}
        for layer, (pool, _) in zip(self.hidden_layers, state):
            channels[f"{layer.layer_name}_mean_activation"] = pool.mean()
        det = state[0][1]
        recon = self.visible_layer.mean_given_above(det @ self.hidden_layers[0].W.T)
        channels["reconstruction_error"] = (recon - data).pow(2).sum(1).mean()
        return channels


__all__ = ["DBM", "BinaryVector", "BinaryVectorMaxPool", "Softmax"]
