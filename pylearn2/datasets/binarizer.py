"""Binarizer: Bernoulli samples of a dataset's [0, 1] features, fresh for every batch."""

from __future__ import annotations

from typing import Any

import torch

from pylearn2.blocks import Block
from pylearn2.datasets.transformer_dataset import TransformerDataset


class _Sampler(Block):
    def __init__(self, seed: int | None) -> None:
        self.generator = torch.Generator()
        self.generator.manual_seed(2 ** 31 - 1 if seed is None else int(seed))

    def perform(self, X: torch.Tensor) -> torch.Tensor:
        noise = torch.rand(X.shape, generator=self.generator)
        return (noise.to(X.device) < X).to(X.dtype)


class Binarizer(TransformerDataset):
    """Each feature becomes 1 with probability equal to its value in ``raw``."""

    def __init__(self, raw: Any, seed: int | None = None) -> None:
        super().__init__(raw=raw, transformer=_Sampler(seed), space_preserving=True)
        self.seed = seed

    def state_dict(self) -> dict[str, Any]:
        return {"generator": self.transformer.generator.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.transformer.generator.set_state(state["generator"])
