"""The datasets of Larochelle et al., "An empirical evaluation of deep architectures on
problems with many factors of variation" (ICML 2007): 28x28 images.

Files: ``${PYLEARN2_DATA_PATH}/icml07data/npy/<name>_inputs.npy`` (N, 784) and
``<name>_labels.npy`` (N,); train, valid and test are consecutive blocks of sizes
``split``.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from pylearn2.datasets.dense_design_matrix import DefaultViewConverter, DenseDesignMatrix
from pylearn2.datasets.npy_npz import load_npy
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.string_utils import preprocess


class ICML07DataSet(DenseDesignMatrix):
    """Base class: rows of ``<npy_filename>_inputs.npy`` for ``which_set`` (see the
    module docstring); integer labels, or one-hot with ``one_hot``."""

    def __init__(self, npy_filename: str, which_set: str, splits: Any, one_hot: bool) -> None:
        if which_set not in ("train", "valid", "test"):
            raise ConfigError(f"which_set must be 'train', 'valid' or 'test', got {which_set!r}.")
        root = os.path.join(preprocess("${PYLEARN2_DATA_PATH}"), "icml07data", "npy", npy_filename)
        X, y = load_npy(root + "_inputs.npy"), load_npy(root + "_labels.npy").reshape(-1)
        if X.shape[0] != y.shape[0] or X.ndim != 2 or X.shape[1] != 784:
            raise ConfigError(f"{root}_inputs.npy / _labels.npy: expected (N, 784) inputs and N "
                              f"labels, got {X.shape} and {y.shape}.")
        if not np.isfinite(X).all():
            raise ConfigError(f"{root}_inputs.npy contains non-finite values.")
        n_train, n_valid, n_test = (int(s) for s in splits)
        start = {"train": 0, "valid": n_train, "test": n_train + n_valid}[which_set]
        stop = start + {"train": n_train, "valid": n_valid, "test": n_test}[which_set]
        if stop > X.shape[0]:
            raise ConfigError(f"{root}_inputs.npy has {X.shape[0]} rows; the split {tuple(splits)} "
                              f"needs {n_train + n_valid + n_test}.")
        X, y = X[start:stop].astype(np.float32), y[start:stop].astype(np.int64)
        n_classes = int(y.max()) + 1 if y.size else 1
        self.one_hot, self.splits, self.which_set = one_hot, tuple(splits), which_set
        super().__init__(X=X, y=np.eye(n_classes, dtype=np.float32)[y] if one_hot else y[:, None],
                         view_converter=DefaultViewConverter((28, 28, 1)),
                         y_labels=None if one_hot else n_classes)

    def get_test_set(self) -> ICML07DataSet:
        args = {k: v for k, v in self._init_args.items()}
        args["which_set"] = "test"
        return type(self)(**args)


ICMP07DataSet = ICML07DataSet  # the classic library's spelling


class MNIST_rotated_background(ICML07DataSet):  # noqa: N801
    """Rotated MNIST digits on image backgrounds (default split 10000/2000/10000)."""

    def __init__(self, which_set: str, one_hot: bool = False, center: bool = False,
                 split: Any = (10000, 2000, 10000)) -> None:
        super().__init__("mnist_rotated_background_images", which_set, split, one_hot)
        if center:
            self.X = self.X - self.X.mean(axis=0)


class Convex(ICML07DataSet):
    """Convex vs non-convex binary shapes (default split 6000/2000/50000)."""

    def __init__(self, which_set: str, one_hot: bool = False, split: Any = (6000, 2000, 50000)) -> None:
        super().__init__("convex", which_set, split, one_hot)


class Rectangles(ICML07DataSet):
    """Tall vs wide binary rectangles (default split 1000/200/50000)."""

    def __init__(self, which_set: str, one_hot: bool = False, split: Any = (1000, 200, 50000)) -> None:
        super().__init__("rectangles", which_set, split, one_hot)


class RectanglesImage(ICML07DataSet):
    """Tall vs wide rectangles on image backgrounds (default split 10000/2000/50000)."""

    def __init__(self, which_set: str, one_hot: bool = False,
                 split: Any = (10000, 2000, 50000)) -> None:
        super().__init__("rectangles_images", which_set, split, one_hot)


__all__ = ["Convex", "ICML07DataSet", "ICMP07DataSet", "MNIST_rotated_background", "Rectangles",
           "RectanglesImage"]
