"""Sampling Blocks."""

from __future__ import annotations

from typing import Any

import torch

from pylearn2.blocks import Block
from pylearn2.utils.rng import DeviceGenerator

DEFAULT_SEED = 2012 + 11 + 22


class SampleBernoulli(Block):
    """Replaces each probability ``p`` in the batch by a Bernoulli(p) sample (0 or 1,
    same dtype), from a seeded generator whose state is saved and resumed."""

    def __init__(self, seed: int | None = None, input_space: Any = None) -> None:
        self.seed = DEFAULT_SEED if seed is None else int(seed)
        self.input_space = input_space
        self._rng = DeviceGenerator(self.seed)

    def perform(self, X: torch.Tensor) -> torch.Tensor:
        if self.input_space is not None and hasattr(self.input_space, "validate"):
            self.input_space.validate(X)
        return torch.bernoulli(X, generator=self._rng.get(X.device))

    def state_dict(self) -> dict[str, Any]:
        return {"rng": self._rng.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if "rng" in state:
            self._rng.load_state_dict(state["rng"])
