"""The Toronto Face Dataset: 48x48 (or 96x96) grey faces, seven expression labels on
part of them, five official folds.

``${PYLEARN2_DATA_PATH}/faces/TFD/TFD_48x48.mat`` holds ``images`` (N, 48, 48) uint8,
``folds`` (N, 5) with 0 unlabelled, 1 train, 2 valid, 3 test in each fold,
``labs_ex`` (N, 1) expressions 1..7 and ``labs_id`` (N, 1) identities.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from pylearn2.datasets.dense_design_matrix import DefaultViewConverter, DenseDesignMatrix
from pylearn2.utils.exc import ConfigError, DataNotFoundError
from pylearn2.utils.string_utils import preprocess


class TFD(DenseDesignMatrix):
    """The Toronto Face Dataset (see the module docstring).

    Parameters
    ----------
    which_set : 'unlabeled', 'train', 'valid', 'test' or 'full_train' (train + valid).
    fold : 0..4.
    image_size : 48 or 96.
    example_range : (start, stop) within the set.
    center : subtract 127.5; scale : divide by 255 (not both).
    shuffle, rng, seed : permute the examples.
    one_hot : expressions as 7 one-hot columns (else integers 0..6).
    preprocessor : applied after loading.
    axes : axes of the topological view.
    """

    mapper = {"unlabeled": 0, "train": 1, "valid": 2, "test": 3, "full_train": 4}

    def __init__(self, which_set: str, fold: int = 0, image_size: int = 48,
                 example_range: Any = None, center: bool = False, scale: bool = False,
                 shuffle: bool = False, one_hot: bool = False, rng: Any = None,
                 seed: int = 132987, preprocessor: Any = None,
                 axes: Any = ("b", 0, 1, "c")) -> None:
        if which_set not in self.mapper:
            raise ConfigError(f"TFD which_set must be one of {list(self.mapper)}, got "
                              f"{which_set!r}.")
        if not 0 <= int(fold) < 5:
            raise ConfigError(f"TFD fold must be 0..4, got {fold}.")
        if image_size not in (48, 96):
            raise ConfigError(f"TFD image_size must be 48 or 96, got {image_size}.")
        if center and scale:
            raise ConfigError("TFD: give center or scale, not both.")
        path = preprocess(f"${{PYLEARN2_DATA_PATH}}/faces/TFD/TFD_{image_size}x{image_size}.mat")
        data = self._load(path)
        folds = data["folds"][:, fold]
        index = np.isin(folds, (1, 2)) if which_set == "full_train" else folds == self.mapper[which_set]
        if not index.any():
            raise ConfigError(f"{path}: fold {fold} has no {which_set!r} examples.")
        window = slice(*example_range) if example_range else slice(None)
        X = data["images"][index].astype(np.float32)[window].reshape(-1, image_size ** 2)
        if center:
            X -= 127.5
        if scale:
            X /= 255.0
        order = None
        if shuffle:
            rng = rng if rng is not None else np.random.RandomState(seed)
            order = rng.permutation(len(X))
            X = X[order]
        y, self.y_identity = None, None
        if which_set != "unlabeled":
            y = data["labs_ex"][index].reshape(-1)[window].astype(np.int64) - 1
            ident = data["labs_id"][index].reshape(-1)[window]
            if order is not None:
                y, ident = y[order], ident[order]
            self.y_identity = ident
            y = np.eye(7, dtype=np.float32)[y] if one_hot else y[:, None]
        self.which_set, self.fold, self.one_hot = which_set, fold, one_hot
        super().__init__(X=X, y=y, view_converter=DefaultViewConverter((image_size, image_size, 1), axes),
                         axes=axes, y_labels=None if (one_hot or y is None) else 7,
                         preprocessor=preprocessor)

    @staticmethod
    def _load(path: str) -> dict[str, np.ndarray]:
        import scipy.io

        if not os.path.isfile(path):
            raise DataNotFoundError(f"{path} does not exist.")
        try:
            data = scipy.io.loadmat(path)
        except Exception as err:
            raise ConfigError(f"{path}: not a readable .mat file ({type(err).__name__}: "
                              f"{err}); it may be truncated.") from None
        missing = [k for k in ("images", "folds", "labs_ex", "labs_id") if k not in data]
        if missing:
            raise ConfigError(f"{path}: a TFD file holds images, folds, labs_ex, labs_id; "
                              f"missing {missing}.")
        return data


__all__ = ["TFD"]
