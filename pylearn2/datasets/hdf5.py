"""A dataset read from an HDF5 file (through h5py)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.utils.exc import ConfigError, DataNotFoundError


class HDF5Dataset(DenseDesignMatrix):
    """Features from dataset ``X`` (design matrix) or ``topo_view`` (images) of ``filename``,
    targets from ``y``; ``y_labels`` marks integer class labels."""

    def __init__(self, filename: str, X: str | None = None, topo_view: str | None = None,
                 y: str | None = None, y_labels: int | None = None,
                 axes: Sequence[Any] = ("b", 0, 1, "c"), start: int | None = None,
                 stop: int | None = None) -> None:
        try:
            import h5py
        except ImportError as err:
            raise ConfigError("HDF5Dataset needs h5py: pip install h5py") from err
        if not os.path.exists(filename):
            raise DataNotFoundError(f"{filename} not found.")
        if (X is None) == (topo_view is None):
            raise ConfigError("HDF5Dataset: name exactly one of X or topo_view.")
        with h5py.File(filename, "r") as handle:
            def read(name: str) -> np.ndarray:
                if name not in handle:
                    raise ConfigError(f"{filename} has no dataset {name!r}; it has {list(handle)}.")
                return np.asarray(handle[name][start:stop])

            features = read(X or topo_view)
            targets = read(y) if y is not None else None
        self.filename = filename
        if topo_view is not None:
            super().__init__(topo_view=features, y=targets, axes=axes, y_labels=y_labels)
        else:
            super().__init__(X=features, y=targets, y_labels=y_labels)
