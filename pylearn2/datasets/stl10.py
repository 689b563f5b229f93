"""STL-10 (Coates, Lee and Ng, 2011): 96x96 colour images, 10 classes; 5,000 labelled
training images in 10 predefined folds of 1,000, 8,000 test images, 100,000 unlabelled.

Read from ``${PYLEARN2_DATA_PATH}/stl10/stl10_matlab/{train,test,unlabeled}.mat`` (the
MATLAB release; ``unlabeled.mat`` is HDF5) or, when those are absent, from the binary
release ``stl10/stl10_binary/{train,test,unlabeled}_X.bin`` (uint8, each image 3 x 96 x
96 stored channel by channel in column-major order), ``{train,test}_y.bin`` (uint8
labels 1..10) and ``fold_indices.txt`` (one line of 0-based indices per fold).
Labels keep the files' values 1..10.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from pylearn2.datasets.dense_design_matrix import DefaultViewConverter, DenseDesignMatrix
from pylearn2.utils.exc import ConfigError, DataNotFoundError
from pylearn2.utils.string_utils import preprocess

IMAGE = 96 * 96 * 3
SIZES = {"train": 5000, "test": 8000, "unlabeled": 100000}


def column_major_to_b01c(X: np.ndarray) -> np.ndarray:
    """(N, 27648) rows in MATLAB order (row index fastest, then column, then channel)
    -> (N, 96, 96, 3) images."""
    return np.asarray(X).reshape(-1, 3, 96, 96).transpose(0, 3, 2, 1)


def read_bin(path: str, count: int | None = None, row: int = IMAGE) -> np.ndarray:
    if not os.path.isfile(path):
        raise DataNotFoundError(f"{path} does not exist; download STL-10 "
                                "(https://cs.stanford.edu/~acoates/stl10/).")
    data = np.fromfile(path, dtype=np.uint8)
    if data.size % row:
        raise ConfigError(f"{path}: {data.size} bytes is not a whole number of {row}-byte "
                          "records; the file is truncated or damaged.")
    return data.reshape(-1, row) if row > 1 else data


def _load_mat(path: str) -> dict[str, Any]:
    import scipy.io

    try:
        return scipy.io.loadmat(path)
    except NotImplementedError:  # MATLAB 7.3 (HDF5), as unlabeled.mat is
        from pylearn2.datasets.hdf5_arrays import ensure_tables

        with ensure_tables().File(path, "r") as f:
            return {"X": np.asarray(f["X"]).T}
    except Exception as err:
        raise ConfigError(f"{path}: not a readable .mat file ({type(err).__name__}: {err}).") from None


class STL10(DenseDesignMatrix):
    """STL-10 (see the module docstring).

    Parameters
    ----------
    which_set : 'train', 'test' or 'unlabeled'.
    center : subtract 127.5.
    example_range : (start, stop) of the examples to keep.
    download : fetch the official binary release (MD5-checked) when neither release is
        present (``base_url``: a mirror).
    """

    def __init__(self, which_set: str, center: bool = False, example_range: Any = None,
                 download: bool = False, base_url: str | None = None) -> None:
        if which_set not in SIZES:
            raise ConfigError(f"STL10 which_set must be 'train', 'test' or 'unlabeled', got "
                              f"{which_set!r}.")
        root = preprocess("${PYLEARN2_DATA_PATH}/stl10")
        mat = os.path.join(root, "stl10_matlab", f"{which_set}.mat")
        if download and not os.path.isfile(mat):
            from pylearn2.datasets.official_downloads import download_stl10

            download_stl10(base_url)
        self.fold_indices = None
        if os.path.isfile(mat):
            data = _load_mat(mat)
            X = data["X"]
            y = data["y"].reshape(-1) if "y" in data else None
            if "fold_indices" in data:
                self.fold_indices = np.stack([np.asarray(f).reshape(-1) for f in
                                              data["fold_indices"].reshape(-1)]).astype(np.int64)
        else:
            binary = os.path.join(root, "stl10_binary")
            X = read_bin(os.path.join(binary, f"{which_set}_X.bin"))
            y = None
            if which_set != "unlabeled":
                y = read_bin(os.path.join(binary, f"{which_set}_y.bin"), row=1)
                if y.shape[0] != X.shape[0]:
                    raise ConfigError(f"{binary}: {X.shape[0]} images but {y.shape[0]} labels.")
            folds = os.path.join(binary, "fold_indices.txt")
            if which_set == "train" and os.path.isfile(folds):
                with open(folds) as f:
                    self.fold_indices = np.array([[int(v) + 1 for v in line.split()]
                                                  for line in f if line.strip()])
        if X.ndim != 2 or X.shape[1] != IMAGE:
            raise ConfigError(f"STL10 {which_set}: images must be {IMAGE} bytes each, got "
                              f"{X.shape}.")
        if example_range is not None:
            X = X[example_range[0]:example_range[1]]
            y = None if y is None else y[example_range[0]:example_range[1]]
        topo = column_major_to_b01c(X).astype(np.float32)
        if center:
            topo -= 127.5
        self.which_set = which_set
        super().__init__(topo_view=topo, y=None if y is None else y.astype(np.int64)[:, None],
                         axes=("b", 0, 1, "c"))
        self.view_converter = DefaultViewConverter((96, 96, 3))


def restrict(dataset: STL10, fold: int) -> STL10:
    """Keep only the examples of training fold ``fold`` (0..9); fold indices are 1-based."""
    if dataset.fold_indices is None:
        raise ConfigError("restrict needs the STL-10 training set (it has the fold indices).")
    idxs = dataset.fold_indices[fold] - 1
    dataset.X = dataset.X[idxs].copy()
    dataset.y = dataset.y[idxs].copy()
    return dataset


__all__ = ["STL10", "restrict"]
