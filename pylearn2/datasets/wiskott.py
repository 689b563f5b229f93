"""Wiskott's fish images (64x64, grey), inverted: ``1 - stored value``.

File: ``${PYLEARN2_DATA_PATH}/wiskott/wiskott_fish_layer0_15_standard_64x64_shuffled.npy``.
"""

from __future__ import annotations

import os

import numpy as np

from pylearn2.datasets.dense_design_matrix import DefaultViewConverter, DenseDesignMatrix
from pylearn2.utils.exc import ConfigError, DataNotFoundError
from pylearn2.utils.string_utils import preprocess

FILE = "wiskott_fish_layer0_15_standard_64x64_shuffled.npy"


class Wiskott(DenseDesignMatrix):
    """The fish images as 4096-pixel rows."""

    def __init__(self) -> None:
        path = os.path.join(preprocess("${PYLEARN2_DATA_PATH}"), "wiskott", FILE)
        if not os.path.isfile(path):
            raise DataNotFoundError(f"{path} does not exist.")
        try:
            X = 1.0 - np.load(path, allow_pickle=False).astype(np.float32)
        except (ValueError, OSError, EOFError) as err:
            raise ConfigError(f"{path}: not a readable .npy array ({err}).") from None
        if X.ndim != 2 or X.shape[1] != 64 * 64 or np.isnan(X).any():
            raise ConfigError(f"{path}: expected finite (N, 4096) images, got {X.shape}.")
        super().__init__(X=X, view_converter=DefaultViewConverter((64, 64, 1)))


__all__ = ["Wiskott"]
