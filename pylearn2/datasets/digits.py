"""scikit-learn's bundled 8x8 handwritten digits: the embedded default dataset.

1797 grey images of the digits 0-9, pixel values 0..16 scaled to [0, 1]. A fixed-seed
shuffle splits them into train (1000), valid (300) and test (497) examples, so the
splits are disjoint and the same on every machine. No download is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix, resolve_range
from pylearn2.utils.exc import ConfigError

SPLITS = {"train": (0, 1000), "valid": (1000, 1300), "test": (1300, 1797)}


def _bundled_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1797 images (0..16, shape 1797x8x8) and labels as scikit-learn ships them.

    Read straight from the package's ``digits.csv.gz`` (64 pixels then the label per
    row) when it is there: importing scikit-learn itself costs about a second of start-up.
    """
    import importlib.util
    import os

    spec = importlib.util.find_spec("sklearn")  # locates the package without importing it
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(folder, "datasets", "data", "digits.csv.gz")
        if os.path.exists(path):
            rows = np.loadtxt(path, delimiter=",")
            return rows[:, :-1].reshape(-1, 8, 8), rows[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.images, bunch.target


@lru_cache(maxsize=1)
def _load_digits() -> tuple[np.ndarray, np.ndarray]:
    images, target = _bundled_digits()
    order = np.random.default_rng([2024, 8, 8]).permutation(len(target))
    return (images[order] / 16.0).astype(np.float32), target[order].astype(np.int64)


class Digits(DenseDesignMatrix):
    """The 8x8 digits split ``which_set`` ('train', 'valid', 'test'), optionally [start, stop)."""

    def __init__(self, which_set: str = "train", start: int | None = None,
                 stop: int | None = None, center: bool = False,
                 axes: Sequence[Any] = ("b", 0, 1, "c"), preprocessor: Any = None,
                 fit_preprocessor: bool = False) -> None:
        if which_set not in SPLITS:
            raise ConfigError(f"Digits which_set must be one of {sorted(SPLITS)}, "
                              f"got {which_set!r}.")
        self.which_set = which_set
        images, labels = _load_digits()
        lo, hi = SPLITS[which_set]
        images, labels = images[lo:hi], labels[lo:hi]
        start, stop = resolve_range(f"Digits {which_set!r}", len(labels), start, stop)
        topo = images[start:stop, :, :, None]
        if center:
            topo = topo - images.mean()
        self.center = center
        super().__init__(topo_view=_to_axes(topo, axes), y=labels[start:stop, None],
                         axes=axes, y_labels=10, preprocessor=preprocessor,
                         fit_preprocessor=fit_preprocessor)

    def get_test_set(self) -> Digits:
        return Digits(which_set="test", center=self.center, axes=self.axes)


def _to_axes(topo_b01c: np.ndarray, axes: Sequence[Any]) -> np.ndarray:
    from pylearn2.space import Conv2DSpace

    return Conv2DSpace.convert(topo_b01c, ("b", 0, 1, "c"), axes)
