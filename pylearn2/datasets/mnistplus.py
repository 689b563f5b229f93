"""MNIST-Plus: 48x48 MNIST digits with lighting (azimuth), rotation and/or textured
backgrounds as factors of variation.

``${PYLEARN2_DATA_PATH}/mnistplus/mnistplus[_azi][_rot][_tex].pkl``: a pickle of a dict of
plain numpy arrays (read without running code): ``data`` (70000, 2304) and the label
arrays ``label``, ``azimuth``, ``rotation``, ``texture_id``. Splits: 50,000 / 10,000 /
10,000.
"""

from __future__ import annotations

import numpy as np

from pylearn2.datasets.dense_design_matrix import DefaultViewConverter, DenseDesignMatrix
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.safe_unpickle import load_plain_pickle
from pylearn2.utils.string_utils import preprocess


class MNISTPlus(DenseDesignMatrix):
    """MNIST-Plus (see the module docstring). ``label_type`` picks the targets (angles
    become fractions of 360 degrees); ``contrast_normalize`` standardises each image;
    ``center`` removes the per-pixel mean."""

    idx = {"train": slice(0, 50000), "valid": slice(50000, 60000), "test": slice(60000, 70000)}

    def __init__(self, which_set: str, label_type: str | None = None, azimuth: bool = False,
                 rotation: bool = False, texture: bool = False, center: bool = False,
                 contrast_normalize: bool = False, seed: int = 132987) -> None:
        if which_set not in self.idx:
            raise ConfigError(f"MNISTPlus which_set must be one of {list(self.idx)}, got "
                              f"{which_set!r}.")
        if label_type not in (None, "label", "azimuth", "rotation", "texture_id"):
            raise ConfigError(f"MNISTPlus label_type must be None, 'label', 'azimuth', "
                              f"'rotation' or 'texture_id', got {label_type!r}.")
        name = "${PYLEARN2_DATA_PATH}/mnistplus/mnistplus" + "_azi" * azimuth + \
            "_rot" * rotation + "_tex" * texture + ".pkl"
        path = preprocess(name)
        data = load_plain_pickle(path, encoding="latin1")
        if not isinstance(data, dict) or "data" not in data:
            raise ConfigError(f"{path}: expected a dict with 'data' and label arrays.")
        X = np.asarray(data["data"], dtype=np.float32)[self.idx[which_set]]
        if contrast_normalize:
            X = (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)
        if center:
            X = X - X.mean(axis=0)
        y = None
        if label_type is not None:
            if label_type not in data:
                raise ConfigError(f"{path} has no {label_type!r} labels.")
            y = np.asarray(data[label_type])
            y = (y / 360.0).astype(np.float32) if label_type in ("azimuth", "rotation") else y
            y = y[self.idx[which_set]].reshape(X.shape[0], -1)
        self.which_set, self.label_type = which_set, label_type
        super().__init__(X=X, y=y, view_converter=DefaultViewConverter((48, 48, 1)))


__all__ = ["MNISTPlus"]
