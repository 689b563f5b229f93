"""Fisher's iris data: 150 flowers, 4 measurements, 3 species (one-hot targets).

The values come from scikit-learn's bundled copy of the UCI file.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix


class Iris(DenseDesignMatrix):
    """The iris data; ``y`` is one-hot over ``class_names``."""

    class_names = ["Iris-setosa", "Iris-versicolor", "Iris-virginica"]

    def __init__(self, preprocessor: Any = None) -> None:
        from sklearn.datasets import load_iris

        data = load_iris()
        y = np.eye(3, dtype=np.float32)[data.target]
        super().__init__(X=data.data.astype(np.float32), y=y, preprocessor=preprocessor)


__all__ = ["Iris"]
