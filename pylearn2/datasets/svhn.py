"""The Street View House Numbers (SVHN) digits, format 2: 32x32 colour crops.

The distributed files are MATLAB ``{train,test,extra}_32x32.mat`` with ``X`` of shape
(32, 32, 3, N) uint8 and ``y`` of shape (N, 1) holding labels 1..10 (10 is the digit 0).

* :class:`SVHN` reads the HDF5 files ``<path>/h5/<which_set>_32x32.h5`` (``/Data/X``:
  (N, 3072) float32 rows in channel, row, column order; ``/Data/y``: (N, 10) one-hot),
  made from the .mat files by :meth:`SVHN.make_data` (the ``splitted_train``/``valid``
  split keeps 400 examples of each class of ``train`` and of ``extra`` for validation)
  or by the maxout paper's preprocessing.
* :class:`SVHN_On_Memory` reads the .mat files directly.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from pylearn2.datasets.dense_design_matrix import (
    DefaultViewConverter,
    DenseDesignMatrix,
    DenseDesignMatrixPyTables,
)
from pylearn2.utils.exc import ConfigError, DataNotFoundError
from pylearn2.utils.string_utils import preprocess

SETS = ("train", "test", "extra", "train_all", "splitted_train", "valid")
DEFAULT_PATH = "${PYLEARN2_DATA_PATH}/SVHN/format2/"
# the distributed .mat files each set is made from
MAT_SOURCES = {"train": ("train",), "test": ("test",), "extra": ("extra",),
               "train_all": ("extra", "train"), "splitted_train": ("train", "extra"),
               "valid": ("train", "extra")}


def download_mat(folder: str, names: tuple[str, ...], base_url: str | None) -> None:
    """Fetch the ``<name>_32x32.mat`` files of ``names`` missing from ``folder``."""
    from pylearn2.datasets.official_downloads import download_svhn

    download_svhn(folder, [n for n in names
                           if not os.path.isfile(os.path.join(folder, f"{n}_32x32.mat"))],
                  base_url)


def load_mat(path: str) -> dict[str, np.ndarray]:
    """``X`` and ``y`` of an SVHN .mat file (MATLAB v5 via scipy, v7.3 via h5py)."""
    if not os.path.isfile(path):
        raise DataNotFoundError(f"{path} does not exist; download SVHN format 2 "
                                "(http://ufldl.stanford.edu/housenumbers/) into that folder.")
    with open(path, "rb") as f:
        head = f.read(128)
    if head[:8] == b"\x89HDF\r\n\x1a\n" or b"MATLAB 7.3" in head:
        from pylearn2.datasets.hdf5_arrays import ensure_tables

        h5py = ensure_tables()
        try:
            with h5py.File(path, "r") as f:
                # v7.3 files store MATLAB arrays transposed (column-major order).
                X = np.asarray(f["X"]).transpose(3, 2, 1, 0)
                y = np.asarray(f["y"]).T
        except (OSError, KeyError) as err:
            raise ConfigError(f"{path}: not a readable SVHN MATLAB 7.3 file ({err}).") from None
    else:
        import scipy.io

        try:
            data = scipy.io.loadmat(path)
        except Exception as err:  # scipy raises several types for damaged files
            raise ConfigError(f"{path}: not a readable SVHN .mat file ({type(err).__name__}: "
                              f"{err}); it may be truncated: download it again.") from None
        if "X" not in data or "y" not in data:
            raise ConfigError(f"{path}: an SVHN .mat file holds X and y; found "
                              f"{sorted(k for k in data if not k.startswith('__'))}.")
        X, y = data["X"], data["y"]
    if X.ndim != 4 or X.shape[:3] != (32, 32, 3) or y.reshape(-1).shape[0] != X.shape[3]:
        raise ConfigError(f"{path}: X must be (32, 32, 3, N) with N labels; got X {X.shape}, "
                          f"y {y.shape}.")
    labels = y.reshape(-1)
    if labels.size and (labels.min() < 1 or labels.max() > 10):
        raise ConfigError(f"{path}: SVHN labels are 1..10; found {labels.min()}..{labels.max()}.")
    return {"X": X, "y": y.reshape(-1, 1)}


def design_matrix_view(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, 3072) float32 rows in channel, row, column order and (N, 10) one-hot labels
    (label 10, the digit 0, in column 9)."""
    rows = np.ascontiguousarray(X.transpose(3, 2, 0, 1)).reshape(X.shape[3], -1).astype(np.float32)
    one_hot = np.zeros((y.shape[0], 10), dtype=np.float32)
    one_hot[np.arange(y.shape[0]), y.reshape(-1).astype(int) - 1] = 1.0
    return rows, one_hot


def _balanced_pick(labels: np.ndarray, per_class: int, rng: np.random.RandomState) -> np.ndarray:
    picked = []
    for c in range(1, 11):
        index = np.flatnonzero(labels == c)
        rng.shuffle(index)
        picked.append(index[:per_class])
    return np.sort(np.concatenate(picked))


class SVHN(DenseDesignMatrixPyTables):
    """SVHN from the library's HDF5 files (see the module docstring).

    Parameters
    ----------
    which_set : 'train', 'test', 'extra', 'train_all', 'splitted_train' or 'valid'.
    path : folder holding ``h5/`` (and the .mat files); default
        ``${PYLEARN2_DATA_PATH}/SVHN/format2/``. A missing h5 file is made from the .mat files.
    center : subtract 127.5; scale : divide by 255 (both: map to [-1, 1]).
    start, stop : keep only these rows.
    axes : axes of the topological view.
    preprocessor : applied after loading.
    download : fetch the official .mat files this set is made from when its h5 file and
        they are absent (MD5-checked; ``base_url``: a mirror).
    """

    mapper = {name: i for i, name in enumerate(SETS)}

    def __init__(self, which_set: str, path: str | None = None, center: bool = False,
                 scale: bool = False, start: int | None = None, stop: int | None = None,
                 axes: Any = ("b", 0, 1, "c"), preprocessor: Any = None,
                 download: bool = False, base_url: str | None = None) -> None:
        if which_set not in SETS:
            raise ConfigError(f"SVHN which_set must be one of {list(SETS)}, got {which_set!r}.")
        self.which_set, self.path = which_set, path
        folder = preprocess(path if path is not None else DEFAULT_PATH)
        file_name = os.path.join(folder, "h5", f"{which_set}_32x32.h5")
        if not os.path.isfile(file_name):
            if download:
                download_mat(folder, MAT_SOURCES[which_set], base_url)
            self.make_data(which_set, folder)
        super().__init__(path=file_name, start=start, stop=stop,
                         view_converter=DefaultViewConverter((32, 32, 3), axes), axes=axes)
        if center and scale:
            self.X = (self.X - 127.5) / 127.5
        elif center:
            self.X = self.X - 127.5
        elif scale:
            self.X = self.X / 255.0
        self.center, self.scale, self.start, self.stop = center, scale, start, stop
        self.preprocessor = preprocessor
        if preprocessor is not None:
            preprocessor.apply(self, can_fit=False)

    @staticmethod
    def make_data(which_set: str, path: str, shuffle: bool = True) -> str:
        """Write ``<path>/h5/<which_set>_32x32.h5`` from the .mat files in ``path``."""
        rng = np.random.RandomState(322)

        def load(name: str) -> dict[str, np.ndarray]:
            return load_mat(os.path.join(path, f"{name}_32x32.mat"))

        if which_set in ("train", "test", "extra"):
            d = load(which_set)
            X, y = design_matrix_view(d["X"], d["y"])
        elif which_set == "train_all":
            extra, train = load("extra"), load("train")
            X, y = design_matrix_view(np.concatenate([extra["X"], train["X"]], axis=3),
                                      np.concatenate([extra["y"], train["y"]]))
        else:
            parts = {"splitted_train": ([], []), "valid": ([], [])}
            for name in ("train", "extra"):
                d = load(name)
                valid = _balanced_pick(d["y"].reshape(-1), 400, rng)
                train = np.setdiff1d(np.arange(d["X"].shape[3]), valid)
                for key, index in (("valid", valid), ("splitted_train", train)):
                    parts[key][0].append(d["X"][..., index])
                    parts[key][1].append(d["y"][index])
            xs, ys = parts[which_set]
            X, y = design_matrix_view(np.concatenate(xs, axis=3), np.concatenate(ys))
        if shuffle:
            order = rng.permutation(X.shape[0])
            X, y = X[order], y[order]
        out = os.path.join(path, "h5", f"{which_set}_32x32.h5")
        tmp = out + ".part"
        DenseDesignMatrixPyTables.init_hdf5(tmp, (X.shape, y.shape))
        DenseDesignMatrixPyTables.fill_hdf5(tmp, (X, y))
        os.replace(tmp, out)
        return out


class SVHN_On_Memory(DenseDesignMatrix):  # noqa: N801 (the original's name)
    """SVHN read from the .mat files into memory; 'valid' is 600 examples of each class
    of ``extra`` (seeded). With ``one_hot`` the labels are 10 one-hot columns (label 10,
    the digit 0, in column 9); otherwise integer digits 0..9.

    Parameters are SVHN's, plus ``one_hot``.
    """

    def __init__(self, which_set: str, path: str | None = None, center: bool = False,
                 scale: bool = False, start: int | None = None, stop: int | None = None,
                 axes: Any = ("b", 0, 1, "c"), preprocessor: Any = None,
                 one_hot: bool = False, download: bool = False,
                 base_url: str | None = None) -> None:
        if which_set not in ("train", "test", "extra", "valid"):
            raise ConfigError(f"SVHN_On_Memory which_set must be 'train', 'test', 'extra' or "
                              f"'valid', got {which_set!r}.")
        folder = preprocess(path if path is not None else DEFAULT_PATH)
        if download:
            download_mat(folder, ("extra",) if which_set == "valid" else (which_set,), base_url)
        if which_set == "valid":
            d = load_mat(os.path.join(folder, "extra_32x32.mat"))
            index = _balanced_pick(d["y"].reshape(-1), 600, np.random.RandomState(322))
            d = {"X": d["X"][..., index], "y": d["y"][index]}
        else:
            d = load_mat(os.path.join(folder, f"{which_set}_32x32.mat"))
        X, y = design_matrix_view(d["X"], d["y"])
        if not one_hot:
            y = (d["y"].reshape(-1, 1) % 10).astype(np.int64)  # label 10 is the digit 0
        X, y = X[start:stop], y[start:stop]
        if center and scale:
            X = (X - 127.5) / 127.5
        elif center:
            X = X - 127.5
        elif scale:
            X = X / 255.0
        self.which_set = which_set
        super().__init__(X=X, y=y, view_converter=DefaultViewConverter((32, 32, 3), axes),
                         axes=axes, y_labels=None if one_hot else 10,
                         preprocessor=preprocessor)


__all__ = ["MAT_SOURCES", "SVHN", "SVHN_On_Memory", "design_matrix_view", "download_mat", "load_mat"]
