"""A dataset read from a CSV file whose first column(s) may hold the targets."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.utils.exc import ConfigError, DataNotFoundError


class CSVDataset(DenseDesignMatrix):
    """Rows of numbers; with ``expect_labels`` the first ``num_outputs`` columns are targets.

    ``task='classification'`` treats the (single) target column as integer class labels
    (``y_labels`` classes; by default the largest label + 1, so give it explicitly when a
    split may miss the last classes); ``'regression'`` keeps targets as floats. Slicing:
    ``start``/``stop`` (row numbers) or ``start_fraction``/``end_fraction`` (fractions of
    the rows).

    ``one_hot`` (the original's deprecated switch) gives float one-hot targets, one column
    per distinct label in sorted order. The remaining arguments are DenseDesignMatrix's
    (``view_converter``/``axes`` to view each row as an image, ``rng``, ``preprocessor``
    with ``fit_preprocessor``, ``X_labels``); ``X``, ``topo_view`` and ``y`` are named too,
    as the original's signature forwards them, but the file supplies the data, so giving
    them is an error that says so.
    """

    def __init__(self, path: str = "train.csv", task: str = "classification",
                 expect_labels: bool = True, expect_headers: bool = True, delimiter: str = ",",
                 start: int | None = None, stop: int | None = None,
                 start_fraction: float | None = None, end_fraction: float | None = None,
                 num_outputs: int = 1, y_labels: int | None = None, one_hot: bool = False,
                 X: Any = None, topo_view: Any = None, y: Any = None,
                 view_converter: Any = None, axes: Sequence[Any] = ("b", 0, 1, "c"),
                 rng: Any = DenseDesignMatrix._default_seed, preprocessor: Any = None,
                 fit_preprocessor: bool = False, X_labels: int | None = None) -> None:
        given = [name for name, value in (("X", X), ("topo_view", topo_view), ("y", y))
                 if value is not None]
        if given:
            raise ConfigError(f"CSVDataset reads the examples and targets from {path!r}; drop "
                              f"{', '.join(given)} (or build a DenseDesignMatrix from arrays).")
        if task not in ("classification", "regression"):
            raise ConfigError(f"CSVDataset task must be 'classification' or 'regression', got {task!r}.")
        if not os.path.exists(path):
            raise DataNotFoundError(f"{path} not found.")
        try:
            data = np.loadtxt(path, delimiter=delimiter, skiprows=1 if expect_headers else 0,
                              ndmin=2)
        except ValueError as err:
            raise ConfigError(f"{path}: not a numeric CSV file ({err}); check delimiter and "
                              "expect_headers.") from err
        n = len(data)
        if start_fraction is not None or end_fraction is not None:
            start = int(round((start_fraction or 0.0) * n))
            stop = int(round((end_fraction if end_fraction is not None else 1.0) * n))
        data = data[start:stop]
        if not len(data):
            raise ConfigError(f"{path}: no rows left after start/stop slicing.")
        if expect_labels and data.shape[1] <= num_outputs:
            raise ConfigError(f"{path}: {data.shape[1]} columns, but {num_outputs} are targets; "
                              "no features are left.")
        self.path, self.task, self.num_outputs = path, task, num_outputs
        y, labels = None, None
        if expect_labels:
            y, X = data[:, :num_outputs], data[:, num_outputs:]
            if task == "classification":
                if num_outputs != 1:
                    raise ConfigError("Classification CSV files have exactly one label column.")
                if not np.all(np.mod(y, 1) == 0):
                    raise ConfigError(f"{path}: classification labels must be integers; use "
                                      "task: 'regression' for real-valued targets.")
                y = y.astype(np.int64)
                labels = int(y.max()) + 1 if y_labels is None else int(y_labels)
            if one_hot:  # position among the distinct labels, as the original encoded it
                if num_outputs != 1:
                    raise ConfigError("CSVDataset one_hot needs exactly one target column.")
                distinct, position = np.unique(y[:, 0], return_inverse=True)
                y = np.eye(len(distinct), dtype=np.float32)[position]
                labels = None
        else:
            X = data
        self.one_hot = bool(one_hot)
        super().__init__(X=X.astype(np.float32), y=y, y_labels=labels,
                         view_converter=view_converter, axes=axes, rng=rng,
                         preprocessor=preprocessor, fit_preprocessor=fit_preprocessor,
                         X_labels=X_labels)
