"""CIFAR-10 from the official python batch files, read without running pickled code.

Files: ``${PYLEARN2_DATA_PATH}/cifar10/cifar-10-batches-py/{data_batch_1..5, test_batch}``
(unpack ``cifar-10-python.tar.gz`` from https://www.cs.toronto.edu/~kriz/cifar.html into
``${PYLEARN2_DATA_PATH}/cifar10/``). X is float32 in [0, 255] (stored c01, topological
shape (32, 32, 3)) unless ``center`` (subtract 127.5), ``rescale`` (divide by 127.5),
``gcn`` (global contrast normalisation with that scale) or ``toronto_prepro`` (divide by
255 and subtract the training mean). The files are read by a data-only unpickler
(:mod:`pylearn2.utils.safe_unpickle`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from pylearn2.datasets.dense_design_matrix import (
    DefaultViewConverter,
    DenseDesignMatrix,
    resolve_range,
)
from pylearn2.expr.preprocessing import global_contrast_normalize
from pylearn2.utils.exc import ConfigError, DataNotFoundError, ShapeError
from pylearn2.utils.safe_unpickle import load_plain_pickle
from pylearn2.utils.string_utils import first_data_path

IMAGE_SHAPE = (32, 32, 3)


def data_root() -> str:
    """The first folder of ``PYLEARN2_DATA_PATH``."""
    return first_data_path("CIFAR-10 then lives in $PYLEARN2_DATA_PATH/cifar10/"
                           "cifar-10-batches-py/.")


def read_batch(path: str, label_key: str = "labels", how_to_get: str = "") -> dict[str, Any]:
    """One CIFAR python batch file as a dict with str keys; ``data`` is a uint8 (N, 3072)
    array and ``label_key`` an int64 vector."""
    if not os.path.exists(path):
        raise DataNotFoundError(f"{path} not found. {how_to_get}".rstrip())
    batch = load_plain_pickle(path)
    if not isinstance(batch, dict):
        raise ShapeError(f"{path}: expected a dict of arrays, got {type(batch).__name__}; not a "
                         "CIFAR batch file.")
    batch = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    if "data" not in batch or label_key not in batch:
        raise ShapeError(f"{path}: missing 'data' or '{label_key}' entries; not a CIFAR batch "
                         "file.")
    data = np.asarray(batch["data"])
    if data.ndim != 2 or data.shape[1] != int(np.prod(IMAGE_SHAPE)):
        raise ShapeError(f"{path}: data has shape {data.shape}, expected (N, 3072).")
    labels = np.asarray(batch[label_key], dtype=np.int64).reshape(-1)
    if len(labels) != len(data):
        raise ShapeError(f"{path}: {len(data)} images but {len(labels)} labels.")
    batch["data"], batch[label_key] = data, labels
    return batch


class CIFARBase(DenseDesignMatrix):
    """Shared loading and preprocessing of CIFAR-10 and CIFAR-100."""

    n_classes = 10

    def _build(self, X: np.ndarray, y: np.ndarray, which_set: str, start: int | None,
               stop: int | None, axes: Sequence[Any], center: bool, rescale: bool,
               gcn: float | None, toronto_prepro: bool, train_mean: Callable[[], np.ndarray],
               preprocessor: Any, fit_preprocessor: bool | None) -> None:
        if toronto_prepro and (center or rescale or gcn is not None):
            raise ConfigError(f"{type(self).__name__}: toronto_prepro already scales and "
                              "centres the data; do not combine it with center, rescale or gcn.")
        start, stop = resolve_range(f"{type(self).__name__} {which_set!r}", len(y), start, stop)
        self._range = slice(start, stop)
        X = X[start:stop].astype(np.float32)
        if toronto_prepro:
            X = (X / 255.0 - train_mean() / 255.0).astype(np.float32)
        if center:
            X -= 127.5
        if rescale:
            X /= 127.5
        if gcn is not None:  # in chunks: the float64 working copy of 50000 images is 1.2 GB
            X = np.concatenate([global_contrast_normalize(X[i:i + 5000], scale=float(gcn))
                                .astype(np.float32) for i in range(0, len(X), 5000)])
        self.which_set, self.center, self.rescale = which_set, center, rescale
        self.gcn, self.toronto_prepro = gcn, toronto_prepro
        if fit_preprocessor is None:  # statistics come from the training set only
            fit_preprocessor = which_set == "train"
        super().__init__(X=X, y=y[start:stop, None], y_labels=self.n_classes, axes=axes,
                         view_converter=DefaultViewConverter(IMAGE_SHAPE, axes),
                         preprocessor=preprocessor, fit_preprocessor=fit_preprocessor)

    def adjust_for_viewer(self, X: np.ndarray) -> np.ndarray:
        """Map the data into [-1, 1] for display, whatever preprocessing was used."""
        if self.gcn is not None or self.toronto_prepro:
            peak = np.abs(X).max()
            return X / peak if peak > 0 else X
        if self.rescale:
            return X if self.center else X - 1.0
        if self.center:
            return X / 127.5
        return X / 127.5 - 1.0


class CIFAR10(CIFARBase):
    """CIFAR-10 'train' (50000 images) or 'test' (10000); ``y`` holds labels 0..9.

    ``fit_preprocessor`` defaults to True for 'train' and False for 'test', so a preprocessor
    fitted on the training set is applied unchanged to the test set. ``download`` fetches
    the official archive when the files are absent (``base_url``: a mirror).
    """

    label_names = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck")
    HOW_TO_GET = ("Download cifar-10-python.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html"
                  " and unpack it into $PYLEARN2_DATA_PATH/cifar10/ (it creates "
                  "cifar-10-batches-py/).")

    def __init__(self, which_set: str, center: bool = False, rescale: bool = False,
                 gcn: float | None = None, start: int | None = None, stop: int | None = None,
                 axes: Sequence[Any] = ("b", 0, 1, "c"), toronto_prepro: bool = False,
                 preprocessor: Any = None, fit_preprocessor: bool | None = None,
                 download: bool = False, base_url: str | None = None) -> None:
        if which_set not in ("train", "test"):
            raise ConfigError(f"CIFAR10 which_set must be 'train' or 'test', got {which_set!r} "
                              "(for a validation set use start/stop on 'train').")
        if download:  # the official archive, MD5-checked (see datasets.official_downloads)
            from pylearn2.datasets.official_downloads import download_cifar10

            download_cifar10(base_url)
        folder = os.path.join(data_root(), "cifar10", "cifar-10-batches-py")
        train_names = [f"data_batch_{i}" for i in range(1, 6)]
        X, y = self._read(folder, train_names if which_set == "train" else ["test_batch"])

        def train_mean() -> np.ndarray:
            train_X = X if which_set == "train" else self._read(folder, train_names)[0]
            return train_X.astype(np.float64).mean(0)

        self._build(X, y, which_set, start, stop, axes, center, rescale, gcn, toronto_prepro,
                    train_mean, preprocessor, fit_preprocessor)

    @classmethod
    def _read(cls, folder: str, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
        parts = [read_batch(os.path.join(folder, name), how_to_get=cls.HOW_TO_GET)
                 for name in names]
        return (np.concatenate([p["data"] for p in parts]),
                np.concatenate([p["labels"] for p in parts]))

    def get_test_set(self) -> CIFAR10:
        """The test set with the same options (a preprocessor is applied, not refitted)."""
        return CIFAR10("test", center=self.center, rescale=self.rescale, gcn=self.gcn,
                       axes=self.axes, toronto_prepro=self.toronto_prepro,
                       preprocessor=self.preprocessor, fit_preprocessor=False)
