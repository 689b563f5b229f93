"""An endless stream of 2-d examples ``(x, cos(x) + noise)``, x uniform in
[min_x, max_x], noise Gaussian with standard deviation ``std``; with its density."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch

from pylearn2.utils.init_args import InitArgsMixin


class CosDataset(InitArgsMixin):
    """Examples ``(x, cos(x) + std * n)`` drawn on demand (see the module docstring)."""

    def __init__(self, min_x: float = -6.28, max_x: float = 6.28, std: float = 0.05,
                 rng: Any = None) -> None:
        self.min_x, self.max_x, self.std = float(min_x), float(max_x), float(std)
        seed = [int(s) for s in np.atleast_1d(rng if rng is not None else (2013, 8, 1))]
        self.default_rng = np.random.default_rng(seed)
        self.rng = copy.deepcopy(self.default_rng)

    def energy(self, mat: np.ndarray) -> np.ndarray:
        x, y = mat[:, 0], mat[:, 1]
        return (y - np.cos(x)) ** 2 / (2 * self.std ** 2)

    def pdf_func(self, mat: np.ndarray) -> np.ndarray:
        """The density of the examples, for numpy arrays."""
        x = mat[:, 0]
        density = np.exp(-self.energy(mat)) / np.sqrt(2 * np.pi * self.std ** 2)
        return density / (self.max_x - self.min_x) * ((x < self.max_x) & (x > self.min_x))

    def free_energy(self, X: torch.Tensor) -> torch.Tensor:
        """Energy for torch batches; 1e30 outside the support of x."""
        x, y = X[:, 0], X[:, 1]
        inside = ((x < self.max_x) & (x > self.min_x)).to(X.dtype)
        return inside * (y - torch.cos(x)) ** 2 / (2 * self.std ** 2) + (1 - inside) * 1e30

    def pdf(self, X: torch.Tensor) -> torch.Tensor:
        """The density for torch batches."""
        return torch.as_tensor(self.pdf_func(X.detach().cpu().numpy()), dtype=X.dtype)

    def get_stream_position(self) -> Any:
        return copy.deepcopy(self.rng)

    def set_stream_position(self, s: Any) -> None:
        self.rng = copy.deepcopy(s)

    def restart_stream(self) -> None:
        self.reset_RNG()

    def reset_RNG(self) -> None:  # noqa: N802
        self.rng = copy.deepcopy(self.default_rng)

    def get_batch_design(self, batch_size: int) -> np.ndarray:
        x = self.rng.uniform(self.min_x, self.max_x, (batch_size, 1))
        y = np.cos(x) + self.rng.standard_normal(x.shape) * self.std
        return np.hstack([x, y]).astype(np.float32)


__all__ = ["CosDataset"]
