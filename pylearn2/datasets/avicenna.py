"""Avicenna (UTLC): Arabic manuscript features, read with :mod:`pylearn2.datasets.utlc`."""

from __future__ import annotations

import os

import numpy as np

from pylearn2.datasets import utlc
from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.datasets.exc import NotInstalledError
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.string_utils import preprocess


class Avicenna(DenseDesignMatrix):
    """One split of Avicenna; ``standardize`` uses the mean and standard deviation (at
    least 1e-3) of all three splits together."""

    def __init__(self, which_set: str, standardize: bool) -> None:
        if which_set not in ("train", "valid", "test"):
            raise ConfigError(f"Avicenna which_set must be 'train', 'valid' or 'test', got "
                              f"{which_set!r}.")
        folder = os.path.join(preprocess("${PYLEARN2_DATA_PATH}"), "UTLC", "filetensor")
        if not os.path.exists(os.path.join(folder, "avicenna_train.ft")) and \
                not os.path.exists(os.path.join(folder, "avicenna_train.ft.gz")):
            raise NotInstalledError(f"Avicenna is not installed under {folder}.")
        train, valid, test = utlc.load_ndarray_dataset("avicenna")
        X = {"train": train, "valid": valid, "test": test}[which_set].astype(np.float64)
        if standardize:
            union = np.concatenate([train, valid, test], axis=0)
            X = (X - union.mean(axis=0)) / np.maximum(union.std(axis=0), 1e-3)
        self.which_set, self.standardize = which_set, standardize
        super().__init__(X=X.astype(np.float32))


__all__ = ["Avicenna"]
