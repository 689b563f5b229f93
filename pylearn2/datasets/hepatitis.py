"""The UCI hepatitis data: 155 patients, 19 attributes, outcome DIE / LIVE.

Read from ``${PYLEARN2_DATA_PATH}/hepatitis/hepatitis.data``, the UCI file: one
comma-separated line per patient, the class (1 DIE, 2 LIVE) first, '?' for a missing
value. The real-valued attributes (age, bilirubin, alkaline phosphate, SGOT, albumin,
protime, histology) come first; the yes/no attributes follow as 0 (value 1) / 1 (value 2);
missing values are -1.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.utils.exc import ConfigError, DataNotFoundError
from pylearn2.utils.string_utils import preprocess

NUM_FEATURES = 19
REAL = [0, 13, 14, 15, 16, 17, 18]  # age, bilirubin, alk phosphate, sgot, albumin, protime, histology


def neg_missing(s: str) -> str:
    """'?' (missing) -> '-1'; other fields unchanged."""
    return "-1" if s.strip() == "?" else s


class Hepatitis(DenseDesignMatrix):
    """The hepatitis data (see the module docstring); ``y`` is one-hot over
    ``class_names`` = ['DIE', 'LIVE'].

    (The classic library's one-hot rows put DIE in the LIVE column and vice versa; here
    column 0 is DIE, as ``class_names`` says.)
    """

    class_names = ["DIE", "LIVE"]

    def __init__(self, preprocessor: Any = None, start: int | None = None,
                 stop: int | None = None) -> None:
        path = preprocess("${PYLEARN2_DATA_PATH}/hepatitis/hepatitis.data")
        if not os.path.isfile(path):
            raise DataNotFoundError(f"{path} does not exist; download hepatitis.data from the "
                                    "UCI repository.")
        rows, labels = [], []
        with open(path) as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                fields = [neg_missing(v) for v in line.strip().split(",")]
                if len(fields) != NUM_FEATURES + 1:
                    raise ConfigError(f"{path}:{number}: expected {NUM_FEATURES + 1} "
                                      f"comma-separated fields, got {len(fields)}.")
                try:
                    values = [float(v) for v in fields]
                except ValueError as err:
                    raise ConfigError(f"{path}:{number}: {err}.") from None
                if values[0] not in (1.0, 2.0):
                    raise ConfigError(f"{path}:{number}: the class must be 1 or 2.")
                labels.append(int(values[0]) - 1)
                rows.append(values[1:])
        X = np.asarray(rows)
        real = np.zeros(NUM_FEATURES, dtype=bool)
        real[REAL] = True
        binary = X[:, ~real].copy()
        binary[binary == 1] = 0
        binary[binary == 2] = 1
        if not np.isin(binary, (-1, 0, 1)).all():
            raise ConfigError(f"{path}: a yes/no attribute holds a value other than 1, 2 or ?.")
        X = np.concatenate([X[:, real], binary], axis=1).astype(np.float32)
        y = np.eye(2, dtype=np.float32)[labels]
        super().__init__(X=X, y=y, preprocessor=preprocessor)
        if start is not None or stop is not None:
            self.restrict(start, stop)


__all__ = ["Hepatitis", "neg_missing"]
