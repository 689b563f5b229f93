"""The LinearTransform base class."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from pylearn2.space import Space
from pylearn2.utils.init_args import InitArgsMixin


class LinearTransform(InitArgsMixin, torch.nn.Module):
    """A linear map from ``input_space`` to ``output_space`` with its adjoint."""

    input_space: Space
    output_space: Space

    def __init__(self) -> None:
        torch.nn.Module.__init__(self)

    def lmul(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def lmul_T(self, y: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lmul(x)

    def get_params(self) -> list[torch.nn.Parameter]:
        return list(self.parameters())

    def set_batch_size(self, batch_size: int) -> None:
        """Transforms here accept any batch size."""

    def get_weights_topo(self) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} has no image-shaped weights.")


def random_array(rng: Any, irange: float, shape: tuple[int, ...]) -> torch.Tensor:
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(
        None if rng is None else [int(s) for s in np.atleast_1d(rng)])
    return torch.as_tensor(generator.uniform(-irange, irange, size=shape), dtype=torch.float32)
