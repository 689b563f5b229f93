"""Binarized MNIST (Salakhutdinov and Murray, 2008): fixed binary samples of the MNIST
digits, 50,000 train / 10,000 valid / 10,000 test, no labels.

Files: ``${PYLEARN2_DATA_PATH}/binarized_mnist/binarized_mnist_<which_set>.npy``, each a
(N, 784) array of 0/1 values.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from pylearn2.datasets import cache, control
from pylearn2.datasets.dense_design_matrix import DefaultViewConverter, DenseDesignMatrix
from pylearn2.utils.exc import ConfigError, DataNotFoundError
from pylearn2.utils.string_utils import preprocess

SIZES = {"train": 50000, "valid": 10000, "test": 10000}


def load_binarized(path: str) -> np.ndarray:
    if not os.path.isfile(path):
        raise DataNotFoundError(f"{path} does not exist; make it with the binarized MNIST "
                                "download script (the .amat files converted to .npy).")
    try:
        X = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        raise ConfigError(f"{path}: not a readable .npy array ({err}); it may be truncated: "
                          "make it again.") from None
    if X.ndim != 2 or X.shape[1] != 784:
        raise ConfigError(f"{path}: expected a (N, 784) array, got shape {X.shape}.")
    if X.size and not np.isin(np.unique(X), (0, 1)).all():
        raise ConfigError(f"{path}: binarized MNIST holds only 0 and 1.")
    return X.astype(np.float32)


class BinarizedMNIST(DenseDesignMatrix):
    """Binarized MNIST (see the module docstring).

    Parameters
    ----------
    which_set : 'train', 'valid' or 'test'.
    center : subtract the per-pixel mean.
    shuffle : permute the examples (seeded).
    one_hot, binarize : accepted for compatibility; the set has no labels and is binary.
    start, stop : keep rows start:stop.
    axes : axes of the topological view.
    preprocessor, fit_preprocessor : a preprocessor applied after loading.
    fit_test_preprocessor : whether :meth:`get_test_set` fits its preprocessor.
    download : fetch and convert the set's .amat file when its .npy is absent (no checksum
        is published for it: the format and row count are checked; ``base_url``: a mirror).
    """

    def __init__(self, which_set: str, center: bool = False, shuffle: bool = False,
                 one_hot: Any = None, binarize: bool = False, start: int | None = None,
                 stop: int | None = None, axes: Any = ("b", 0, 1, "c"), preprocessor: Any = None,
                 fit_preprocessor: bool = False, fit_test_preprocessor: bool = False,
                 download: bool = False, base_url: str | None = None) -> None:
        if which_set not in SIZES:
            raise ConfigError(f"BinarizedMNIST which_set must be one of {list(SIZES)}, got "
                              f"{which_set!r}.")
        if download and control.get_load_data():
            from pylearn2.datasets.official_downloads import download_binarized_mnist

            download_binarized_mnist([which_set], base_url)
        if control.get_load_data():
            path = preprocess(f"${{PYLEARN2_DATA_PATH}}/binarized_mnist/binarized_mnist_"
                              f"{which_set}.npy")
            X = load_binarized(cache.datasetCache.cache_file(path))
        else:
            X = np.random.default_rng(0).uniform(size=(SIZES[which_set], 784)).astype(np.float32)
        if center:
            X = X - X.mean(axis=0)
        if shuffle:
            X = X[np.random.default_rng([1, 2, 3]).permutation(X.shape[0])]
        if start is not None or stop is not None:
            if stop is not None and stop > X.shape[0]:
                raise ConfigError(f"BinarizedMNIST: stop={stop} > {X.shape[0]} examples.")
            X = X[start:stop]
        self.which_set = which_set
        self.fit_test_preprocessor = fit_test_preprocessor
        super().__init__(X=X, view_converter=DefaultViewConverter((28, 28, 1), axes), axes=axes,
                         preprocessor=preprocessor, fit_preprocessor=fit_preprocessor)

    def adjust_for_viewer(self, X: np.ndarray) -> np.ndarray:
        return np.clip(X * 2.0 - 1.0, -1.0, 1.0)

    def adjust_to_be_viewed_with(self, X: np.ndarray, other: Any, per_example: bool = False):
        return self.adjust_for_viewer(X)

    def get_test_set(self) -> BinarizedMNIST:
        args = dict(self._init_args)
        args.update(which_set="test", start=None, stop=None,
                    fit_preprocessor=self.fit_test_preprocessor, fit_test_preprocessor=False)
        return BinarizedMNIST(**args)


__all__ = ["BinarizedMNIST"]
