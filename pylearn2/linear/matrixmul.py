"""Dense transform: ``lmul(x) = x W``."""

from __future__ import annotations

from typing import Any

import torch

from pylearn2.linear.linear_transform import LinearTransform, random_array
from pylearn2.space import VectorSpace


class MatrixMul(LinearTransform):
    """Multiply by a (input_dim, output_dim) matrix."""

    def __init__(self, W: Any) -> None:
        super().__init__()
        W = torch.as_tensor(W, dtype=torch.float32)
        self.W = torch.nn.Parameter(W.clone())
        self.input_space = VectorSpace(W.shape[0])
        self.output_space = VectorSpace(W.shape[1])

    def lmul(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.W

    def lmul_T(self, y: torch.Tensor) -> torch.Tensor:
        return y @ self.W.T


def make_random_matrixmul(input_dim: int, output_dim: int, irange: float,
                          rng: Any = (2014, 1, 1)) -> MatrixMul:
    return MatrixMul(random_array(rng, irange, (int(input_dim), int(output_dim))))
