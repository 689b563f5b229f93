"""Index splitters with a validation subset, built on scikit-learn's splitters.

Each class yields ``(train, valid, test)`` index arrays. The test part is the split of
the underlying scikit-learn splitter; the validation part is carved out of that
split's training part by a second splitter of the same kind (the first of its
splits), so a fixed seed fixes all three parts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from sklearn.model_selection import KFold, ShuffleSplit, StratifiedKFold, StratifiedShuffleSplit

from pylearn2.utils.exc import ConfigError


def get_validation_set(train: np.ndarray, train_cv: Iterator[tuple[np.ndarray, np.ndarray]],
                       indices: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Split ``train`` (indices, or a boolean mask when ``indices`` is False) into
    training and validation parts with the first split ``train_cv`` yields; the
    positions that split returns are positions within ``train``."""
    new_train, new_valid = next(iter(train_cv))
    if indices:
        return train[new_train], train[new_valid]
    train = np.array(train, dtype=bool)
    chosen = np.flatnonzero(train)[new_valid]
    valid = np.zeros_like(train)
    valid[chosen] = True
    train[chosen] = False
    return train, valid


def _check_folds(n_folds: int, who: str) -> int:
    if int(n_folds) < 3:
        raise ConfigError(f"{who}: a train/valid/test split needs n_folds >= 3, got {n_folds}.")
    return int(n_folds)


def _as_mask(idx: np.ndarray, n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[idx] = True
    return mask


def shuffle_kwargs(shuffle: bool, random_state: Any) -> dict[str, Any]:
    """scikit-learn refuses a seed without shuffling; a seed then simply has no effect."""
    return {"shuffle": bool(shuffle), "random_state": random_state if shuffle else None}


def valid_fraction(valid_size: float | int | None, test_size: float | int | None,
                   n: int) -> float | int:
    """The validation size as a part of the training part (what the inner splitter gets):
    a fraction of the whole dataset is rescaled to a fraction of what the test split leaves."""
    if valid_size is None:
        valid_size = test_size
    if isinstance(valid_size, float) and valid_size < 1.0:
        n_test = test_size if isinstance(test_size, int) else int(np.ceil(test_size * n))
        return valid_size / (1.0 - n_test / n)
    return valid_size


class _ValidationMixin:
    """Turns a (train, test) splitter into a (train, valid, test) one."""

    indices = True

    def _inner(self, train: np.ndarray, y: np.ndarray | None) -> Any:
        raise NotImplementedError

    def _outer(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        raise NotImplementedError

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        for train, test in self._outer():
            y = None if getattr(self, "y", None) is None else self.y[train]
            positions = np.arange(len(train))
            train, valid = get_validation_set(train, self._inner(positions, y), True)
            if not self.indices:
                yield (_as_mask(train, self.n), _as_mask(valid, self.n), _as_mask(test, self.n))
            else:
                yield train, valid, test

    def __len__(self) -> int:
        return self.n_splits


class ValidationKFold(_ValidationMixin):
    """K-fold: one fold tests, the first fold of a (k-1)-fold split of the rest validates.

    Parameters
    ----------
    n : number of examples.
    n_folds : number of folds (at least 3).
    indices : yield index arrays (True) or boolean masks.
    shuffle, random_state : as scikit-learn's KFold (the seed is used only with shuffle).
    """

    def __init__(self, n: int, n_folds: int = 3, indices: bool = True, shuffle: bool = False,
                 random_state: Any = None) -> None:
        self.n, self.n_folds, self.indices = int(n), _check_folds(n_folds, "ValidationKFold"), indices
        self.n_splits = self.n_folds
        self.y = None
        self._cv = KFold(self.n_folds, **shuffle_kwargs(shuffle, random_state))

    def _outer(self):
        return self._cv.split(np.zeros(self.n))

    def _inner(self, train, y):
        return KFold(self.n_folds - 1).split(train)


class StratifiedValidationKFold(_ValidationMixin):
    """Stratified k-fold with a stratified validation fold; ``y`` holds the labels."""

    def __init__(self, y: Any, n_folds: int = 3, indices: bool = True, shuffle: bool = False,
                 random_state: Any = None) -> None:
        self.y = np.asarray(y)
        self.n, self.indices = len(self.y), indices
        self.n_folds = _check_folds(n_folds, "StratifiedValidationKFold")
        self.n_splits = self.n_folds
        self._cv = StratifiedKFold(self.n_folds, **shuffle_kwargs(shuffle, random_state))

    def _outer(self):
        return self._cv.split(np.zeros(self.n), self.y)

    def _inner(self, train, y):
        return StratifiedKFold(self.n_folds - 1).split(train, y)


class ValidationShuffleSplit(_ValidationMixin):
    """Random splits; the training part of each is split again for validation.

    ``test_size``/``valid_size``/``train_size``: fractions of the whole dataset or
    absolute counts; ``valid_size=None`` takes ``test_size``.
    """

    def __init__(self, n: int, n_iter: int = 10, test_size: float | int | None = 0.1,
                 valid_size: float | int | None = None, train_size: float | int | None = None,
                 indices: bool = True, random_state: Any = None) -> None:
        self.n, self.n_splits, self.indices, self.y = int(n), int(n_iter), indices, None
        self.random_state = random_state
        self._cv = ShuffleSplit(int(n_iter), test_size=test_size, train_size=train_size,
                                random_state=random_state)
        self.valid_size = valid_fraction(valid_size, test_size, self.n)

    def _outer(self):
        return self._cv.split(np.zeros(self.n))

    def _inner(self, train, y):
        return ShuffleSplit(1, test_size=self.valid_size,
                            random_state=self.random_state).split(train)


class StratifiedValidationShuffleSplit(_ValidationMixin):
    """Stratified random splits with a stratified validation part; ``y`` holds the labels."""

    def __init__(self, y: Any, n_iter: int = 10, test_size: float | int | None = 0.1,
                 valid_size: float | int | None = None, train_size: float | int | None = None,
                 indices: bool = True, random_state: Any = None) -> None:
        self.y = np.asarray(y)
        self.n, self.n_splits, self.indices = len(self.y), int(n_iter), indices
        self.random_state = random_state
        self._cv = StratifiedShuffleSplit(int(n_iter), test_size=test_size,
                                          train_size=train_size, random_state=random_state)
        self.valid_size = valid_fraction(valid_size, test_size, self.n)

    def _outer(self):
        return self._cv.split(np.zeros(self.n), self.y)

    def _inner(self, train, y):
        return StratifiedShuffleSplit(1, test_size=self.valid_size,
                                      random_state=self.random_state).split(train, y)
