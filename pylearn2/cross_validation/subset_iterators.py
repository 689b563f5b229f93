"""Index splitters with a validation subset, built on scikit-learn's splitters.

Each class yields ``(train, valid, test)`` index arrays (or boolean masks). The k-fold
variants use the next fold's test fold as this fold's validation fold (fold k-1 wraps
to fold 0), so every example is tested once and validated once; the shuffle-split
variants carve the validation part out of each split's training part with a second
splitter of the same kind. A fixed seed fixes all three parts.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from sklearn.model_selection import KFold, ShuffleSplit, StratifiedKFold, StratifiedShuffleSplit

from pylearn2.utils.exc import ConfigError


def get_k_fold_splits(cv: Sequence[tuple[np.ndarray, np.ndarray]]
                      ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(train, valid, test)`` per fold of the (train, test) splits ``cv``: the valid
    part is the next fold's test part (the last fold takes the first's), removed from
    the training part."""
    cv = list(cv)
    for k, (train, test) in enumerate(cv):
        valid = cv[(k + 1) % len(cv)][1]
        yield np.setdiff1d(train, valid), valid, test


def get_validation_set_from_train(train: np.ndarray,
                                  train_cv: Iterator[tuple[np.ndarray, np.ndarray]]
                                  ) -> tuple[np.ndarray, np.ndarray]:
    """Split the index array ``train`` with the first split of ``train_cv`` (which
    splits positions within ``train``)."""
    return get_validation_set(train, train_cv, indices=True)


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
    """The validation size as the inner splitter gets it: a fraction of the whole dataset
    is rescaled to a fraction of what the test split leaves; None means as many
    examples as the test part."""
    n_test = test_size if isinstance(test_size, int) else int(np.ceil(test_size * n))
    if valid_size is None:
        return n_test  # as many examples as the test part
    if isinstance(valid_size, float) and valid_size < 1.0:
        return valid_size / (1.0 - n_test / n)
    return valid_size


def _k_fold_iter(splitter: Any, cv: Any) -> Iterator[tuple[np.ndarray, ...]]:
    for parts in get_k_fold_splits(cv):
        yield tuple(_as_mask(p, splitter.n) for p in parts) if not splitter.indices else parts


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
    """K-fold: fold k tests, fold k+1 validates (the last fold takes the first), the rest trains.

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

    def __iter__(self):
        return _k_fold_iter(self, self._cv.split(np.zeros(self.n)))


class StratifiedValidationKFold(_ValidationMixin):
    """Stratified k-fold: fold k tests, fold k+1 validates; ``y`` holds the labels."""

    def __init__(self, y: Any, n_folds: int = 3, indices: bool = True, shuffle: bool = False,
                 random_state: Any = None) -> None:
        self.y = np.asarray(y)
        self.n, self.indices = len(self.y), indices
        self.n_folds = _check_folds(n_folds, "StratifiedValidationKFold")
        self.n_splits = self.n_folds
        self._cv = StratifiedKFold(self.n_folds, **shuffle_kwargs(shuffle, random_state))

    def __iter__(self):
        return _k_fold_iter(self, self._cv.split(np.zeros(self.n), self.y))


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
