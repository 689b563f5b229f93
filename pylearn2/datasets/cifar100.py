"""CIFAR-100 (fine labels) from ``${PYLEARN2_DATA_PATH}/cifar100/cifar-100-python/{train,test}``.

Unpack ``cifar-100-python.tar.gz`` from https://www.cs.toronto.edu/~kriz/cifar.html into
``${PYLEARN2_DATA_PATH}/cifar100/``. Images and options are as for CIFAR-10; ``y`` holds
the 100 fine labels and ``y_coarse`` the 20 superclass labels (when the file has them).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from pylearn2.datasets.cifar10 import CIFARBase, data_root, read_batch
from pylearn2.utils.exc import ConfigError


class CIFAR100(CIFARBase):
    """CIFAR-100 'train' (50000 images) or 'test' (10000) with its 100 fine labels;
    ``download`` fetches the official archive when absent (``base_url``: a mirror)."""

    n_classes = 100
    HOW_TO_GET = ("Download cifar-100-python.tar.gz from "
                  "https://www.cs.toronto.edu/~kriz/cifar.html and unpack it into "
                  "$PYLEARN2_DATA_PATH/cifar100/ (it creates cifar-100-python/).")

    def __init__(self, which_set: str, center: bool = False, gcn: float | None = None,
                 toronto_prepro: bool = False, axes: Sequence[Any] = ("b", 0, 1, "c"),
                 start: int | None = None, stop: int | None = None, rescale: bool = False,
                 preprocessor: Any = None, fit_preprocessor: bool | None = None,
                 download: bool = False, base_url: str | None = None) -> None:
        if which_set not in ("train", "test"):
            raise ConfigError(f"CIFAR100 which_set must be 'train' or 'test', got {which_set!r} "
                              "(for a validation set use start/stop on 'train').")
        if download:  # the official archive, MD5-checked (see datasets.official_downloads)
            from pylearn2.datasets.official_downloads import download_cifar100

            download_cifar100(base_url)
        folder = os.path.join(data_root(), "cifar100", "cifar-100-python")

        def read(name: str) -> dict[str, Any]:
            return read_batch(os.path.join(folder, name), label_key="fine_labels",
                              how_to_get=self.HOW_TO_GET)

        batch = read(which_set)

        def train_mean() -> np.ndarray:
            train_X = batch["data"] if which_set == "train" else read("train")["data"]
            return train_X.astype(np.float64).mean(0)

        self._build(batch["data"], batch["fine_labels"], which_set, start, stop, axes, center,
                    rescale, gcn, toronto_prepro, train_mean, preprocessor, fit_preprocessor)
        coarse = batch.get("coarse_labels")
        self.y_coarse = None if coarse is None else \
            np.asarray(coarse, dtype=np.int64).reshape(-1, 1)[self._range]

    def get_test_set(self) -> CIFAR100:
        """The test set with the same options (a preprocessor is applied, not refitted)."""
        return CIFAR100("test", center=self.center, gcn=self.gcn, axes=self.axes,
                        toronto_prepro=self.toronto_prepro, rescale=self.rescale,
                        preprocessor=self.preprocessor, fit_preprocessor=False)
