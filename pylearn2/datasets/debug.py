"""A two-example dataset for debugging: the 2x2 identity as its design matrix."""

from __future__ import annotations

import numpy as np

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix


class DebugDataset(DenseDesignMatrix):
    """``X = [[1, 0], [0, 1]]``, no targets."""

    def __init__(self) -> None:
        super().__init__(X=np.eye(2, dtype=np.float32))


__all__ = ["DebugDataset"]
