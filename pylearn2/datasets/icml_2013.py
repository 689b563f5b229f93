"""The ICML 2013 representation-learning workshop contests (Kaggle): facial expression
recognition ("emotions") and the black box learning challenge.

Both come as CSV files with a header line. Emotions: ``train.csv`` rows
``label,"p1 p2 ... p2304"`` (label 0..6, a 48x48 grey image as space-separated pixels),
``test.csv`` rows with the pixels only. Black box: ``train.csv`` rows
``label,f1,...,f1875`` (labels 1..9), ``test.csv`` the features only, and
``extra_unsupervised_data.npy`` (features x examples). A CSV is converted once to
``<name>.X.npy`` / ``<name>.Y.npy`` beside it (written atomically) and read from there.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from pylearn2.datasets.dense_design_matrix import DefaultViewConverter, DenseDesignMatrix
from pylearn2.utils.exc import ConfigError, DataNotFoundError
from pylearn2.utils.string_utils import preprocess


def _save_atomic(path: str, array: np.ndarray) -> None:
    from pylearn2.utils.serial.write_guard import check_yaml_write

    check_yaml_write(path, "the ICML 2013 contest CSV cache")
    tmp = path + ".part"
    with open(tmp, "wb") as f:
        np.save(f, array)
    os.replace(tmp, path)


def load_contest_csv(path: str, expect_labels: bool, n_classes: int, first_label: int,
                     split_row: Callable[[list[str], bool], tuple[Any, list[str]]]
                     ) -> tuple[np.ndarray, np.ndarray | None]:
    """(X, one-hot y or None) from a contest CSV (or its cached .npy conversion)."""
    if not path.endswith(".csv"):
        raise ConfigError(f"{path}: expected a .csv file.")
    X_path, Y_path = path[:-4] + ".X.npy", path[:-4] + ".Y.npy"
    if os.path.exists(X_path) and (not expect_labels or os.path.exists(Y_path)):
        X = np.load(X_path, allow_pickle=False)
        return X, (np.load(Y_path, allow_pickle=False) if expect_labels else None)
    if not os.path.isfile(path):
        raise DataNotFoundError(f"{path} does not exist; download the contest's CSV files.")
    X_rows, labels = [], []
    with open(path, newline="") as f:
        reader = csv.reader(f)
        next(reader, None)  # header
        for number, row in enumerate(reader, 2):
            try:
                label, values = split_row(row, expect_labels)
                X_rows.append([float(v) for v in values])
            except (ValueError, IndexError) as err:
                raise ConfigError(f"{path}:{number}: cannot read this row ({err}).") from None
            if expect_labels:
                labels.append(int(float(label)) - first_label)
    widths = {len(r) for r in X_rows}
    if len(widths) > 1:
        raise ConfigError(f"{path}: rows have different numbers of values {sorted(widths)}; "
                          "the file is damaged or truncated.")
    X = np.asarray(X_rows, dtype=np.float32)
    y = None
    if expect_labels:
        labels_arr = np.asarray(labels)
        if labels_arr.size and (labels_arr.min() < 0 or labels_arr.max() >= n_classes):
            raise ConfigError(f"{path}: labels must be {first_label}..{first_label + n_classes - 1}.")
        y = np.eye(n_classes, dtype=np.float32)[labels_arr]
        _save_atomic(Y_path, y)
    _save_atomic(X_path, X)
    return X, y


def _emotions_row(row: list[str], labelled: bool) -> tuple[Any, list[str]]:
    if labelled:
        label, pixels = row
        return label, pixels.split(" ")
    (pixels,) = row
    return None, pixels.split(" ")


def _black_box_row(row: list[str], labelled: bool) -> tuple[Any, list[str]]:
    return (row[0], row[1:]) if labelled else (None, row)


class _ContestDataset(DenseDesignMatrix):
    files = {"train": "train.csv", "public_test": "test.csv"}

    def _slice(self, X: np.ndarray, y: Any, start: int | None, stop: int | None) -> tuple:
        if start is None and stop is None:
            return X, y
        if not (0 <= (start or 0) < (stop if stop is not None else X.shape[0]) <= X.shape[0]):
            raise ConfigError(f"{type(self).__name__}: need 0 <= start < stop <= {X.shape[0]}, "
                              f"got start={start}, stop={stop}.")
        return X[start:stop], None if y is None else y[start:stop]

    def _path(self, base_path: str, which_set: str) -> str:
        if which_set not in self.files:
            raise ConfigError(f"{type(self).__name__}: which_set must be one of "
                              f"{sorted(self.files)}, got {which_set!r}.")
        return preprocess(base_path + "/" + self.files[which_set])

    def adjust_for_viewer(self, X: np.ndarray) -> np.ndarray:
        return (X - 127.5) / 127.5

    def get_test_set(self) -> Any:
        args = dict(self._init_args)
        args.update(which_set="public_test", start=None, stop=None,
                    fit_preprocessor=args.get("fit_test_preprocessor", False))
        return type(self)(**args)


class EmotionsDataset(_ContestDataset):
    """The facial expression contest: 48x48 faces, 7 expressions (one-hot).

    Parameters
    ----------
    which_set : 'train' or 'public_test'.
    base_path : folder with the CSV files (writable: the .npy conversions go there).
    start, stop : keep these rows. axes : axes of the topological view.
    preprocessor, fit_preprocessor : applied after loading.
    fit_test_preprocessor : whether :meth:`get_test_set` fits its preprocessor.
    """

    def __init__(self, which_set: str, base_path: str = "${PYLEARN2_DATA_PATH}/icml_2013_emotions",
                 start: int | None = None, stop: int | None = None, preprocessor: Any = None,
                 fit_preprocessor: bool = False, axes: Any = ("b", 0, 1, "c"),
                 fit_test_preprocessor: bool = False) -> None:
        path = self._path(base_path, which_set)
        X, y = load_contest_csv(path, which_set == "train", 7, 0, _emotions_row)
        if X.shape[1] != 48 * 48:
            raise ConfigError(f"{path}: each face must have 2304 pixels, got {X.shape[1]}.")
        X, y = self._slice(X, y, start, stop)
        super().__init__(X=X, y=y, view_converter=DefaultViewConverter((48, 48, 1), axes),
                         axes=axes, preprocessor=preprocessor, fit_preprocessor=fit_preprocessor)


class BlackBoxDataset(_ContestDataset):
    """The black box learning contest: 1875 anonymous features, 9 classes (one-hot);
    'extra' is the unlabelled ``extra_unsupervised_data.npy``.

    Parameters are EmotionsDataset's (without axes).
    """

    def __init__(self, which_set: str,
                 base_path: str = "${PYLEARN2_DATA_PATH}/icml_2013_black_box",
                 start: int | None = None, stop: int | None = None, preprocessor: Any = None,
                 fit_preprocessor: bool = False, fit_test_preprocessor: bool = False) -> None:
        if which_set == "extra":
            path = preprocess(base_path + "/extra_unsupervised_data.npy")
            if not os.path.isfile(path):
                raise DataNotFoundError(f"{path} does not exist.")
            X, y = np.load(path, allow_pickle=False).T.astype(np.float32), None
        else:
            X, y = load_contest_csv(self._path(base_path, which_set), which_set == "train", 9, 1,
                                    _black_box_row)
        X, y = self._slice(X, y, start, stop)
        super().__init__(X=X, y=y, preprocessor=preprocessor, fit_preprocessor=fit_preprocessor)


__all__ = ["BlackBoxDataset", "EmotionsDataset", "load_contest_csv"]
