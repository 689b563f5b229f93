"""Small random datasets for tests and experiment smoke runs.

``rng`` may be a ``numpy.random.RandomState`` (draws are exactly those the classic
library made with the same seed: ``randn`` for features, ``randint`` for labels), a
``numpy.random.Generator``, or an int seed (a RandomState with that seed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.utils.exc import ConfigError


def _as_rng(rng: Any) -> Any:
    if isinstance(rng, (np.random.RandomState, np.random.Generator)):
        return rng
    if isinstance(rng, (int, np.integer)):
        return np.random.RandomState(int(rng))
    raise ConfigError(f"rng must be a numpy RandomState, Generator or an int seed, got {rng!r}.")


def _normal(rng: Any, shape: Sequence[int]) -> np.ndarray:
    if isinstance(rng, np.random.Generator):
        return rng.standard_normal(tuple(shape))
    return rng.randn(*shape)


def _labels(rng: Any, num_classes: int, size: Any) -> np.ndarray:
    if int(num_classes) < 1:
        raise ConfigError(f"num_classes must be >= 1, got {num_classes}.")
    if isinstance(rng, np.random.Generator):
        return rng.integers(0, num_classes, size)
    return rng.randint(0, num_classes, size)


def _one_hot(idx: np.ndarray, num_classes: int) -> np.ndarray:
    return np.eye(int(num_classes))[idx]


class ArangeDataset(DenseDesignMatrix):
    """Example ``i`` is the single feature value ``i``: shows which examples a loop visits."""

    def __init__(self, num_examples: int) -> None:
        self.num_examples = int(num_examples)
        super().__init__(X=np.arange(self.num_examples, dtype=np.float64)[:, None])


def random_dense_design_matrix(rng: Any, num_examples: int, dim: int,
                               num_classes: int) -> DenseDesignMatrix:
    """Standard-normal features (num_examples, dim) and integer labels (num_examples, 1)."""
    rng = _as_rng(rng)
    X = _normal(rng, (num_examples, dim))
    y = _labels(rng, num_classes, (num_examples, 1))
    return DenseDesignMatrix(X=X, y=y, y_labels=int(num_classes))


def random_one_hot_dense_design_matrix(rng: Any, num_examples: int, dim: int,
                                       num_classes: int) -> DenseDesignMatrix:
    """Standard-normal features (num_examples, dim) and one-hot targets (num_examples,
    num_classes)."""
    rng = _as_rng(rng)
    X = _normal(rng, (num_examples, dim))
    y = _one_hot(_labels(rng, num_classes, (num_examples,)), num_classes)
    return DenseDesignMatrix(X=X, y=y)


def random_one_hot_topological_dense_design_matrix(rng: Any, num_examples: int,
                                                   shape: Sequence[int], channels: int,
                                                   axes: Sequence[Any],
                                                   num_classes: int) -> DenseDesignMatrix:
    """Standard-normal images laid out along ``axes`` (e.g. ('b', 0, 1, 'c')) with
    spatial ``shape`` and ``channels`` channels, and one-hot targets.

    Labels are drawn from ``range(num_classes)`` (as the classic helper's later
    versions do; its first version drew them from the range of the last spatial size).
    """
    rng = _as_rng(rng)
    sizes: dict[Any, int] = {"b": int(num_examples), "c": int(channels)}
    sizes.update({i: int(s) for i, s in enumerate(shape)})
    if sorted(map(str, axes)) != sorted(map(str, sizes)) or len(axes) != len(sizes):
        raise ConfigError(f"axes must name 'b', 'c' and 0..{len(shape) - 1} once each, got "
                          f"{list(axes)!r}.")
    layout = [sizes[axis] for axis in axes]
    X = _normal(rng, layout)
    y = _one_hot(_labels(rng, num_classes, (num_examples,)), num_classes)
    return DenseDesignMatrix(topo_view=X, axes=tuple(axes), y=y)


def random_dense_design_matrix_for_regression(rng: Any, num_examples: int, dim: int,
                                              reg_min: int, reg_max: int) -> DenseDesignMatrix:
    """Standard-normal features (num_examples, dim) and regression targets
    (num_examples, 1): integers drawn from ``[reg_min, reg_max)``, stored as floats."""
    rng = _as_rng(rng)
    if int(reg_max) <= int(reg_min):
        raise ConfigError(f"reg_max must exceed reg_min, got {reg_min} and {reg_max}.")
    X = _normal(rng, (num_examples, dim))
    if isinstance(rng, np.random.Generator):
        y = rng.integers(reg_min, reg_max, (num_examples, 1))
    else:
        y = rng.randint(reg_min, reg_max, (num_examples, 1))
    return DenseDesignMatrix(X=X, y=y.astype(np.float32))
