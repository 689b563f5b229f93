"""Datasets stored as numpy ``.npy`` / ``.npz`` files (read with allow_pickle=False)."""

from __future__ import annotations

import os

import numpy as np

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.utils.exc import ConfigError, DataNotFoundError


def _check(path: str) -> str:
    if not os.path.exists(path):
        raise DataNotFoundError(f"{path} not found.")
    return path


class NpyDataset(DenseDesignMatrix):
    """A design matrix from one ``.npy`` file (``mmap_mode`` keeps it on disk)."""

    def __init__(self, file: str, mmap_mode: str | None = None) -> None:
        X = np.load(_check(file), mmap_mode=mmap_mode, allow_pickle=False)
        if X.ndim != 2:
            raise ConfigError(f"{file}: expected a 2-d array (examples, features), got {X.shape}.")
        self.file, self.mmap_mode = file, mmap_mode
        super().__init__(X=X)


class NpzDataset(DenseDesignMatrix):
    """Features (and optionally targets) from arrays ``key`` / ``target_key`` of an ``.npz``."""

    def __init__(self, file: str, key: str, target_key: str | None = None,
                 y_labels: int | None = None) -> None:
        with np.load(_check(file), allow_pickle=False) as data:
            for name in [key] + ([target_key] if target_key else []):
                if name not in data.files:
                    raise ConfigError(f"{file} has no array {name!r}; it has {data.files}.")
            X = data[key]
            y = data[target_key] if target_key else None
        self.file, self.key, self.target_key = file, key, target_key
        super().__init__(X=X, y=y, y_labels=y_labels)
