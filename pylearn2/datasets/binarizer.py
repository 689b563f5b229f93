"""Binarizer: Bernoulli samples of a dataset's [0, 1] features, fresh for every batch."""

from __future__ import annotations

from typing import Any

import torch

from pylearn2.blocks import Block
from pylearn2.datasets.transformer_dataset import TransformerDataset

DEFAULT_SEED = 2 ** 31 - 1


class BernoulliSampler(Block):
    """Each value ``p`` in [0, 1] becomes 1 with probability ``p``, else 0 (seeded, CPU
    generator, so the draws do not depend on the device)."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self.generator = torch.Generator()
        self.generator.manual_seed(DEFAULT_SEED if seed is None else int(seed))

    def perform(self, X: torch.Tensor) -> torch.Tensor:
        noise = torch.rand(X.shape, generator=self.generator, dtype=torch.float64)
        return (noise.to(X.device) < X).to(X.dtype)

    def state_dict(self) -> dict[str, Any]:
        return {"generator": self.generator.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.generator.set_state(torch.as_tensor(state["generator"], dtype=torch.uint8))


class Binarizer(TransformerDataset):
    """``raw`` with each feature replaced by a Bernoulli draw with that probability."""

    def __init__(self, raw: Any, seed: int | None = None) -> None:
        super().__init__(raw=raw, transformer=BernoulliSampler(seed), space_preserving=True)
        self.seed = seed
