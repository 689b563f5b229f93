"""The small NORB dataset (LeCun et al., 2004): 96x96 stereo pairs of toys from 5
categories, 24,300 training and 24,300 test pairs.

Files (NORB binary matrix format, see :mod:`pylearn2.datasets.filetensor`):
``smallnorb-5x46789x9x18x6x2x96x96-training-{dat,cat,info}.mat`` and
``smallnorb-5x01235x9x18x6x2x96x96-testing-...``; ``dat`` is uint8 (N, 2, 96, 96),
``cat`` int32 (N,) categories 0..4, ``info`` int32 (N, 4): instance, elevation, azimuth,
lighting.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from pylearn2.datasets import filetensor
from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.string_utils import preprocess

PREFIX = {"train": "smallnorb-5x46789x9x18x6x2x96x96-training",
          "test": "smallnorb-5x01235x9x18x6x2x96x96-testing"}


class StereoViewConverter:
    """Design rows of stereo pairs <-> a topological view with a stereo axis 's'.

    ``shape`` is (2, rows, cols, channels); ``axes`` contain 'b', 's', 0, 1, 'c'.
    Rows store the left then the right image, each in row-major pixel order.
    """

    def __init__(self, shape: Any, axes: Any = ("b", "s", 0, 1, "c")) -> None:
        self.shape, self.axes = tuple(int(s) for s in shape), tuple(axes)
        if len(self.shape) != 4 or self.shape[0] != 2 or set(self.axes) != {"b", "s", 0, 1, "c"}:
            raise ConfigError(f"StereoViewConverter needs shape (2, rows, cols, channels) and "
                              f"axes of b, s, 0, 1, c; got {self.shape}, {self.axes}.")

    def design_mat_to_topo_view(self, X: np.ndarray) -> np.ndarray:
        v = np.asarray(X).reshape((X.shape[0],) + self.shape)  # b s 0 1 c
        return v.transpose([("b", "s", 0, 1, "c").index(a) for a in self.axes])

    def topo_view_to_design_mat(self, V: np.ndarray) -> np.ndarray:
        v = np.asarray(V).transpose([self.axes.index(a) for a in ("b", "s", 0, 1, "c")])
        return v.reshape(v.shape[0], -1)


class SmallNORB(DenseDesignMatrix):
    """Small NORB: X rows are the 2 x 96 x 96 stereo pair; y the category (or, with
    ``multi_target``, category, instance, elevation, azimuth, lighting).

    Parameters
    ----------
    which_set : 'train' or 'test'.
    multi_target : also return the four info labels.
    stop : keep only the first ``stop`` pairs.
    """

    original_image_shape = (96, 96)

    def __init__(self, which_set: str, multi_target: bool = False, stop: int | None = None) -> None:
        if which_set not in PREFIX:
            raise ConfigError(f"SmallNORB which_set must be 'train' or 'test', got {which_set!r}.")
        X = self.load(which_set, "dat")
        if X.ndim != 4 or X.shape[1:] != (2, 96, 96):
            raise ConfigError(f"SmallNORB {which_set} dat file: expected (N, 2, 96, 96), got "
                              f"{X.shape}.")
        y = self.load(which_set, "cat").reshape(-1)
        if y.shape[0] != X.shape[0]:
            raise ConfigError(f"SmallNORB {which_set}: {X.shape[0]} pairs but {y.shape[0]} "
                              "category labels.")
        y = y[:, None]
        if multi_target:
            y = np.hstack([y, self.load(which_set, "info").reshape(X.shape[0], 4)])
        X, y = X[:stop], y[:stop]
        self.which_set, self.multi_target = which_set, multi_target
        self.stereo_converter = StereoViewConverter((2, 96, 96, 1))
        super().__init__(X=X.reshape(X.shape[0], -1).astype(np.float32), y=y.astype(np.int64),
                         y_labels=None if multi_target else 5)

    @staticmethod
    def load(which_set: str, filetype: str) -> np.ndarray:
        """One of the set's 'dat', 'cat' or 'info' arrays."""
        folder = preprocess("${PYLEARN2_DATA_PATH}/norb_small/original")
        return filetensor.read(os.path.join(folder, f"{PREFIX[which_set]}-{filetype}.mat"))

    def get_topological_view(self, mat: np.ndarray | None = None) -> np.ndarray:
        """(N, 2, 96, 96, 1) stereo pairs, axes ('b', 's', 0, 1, 'c')."""
        return self.stereo_converter.design_mat_to_topo_view(self.X if mat is None else mat)


__all__ = ["SmallNORB", "StereoViewConverter"]
