"""CIFAR-100 (fine labels) from ``${PYLEARN2_DATA_PATH}/cifar100/cifar-100-python/{train,test}``."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from pylearn2.datasets.cifar10 import _CIFARBase, data_root, read_batch
from pylearn2.utils.exc import ConfigError


class CIFAR100(_CIFARBase):
    """CIFAR-100 'train' (50000) or 'test' (10000) with its 100 fine labels."""

    n_classes = 100

    def __init__(self, which_set: str, center: bool = False, gcn: float | None = None,
                 toronto_prepro: bool = False, axes: Sequence[Any] = ("b", 0, 1, "c"),
                 start: int | None = None, stop: int | None = None, rescale: bool = False,
                 preprocessor: Any = None) -> None:
        if which_set not in ("train", "test"):
            raise ConfigError(f"CIFAR100 which_set must be 'train' or 'test', got {which_set!r}.")
        folder = os.path.join(data_root(), "cifar100", "cifar-100-python")
        X, y = read_batch(os.path.join(folder, which_set), label_key=b"fine_labels")

        def train_mean() -> np.ndarray:
            train_X = X if which_set == "train" else read_batch(
                os.path.join(folder, "train"), label_key=b"fine_labels")[0]
            return train_X.astype(np.float64).mean(0)

        self._build(X, y, which_set, start, stop, axes, center, rescale, gcn, toronto_prepro,
                    train_mean, preprocessor)

    def get_test_set(self) -> CIFAR100:
        return CIFAR100("test", center=self.center, gcn=self.gcn, axes=self.axes,
                        toronto_prepro=self.toronto_prepro, rescale=self.rescale)
