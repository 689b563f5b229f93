"""CIFAR-10 from the official python batch files, read without running pickled code.

Files: ``${PYLEARN2_DATA_PATH}/cifar10/cifar-10-batches-py/{data_batch_1..5, test_batch}``.
X is float32 in [0, 255] (stored c01, topological shape (32, 32, 3)) unless ``center``
(subtract 127.5), ``rescale`` (divide by 127.5), ``gcn`` (global contrast normalisation
with that scale) or ``toronto_prepro`` (divide by 255 and subtract the training mean).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from pylearn2.datasets.dense_design_matrix import (
    DefaultViewConverter,
    DenseDesignMatrix,
    resolve_range,
)
from pylearn2.expr.preprocessing import global_contrast_normalize
from pylearn2.utils.exc import ConfigError, DataNotFoundError, NoDataPathError, ShapeError
from pylearn2.utils.safe_unpickle import load_plain_pickle


def data_root() -> str:
    root = os.environ.get("PYLEARN2_DATA_PATH")
    if not root:
        raise NoDataPathError()
    return os.path.expanduser(root.split(os.pathsep)[0])


def read_batch(path: str, label_key: bytes = b"labels") -> tuple[np.ndarray, np.ndarray]:
    if not os.path.exists(path):
        raise DataNotFoundError(
            f"{path} not found. Download the python version of the dataset from "
            "https://www.cs.toronto.edu/~kriz/cifar.html and unpack it under $PYLEARN2_DATA_PATH."
        )
    batch = load_plain_pickle(path)
    if not isinstance(batch, dict):
        raise ShapeError(f"{path}: expected a dict of arrays, got {type(batch).__name__}.")
    batch = {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}
    key = label_key.decode()
    if "data" not in batch or key not in batch:
        raise ShapeError(f"{path}: missing 'data' or '{key}' entries; not a CIFAR batch file.")
    data = np.asarray(batch["data"])
    if data.ndim != 2 or data.shape[1] != 3072:
        raise ShapeError(f"{path}: data has shape {data.shape}, expected (N, 3072).")
    return data, np.asarray(batch[key], dtype=np.int64)


class _CIFARBase(DenseDesignMatrix):
    n_classes = 10

    def _build(self, X: np.ndarray, y: np.ndarray, which_set: str, start: int | None,
               stop: int | None, axes: Sequence[Any], center: bool, rescale: bool,
               gcn: float | None, toronto_prepro: bool, train_mean: Any,
               preprocessor: Any) -> None:
        start, stop = resolve_range(f"{type(self).__name__} {which_set!r}", len(y), start, stop)
        X = X[start:stop].astype(np.float32)
        if toronto_prepro:
            X = X / 255.0
            X = X - train_mean() / 255.0
        if center:
            X = X - 127.5
        if rescale:
            X = X / 127.5
        if gcn is not None:
            X = global_contrast_normalize(X, scale=float(gcn)).astype(np.float32)
        self.which_set, self.center, self.rescale = which_set, center, rescale
        self.gcn, self.toronto_prepro = gcn, toronto_prepro
        super().__init__(X=X, y=y[start:stop, None], y_labels=self.n_classes, axes=axes,
                         view_converter=DefaultViewConverter((32, 32, 3), axes),
                         preprocessor=preprocessor,
                         fit_preprocessor=getattr(self, "fit_preprocessor", which_set == "train"))

    def adjust_for_viewer(self, X: np.ndarray) -> np.ndarray:
        if self.gcn is not None or self.toronto_prepro:
            peak = np.abs(X).max()
            return X / peak if peak > 0 else X
        if self.center and not self.rescale:
            return X / 127.5
        if self.rescale:
            return X
        return X / 127.5 - 1.0


class CIFAR10(_CIFARBase):
    """CIFAR-10 'train' (50000) or 'test' (10000)."""

    def __init__(self, which_set: str, center: bool = False, rescale: bool = False,
                 gcn: float | None = None, start: int | None = None, stop: int | None = None,
                 axes: Sequence[Any] = ("b", 0, 1, "c"), toronto_prepro: bool = False,
                 preprocessor: Any = None, fit_preprocessor: bool = True) -> None:
        self.fit_preprocessor = fit_preprocessor
        if which_set not in ("train", "test"):
            raise ConfigError(f"CIFAR10 which_set must be 'train' or 'test', got {which_set!r}.")
        folder = os.path.join(data_root(), "cifar10", "cifar-10-batches-py")
        names = [f"data_batch_{i}" for i in range(1, 6)] if which_set == "train" else ["test_batch"]
        X, y = self._read(folder, names)

        def train_mean() -> np.ndarray:
            train_X = X if which_set == "train" else self._read(
                folder, [f"data_batch_{i}" for i in range(1, 6)])[0]
            return train_X.astype(np.float64).mean(0)

        self._build(X, y, which_set, start, stop, axes, center, rescale, gcn, toronto_prepro,
                    train_mean, preprocessor)

    @staticmethod
    def _read(folder: str, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
        parts = [read_batch(os.path.join(folder, name)) for name in names]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def get_test_set(self) -> CIFAR10:
        return CIFAR10("test", center=self.center, rescale=self.rescale, gcn=self.gcn,
                       axes=self.axes, toronto_prepro=self.toronto_prepro)
