"""Block Gibbs sampling procedures for DBMs.

``sample(layer_to_state, theano_rng, layer_to_clamp=None, num_steps=1)`` takes a dict
from layer to its current (sampled) total state and returns the dict after
``num_steps`` sweeps; clamped layers keep their state.
"""

from __future__ import annotations

from typing import Any

import torch

from pylearn2.utils.init_args import InitArgsMixin


class SamplingProcedure(InitArgsMixin):
    """Base class: knows its DBM (``set_dbm``)."""

    dbm: Any = None

    def __init__(self) -> None:
        """Procedures take no arguments; the DBM attaches itself with set_dbm."""

    def set_dbm(self, dbm: Any) -> None:
        object.__setattr__(self, "dbm", dbm)

    def sample(self, layer_to_state: dict, theano_rng: torch.Generator | None = None,
               layer_to_clamp: dict | None = None, num_steps: int = 1) -> dict:
        raise NotImplementedError(f"{type(self).__name__} does not implement sample.")


class GibbsEvenOdd(SamplingProcedure):
    """Each step samples the hidden layers h0, h2, ... given their neighbours, then the
    visible layer and h1, h3, ... (layers of the same parity are conditionally
    independent, so each half-step is an exact block update)."""

    def _sample_layer(self, j: int, state: dict, gen: torch.Generator | None) -> Any:
        dbm = self.dbm
        layers = [dbm.visible_layer, *dbm.hidden_layers]
        layer = layers[j]
        above = layers[j + 1] if j + 1 < len(layers) else None
        state_above = above.downward_state(state[above]) if above is not None else None
        if j == 0:
            return layer.sample(state_above=state_above, layer_above=above, theano_rng=gen)
        below = layers[j - 1]
        return layer.sample(state_below=below.upward_state(state[below]),
                            state_above=state_above, layer_above=above, theano_rng=gen)

    def sample(self, layer_to_state, theano_rng=None, layer_to_clamp=None, num_steps=1):
        dbm = self.dbm
        layers = [dbm.visible_layer, *dbm.hidden_layers]
        clamp = layer_to_clamp or {}
        state = dict(layer_to_state)
        for _ in range(int(num_steps)):
            for parity in (1, 0):
                for j in range(parity, len(layers), 2):
                    if not clamp.get(layers[j], False):
                        state[layers[j]] = self._sample_layer(j, state, theano_rng)
        return state


__all__ = ["SamplingProcedure", "GibbsEvenOdd"]
