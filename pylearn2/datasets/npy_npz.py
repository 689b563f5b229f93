"""Datasets stored as numpy ``.npy`` / ``.npz`` files (read with allow_pickle=False)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.utils.exc import ConfigError, DataNotFoundError, UnsafeObjectError


def load_npy(path: str, **kwargs: Any) -> Any:
    """``numpy.load`` without pickles: a missing file is DataNotFoundError, an object array
    UnsafeObjectError, a damaged or truncated file ConfigError, each naming the file."""
    if not os.path.isfile(path):
        raise DataNotFoundError(f"{path} not found.")
    try:
        return np.load(path, allow_pickle=False, **kwargs)
    except ValueError as err:
        if "pickle" in str(err):
            raise UnsafeObjectError(f"{path} holds pickled Python objects (an object array); "
                                    "only plain numeric arrays are read.") from err
        raise ConfigError(f"{path}: not a numpy file ({err}).") from err
    except (OSError, EOFError) as err:
        raise ConfigError(f"{path}: not a readable numpy file ({err}); it may be truncated.") \
            from None



def _features(file: str, X: np.ndarray, axes: Sequence[Any]) -> dict[str, Any]:
    if X.ndim == 2:
        return {"X": X}
    if X.ndim == 4:
        return {"topo_view": X, "axes": axes}
    raise ConfigError(f"{file}: expected a 2-d design matrix (examples, features) or a 4-d batch "
                      f"of images, got shape {X.shape}.")


class NpyDataset(DenseDesignMatrix):
    """A design matrix (2-d) or images (4-d, with ``axes``) from one ``.npy`` file;
    ``mmap_mode`` ('r', 'c', ...) leaves a float32 design matrix on disk until read."""

    def __init__(self, file: str, mmap_mode: str | None = None,
                 axes: Sequence[Any] = ("b", 0, 1, "c")) -> None:
        X = load_npy(file, mmap_mode=mmap_mode)
        self.file, self.mmap_mode = file, mmap_mode
        super().__init__(**_features(file, X, axes))


class NpzDataset(DenseDesignMatrix):
    """Features (and optionally targets) from arrays ``key`` / ``target_key`` of an ``.npz``;
    ``y_labels`` marks the targets as integer class labels."""

    def __init__(self, file: str, key: str, target_key: str | None = None,
                 y_labels: int | None = None, axes: Sequence[Any] = ("b", 0, 1, "c")) -> None:
        with load_npy(file) as data:
            for name in [key] + ([target_key] if target_key else []):
                if name not in data.files:
                    raise ConfigError(f"{file} has no array {name!r}; it has {data.files}.")
            try:
                X = data[key]
                y = data[target_key] if target_key else None
            except ValueError as err:
                raise UnsafeObjectError(f"{file}: array {key!r} or {target_key!r} holds pickled "
                                        "Python objects; only plain numeric arrays are "
                                        "read.") from err
        self.file, self.key, self.target_key = file, key, target_key
        super().__init__(y=y, y_labels=y_labels, **_features(file, X, axes))
