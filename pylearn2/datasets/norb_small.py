"""Small NORB read from .npy copies of the original files:
``${PYLEARN2_DATA_PATH}/norb_small/original_npy/smallnorb-...-{dat,cat,info}.npy``
(the arrays of :mod:`pylearn2.datasets.norb`: dat (N, 2, 96, 96), cat (N,), info (N, 4)).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from pylearn2.datasets.dense_design_matrix import DefaultViewConverter, DenseDesignMatrix
from pylearn2.datasets.norb import PREFIX
from pylearn2.datasets.npy_npz import load_npy
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.string_utils import preprocess


class NORBSmall(DenseDesignMatrix):
    """Small NORB; the two stereo images are the two channels of a (96, 96, 2) view.

    Parameters
    ----------
    which_set : 'train' or 'test'.
    center : subtract 127.5.
    multi_target : labels category, instance, elevation, azimuth, lighting.
    """

    @classmethod
    def load(cls, which_set: str, desc: str) -> np.ndarray:
        if desc not in ("dat", "cat", "info"):
            raise ConfigError(f"NORBSmall.load: desc must be 'dat', 'cat' or 'info', got {desc!r}.")
        path = os.path.join(preprocess("${PYLEARN2_DATA_PATH}"), "norb_small", "original_npy",
                            f"{PREFIX[which_set]}-{desc}.npy")
        return load_npy(path)

    def __init__(self, which_set: str, center: bool = False, multi_target: bool = False) -> None:
        if which_set not in PREFIX:
            raise ConfigError(f"NORBSmall which_set must be 'train' or 'test', got {which_set!r}.")
        X = self.load(which_set, "dat").astype(np.float32).reshape(-1, 2 * 96 * 96)
        y = self.load(which_set, "cat").reshape(-1, 1).astype(np.int64)
        if multi_target:
            y = np.hstack([y, self.load(which_set, "info").astype(np.int64)])
        if y.shape[0] != X.shape[0]:
            raise ConfigError(f"NORBSmall {which_set}: {X.shape[0]} pairs but {y.shape[0]} labels.")
        if center:
            X -= 127.5
        super().__init__(X=X, y=y, view_converter=DefaultViewConverter((96, 96, 2)),
                         y_labels=None if multi_target else 5)




class FoveatedNORB(DenseDesignMatrix):
    """Small NORB in retina code (rings 8, 4, 2, 2 around the 96x96x2 stereo images),
    from ``norb_small/foveated/smallnorb-...-dat.npy``; labels from the .npy copies.

    Parameters
    ----------
    which_set : 'train' or 'test'.
    center : subtract 127.5; scale : then divide by 127.5 (or by 255 without center).
    start, stop : keep these rows. one_hot : categories as 5 one-hot columns.
    restrict_instances : keep only these toy instances (not with start/stop).
    preprocessor : applied after loading.
    """

    rings = (8, 4, 2, 2)

    @classmethod
    def load(cls, which_set: str) -> np.ndarray:
        path = os.path.join(preprocess("${PYLEARN2_DATA_PATH}"), "norb_small", "foveated",
                            f"{PREFIX[which_set]}-dat.npy")
        return load_npy(path)

    def __init__(self, which_set: str, center: bool = False, scale: bool = False,
                 start: int | None = None, stop: int | None = None, one_hot: bool = False,
                 restrict_instances: Any = None, preprocessor: Any = None) -> None:
        from pylearn2.datasets.retina import RetinaCodingViewConverter, get_encoded_size

        if which_set not in PREFIX:
            raise ConfigError(f"FoveatedNORB which_set must be 'train' or 'test', got "
                              f"{which_set!r}.")
        if restrict_instances is not None and (start is not None or stop is not None):
            raise ConfigError("FoveatedNORB: give restrict_instances or start/stop, not both.")
        X = self.load(which_set).astype(np.float32)
        expected = get_encoded_size(96, 96, self.rings) * 2
        if X.ndim != 2 or X.shape[1] != expected:
            raise ConfigError(f"FoveatedNORB {which_set}: coded rows must have {expected} "
                              f"values, got shape {X.shape}.")
        y = NORBSmall.load(which_set, "cat").reshape(-1).astype(np.int64)
        self.instance = NORBSmall.load(which_set, "info")[:, 0]
        if center:
            X -= 127.5
        if scale:
            X /= 127.5 if center else 255.0
        if restrict_instances is not None:
            keep = np.isin(self.instance, list(restrict_instances))
            X, y, self.instance = X[keep], y[keep], self.instance[keep]
        X, y, self.instance = X[start:stop], y[start:stop], self.instance[start:stop]
        target = np.eye(5, dtype=np.float32)[y] if one_hot else y[:, None].astype(np.float32)
        super().__init__(X=X, y=target, preprocessor=preprocessor)
        self.view_converter = RetinaCodingViewConverter((96, 96, 2), self.rings)


__all__ = ["FoveatedNORB", "NORBSmall"]
