"""The "four regions" task (Singhal and Wu, 1988): points uniform in [-1, 1]^2 labelled
by concentric half-rings (4 classes)."""

from __future__ import annotations

from typing import Any

import numpy as np

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix


def _four_regions_labels(points: Any) -> np.ndarray:
    """Labels 0..3 of points in [-1, 1]^2: rings at radii 1/6, 1/2, 5/6 split into left
    and right halves (outer shelf: class 3 above the x axis, 0 below)."""
    p = np.asarray(points, dtype=np.float64)
    r = np.hypot(p[:, 0], p[:, 1])
    top, right = p[:, 1] > 0, p[:, 0] > 0
    label = np.where(top, 3, 0).astype(np.uint8)  # r > 5/6
    ring1 = (r > 1 / 6) & (r <= 1 / 2)
    ring2 = (r > 1 / 2) & (r <= 5 / 6)
    label[(ring1 & right) | (ring2 & ~right)] = 2
    label[(ring2 & right) | (~right & (r < 1 / 2)) | (right & (r < 1 / 6))] = 1
    return label


class FourRegions(DenseDesignMatrix):
    """``num_examples`` random points and their four-regions labels (integers 0..3, or
    one-hot with ``one_hot``)."""

    _default_seed = (2013, 5, 17)

    def __init__(self, num_examples: int, one_hot: bool = False, rng: Any = (2013, 5, 17)) -> None:
        if not hasattr(rng, "uniform"):
            rng = np.random.RandomState(list(np.atleast_1d(rng)))
        X = rng.uniform(-1, 1, size=(int(num_examples), 2))
        labels = _four_regions_labels(X)
        y = np.eye(4, dtype=np.float32)[labels] if one_hot else labels[:, None].astype(np.int64)
        super().__init__(X=X, y=y, y_labels=None if one_hot else 4)


__all__ = ["FourRegions"]
