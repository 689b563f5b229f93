"""Preprocessors that need no fitting: per-example scaling, interval remapping, splitting."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pylearn2.datasets.preprocessing.base import (
    ExamplewisePreprocessor,
    Preprocessor,
    design_float64,
    replace_examples,
)
from pylearn2.expr.preprocessing import global_contrast_normalize
from pylearn2.utils.exc import ConfigError


class MakeUnitNorm(ExamplewisePreprocessor):
    """Scale every example to unit L2 norm (zero rows stay zero)."""

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        X = design_float64(dataset)
        norms = np.linalg.norm(X, axis=1, keepdims=True)
        dataset.set_design_matrix((X / np.where(norms == 0, 1.0, norms)).astype(np.float32))


class RemapInterval(ExamplewisePreprocessor):
    """Linearly map values from ``map_from`` = [a, b] to ``map_to`` = [c, d]."""

    def __init__(self, map_from: Sequence[float], map_to: Sequence[float]) -> None:
        if len(map_from) != 2 or len(map_to) != 2 or map_from[0] == map_from[1]:
            raise ConfigError("RemapInterval needs map_from=[a, b] (a != b) and map_to=[c, d].")
        self.map_from = [float(v) for v in map_from]
        self.map_to = [float(v) for v in map_to]

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        (a, b), (c, d) = self.map_from, self.map_to
        X = design_float64(dataset)
        dataset.set_design_matrix(((X - a) / (b - a) * (d - c) + c).astype(np.float32))

    def inverse(self, X: np.ndarray) -> np.ndarray:
        (a, b), (c, d) = self.map_from, self.map_to
        if c == d:
            raise ConfigError("RemapInterval onto a single point (map_to=[c, c]) cannot be "
                              "inverted.")
        return ((np.asarray(X, np.float64) - c) / (d - c) * (b - a) + a).astype(np.float32)


class GlobalContrastNormalization(ExamplewisePreprocessor):
    """Per-example contrast normalisation; see :func:`global_contrast_normalize`.

    ``batch_size`` bounds the float64 working memory (rows processed at a time).
    """

    def __init__(self, subtract_mean: bool = True, scale: float = 1.0, sqrt_bias: float = 0.0,
                 use_std: bool = False, min_divisor: float = 1e-8,
                 batch_size: int | None = None) -> None:
        if batch_size is not None and int(batch_size) < 1:
            raise ConfigError(f"GlobalContrastNormalization batch_size must be positive, got "
                              f"{batch_size}.")
        self.subtract_mean, self.scale, self.sqrt_bias = subtract_mean, float(scale), sqrt_bias
        self.use_std, self.min_divisor, self.batch_size = use_std, min_divisor, batch_size

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        X = dataset.get_design_matrix()
        step = int(self.batch_size or max(len(X), 1))
        out = [global_contrast_normalize(X[i:i + step], scale=self.scale,
                                         subtract_mean=self.subtract_mean, use_std=self.use_std,
                                         sqrt_bias=self.sqrt_bias, min_divisor=self.min_divisor)
               .astype(np.float32) for i in range(0, len(X), step)]
        dataset.set_design_matrix(np.concatenate(out) if out else X.astype(np.float32))


class ShuffleAndSplit(Preprocessor):
    """Shuffle the examples with ``seed`` and keep examples [start, stop) of that order.

    The same seed gives the same permutation on every call, so two datasets built from the
    same data with disjoint [start, stop) ranges are disjoint splits.
    """

    def __init__(self, seed: int, start: int, stop: int) -> None:
        self.seed, self.start, self.stop = seed, int(start), int(stop)

    def is_fitted(self) -> bool:
        return True

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        n = dataset.get_num_examples()
        if not 0 <= self.start < self.stop <= n:
            raise ConfigError(f"ShuffleAndSplit: need 0 <= start < stop <= {n} (the dataset's "
                              f"size), got start={self.start}, stop={self.stop}.")
        order = np.random.default_rng(self.seed).permutation(n)[self.start:self.stop]
        y = None if dataset.y is None else dataset.y[order]
        replace_examples(dataset, dataset.get_design_matrix()[order], y)
