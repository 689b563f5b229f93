"""Cross-validation dataset iterators: one dict of subset datasets per fold.

A :class:`DatasetCV` takes a dataset and a splitter yielding ``(train, test)`` or
``(train, valid, test)`` index arrays and yields, per fold, ``{'train': ..., 'test': ...}``
(or with ``'valid'``) as DenseDesignMatrix datasets that keep the parent's view
converter (so topological views still work) and label count. The named subclasses
build the splitter from scikit-learn's KFold / StratifiedKFold / ShuffleSplit /
StratifiedShuffleSplit, so a seed gives exactly scikit-learn's fold assignment.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
from sklearn.model_selection import KFold, ShuffleSplit, StratifiedKFold, StratifiedShuffleSplit

from pylearn2.cross_validation.subset_iterators import (
    StratifiedValidationKFold,
    StratifiedValidationShuffleSplit,
    ValidationKFold,
    ValidationShuffleSplit,
    shuffle_kwargs,
)
from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.init_args import InitArgsMixin

SUBSETS = ("train", "valid", "test")


def _labels_for(n_parts: int) -> tuple[str, ...]:
    if n_parts == 3:
        return SUBSETS
    if n_parts == 2:
        return ("train", "test")
    raise ConfigError(f"A cross-validation splitter must yield (train, test) or (train, valid, "
                      f"test) index arrays; got {n_parts} parts.")


class DatasetCV(InitArgsMixin):
    """Yield the subset datasets of each fold.

    Parameters
    ----------
    dataset : a DenseDesignMatrix-like dataset (``X``, optional ``y``).
    subset_iterator : iterable of (train, test) or (train, valid, test) index arrays
        (or boolean masks).
    preprocessor : applied to each fold's datasets: fitted on 'train' when
        ``fit_preprocessor``, then applied without fitting to the others.
    which_set : None (all subsets) or one or more of 'train', 'valid', 'test'.
    return_dict : yield ``{name: dataset}`` (True) or a list in the splitter's order
        (a single dataset when only one is selected).
    """

    def __init__(self, dataset: Any, subset_iterator: Iterable[Any], preprocessor: Any = None,
                 fit_preprocessor: bool = False, which_set: Any = None,
                 return_dict: bool = True) -> None:
        self.dataset = dataset
        self.subset_iterator = [tuple(np.asarray(part) for part in parts)
                                for parts in subset_iterator]
        self.preprocessor = preprocessor
        self.fit_preprocessor = fit_preprocessor
        if which_set is not None:
            which_set = [str(s) for s in np.atleast_1d(which_set)]
            unknown = [s for s in which_set if s not in SUBSETS]
            if not which_set or unknown:
                raise ConfigError(f"DatasetCV which_set: unknown subset(s) {unknown}; choose "
                                  f"from {list(SUBSETS)}.")
        self.which_set = which_set
        self.return_dict = return_dict

    def __len__(self) -> int:
        return len(self.subset_iterator)

    def get_data_subsets(self) -> Iterator[dict[str, tuple[np.ndarray, np.ndarray | None]]]:
        """Per fold, ``{subset name: (X, y)}`` in the splitter's order."""
        for parts in self.subset_iterator:
            yield dict(zip(_labels_for(len(parts)), self._subset_data(parts)))

    def _make(self, X: np.ndarray, y: np.ndarray | None) -> DenseDesignMatrix:
        return DenseDesignMatrix(X=X, y=y, view_converter=getattr(self.dataset, "view_converter", None),
                                 y_labels=getattr(self.dataset, "y_labels", None),
                                 X_labels=getattr(self.dataset, "X_labels", None))

    def fold(self, k: int) -> Any:
        """The datasets of fold ``k`` alone (what iterating yields at position ``k``)."""
        if not 0 <= int(k) < len(self):
            raise ConfigError(f"Cross-validation fold {k} does not exist: there are "
                              f"{len(self)} folds (0..{len(self) - 1}).")
        parts = self.subset_iterator[int(k)]
        labels = _labels_for(len(parts))
        return self._finish({label: self._make(*data)
                             for label, data in zip(labels, self._subset_data(parts))})

    def _subset_data(self, parts: tuple[np.ndarray, ...]) -> list[tuple[np.ndarray, Any]]:
        X = np.asarray(self.dataset.X)
        y = getattr(self.dataset, "y", None)
        return [(X[p], None if y is None else np.asarray(y)[p]) for p in parts]

    def _finish(self, datasets: dict[str, Any]) -> Any:
        if self.preprocessor is not None:
            self.preprocessor.apply(datasets["train"], can_fit=self.fit_preprocessor)
            for label, ds in datasets.items():
                if label != "train":
                    self.preprocessor.apply(ds, can_fit=False)
        if self.which_set is not None:
            datasets = {k: v for k, v in datasets.items() if k in self.which_set}
            if not datasets:
                raise ConfigError(f"DatasetCV: no subset matches which_set={self.which_set}.")
        if self.return_dict:
            return datasets
        listed = list(datasets.values())
        return listed[0] if len(listed) == 1 else listed

    def __iter__(self) -> Iterator[Any]:
        for k in range(len(self)):
            yield self.fold(k)


class StratifiedDatasetCV(DatasetCV):
    """DatasetCV whose splitter keeps class proportions; see :meth:`get_y`."""

    @staticmethod
    def get_y(dataset: Any) -> np.ndarray:
        """Class labels as a 1-d array (one-hot targets are turned into indices)."""
        y = getattr(dataset, "y", None)
        if y is None:
            raise ConfigError("Stratified cross-validation needs a dataset with targets (y).")
        y = np.asarray(y)
        if y.ndim > 1 and y.shape[1] > 1:
            if not np.isin(np.unique(y), [0, 1]).all():
                raise ConfigError("Stratified cross-validation: 2-d targets must be one-hot.")
            return np.argmax(y, axis=1)
        return y.reshape(len(y))


class TransformerDatasetCV(InitArgsMixin):
    """Each fold's datasets seen through a trained transformer (one per fold, a
    StackedBlocksCV, or one shared model)."""

    def __init__(self, dataset_iterator: Any, transformers: Any) -> None:
        self.dataset_iterator = dataset_iterator
        self.transformers = transformers

    def __len__(self) -> int:
        return len(self.dataset_iterator)

    def _transformer(self, k: int) -> Any:
        if isinstance(self.transformers, (list, tuple)):
            return self.transformers[k]
        if hasattr(self.transformers, "select_fold"):
            return self.transformers.select_fold(k)
        return self.transformers

    def fold(self, k: int) -> Any:
        from pylearn2.datasets.transformer_dataset import TransformerDataset

        datasets, transformer = self.dataset_iterator.fold(k), self._transformer(k)
        if isinstance(datasets, dict):
            return {key: TransformerDataset(ds, transformer) for key, ds in datasets.items()}
        if isinstance(datasets, list):
            return [TransformerDataset(ds, transformer) for ds in datasets]
        return TransformerDataset(datasets, transformer)

    def __iter__(self) -> Iterator[Any]:
        for k in range(len(self)):
            yield self.fold(k)


def _n(dataset: Any) -> int:
    return int(np.asarray(dataset.X).shape[0])


class DatasetKFold(DatasetCV):
    """K-fold cross-validation (scikit-learn's KFold; the seed is used when shuffling)."""

    def __init__(self, dataset: Any, n_folds: int = 3, shuffle: bool = False,
                 random_state: Any = None, preprocessor: Any = None,
                 fit_preprocessor: bool = False, which_set: Any = None,
                 return_dict: bool = True) -> None:
        cv = KFold(int(n_folds), **shuffle_kwargs(shuffle, random_state))
        super().__init__(dataset, cv.split(np.zeros(_n(dataset))),
                         preprocessor, fit_preprocessor, which_set, return_dict)


class StratifiedDatasetKFold(StratifiedDatasetCV):
    """Stratified k-fold cross-validation (scikit-learn's StratifiedKFold)."""

    def __init__(self, dataset: Any, n_folds: int = 3, shuffle: bool = False,
                 random_state: Any = None, preprocessor: Any = None,
                 fit_preprocessor: bool = False, which_set: Any = None,
                 return_dict: bool = True) -> None:
        y = self.get_y(dataset)
        cv = StratifiedKFold(int(n_folds), **shuffle_kwargs(shuffle, random_state))
        super().__init__(dataset, cv.split(np.zeros(len(y)), y),
                         preprocessor, fit_preprocessor, which_set, return_dict)


class DatasetShuffleSplit(DatasetCV):
    """Shuffle-split cross-validation (scikit-learn's ShuffleSplit)."""

    def __init__(self, dataset: Any, n_iter: int = 10, test_size: float | int | None = 0.1,
                 train_size: float | int | None = None, random_state: Any = None,
                 preprocessor: Any = None, fit_preprocessor: bool = False,
                 which_set: Any = None, return_dict: bool = True) -> None:
        cv = ShuffleSplit(int(n_iter), test_size=test_size, train_size=train_size,
                          random_state=random_state)
        super().__init__(dataset, cv.split(np.zeros(_n(dataset))),
                         preprocessor, fit_preprocessor, which_set, return_dict)


class StratifiedDatasetShuffleSplit(StratifiedDatasetCV):
    """Stratified shuffle-split cross-validation (scikit-learn's StratifiedShuffleSplit)."""

    def __init__(self, dataset: Any, n_iter: int = 10, test_size: float | int | None = 0.1,
                 train_size: float | int | None = None, random_state: Any = None,
                 preprocessor: Any = None, fit_preprocessor: bool = False,
                 which_set: Any = None, return_dict: bool = True) -> None:
        y = self.get_y(dataset)
        cv = StratifiedShuffleSplit(int(n_iter), test_size=test_size, train_size=train_size,
                                    random_state=random_state)
        super().__init__(dataset, cv.split(np.zeros(len(y)), y),
                         preprocessor, fit_preprocessor, which_set, return_dict)


class DatasetValidationKFold(DatasetCV):
    """K-fold with train/valid/test subsets (see ValidationKFold)."""

    def __init__(self, dataset: Any, n_folds: int = 3, shuffle: bool = False,
                 random_state: Any = None, preprocessor: Any = None,
                 fit_preprocessor: bool = False, which_set: Any = None,
                 return_dict: bool = True) -> None:
        cv = ValidationKFold(_n(dataset), n_folds, shuffle=shuffle, random_state=random_state)
        super().__init__(dataset, cv,
                         preprocessor, fit_preprocessor, which_set, return_dict)


class StratifiedDatasetValidationKFold(StratifiedDatasetCV):
    """Stratified k-fold with train/valid/test subsets."""

    def __init__(self, dataset: Any, n_folds: int = 3, shuffle: bool = False,
                 random_state: Any = None, preprocessor: Any = None,
                 fit_preprocessor: bool = False, which_set: Any = None,
                 return_dict: bool = True) -> None:
        cv = StratifiedValidationKFold(self.get_y(dataset), n_folds, shuffle=shuffle,
                                       random_state=random_state)
        super().__init__(dataset, cv,
                         preprocessor, fit_preprocessor, which_set, return_dict)


class DatasetValidationShuffleSplit(DatasetCV):
    """Shuffle-split with train/valid/test subsets."""

    def __init__(self, dataset: Any, n_iter: int = 10, test_size: float | int | None = 0.1,
                 valid_size: float | int | None = None, train_size: float | int | None = None,
                 random_state: Any = None, preprocessor: Any = None,
                 fit_preprocessor: bool = False, which_set: Any = None,
                 return_dict: bool = True) -> None:
        cv = ValidationShuffleSplit(_n(dataset), n_iter, test_size, valid_size, train_size,
                                    random_state=random_state)
        super().__init__(dataset, cv,
                         preprocessor, fit_preprocessor, which_set, return_dict)


class StratifiedDatasetValidationShuffleSplit(StratifiedDatasetCV):
    """Stratified shuffle-split with train/valid/test subsets."""

    def __init__(self, dataset: Any, n_iter: int = 10, test_size: float | int | None = 0.1,
                 valid_size: float | int | None = None, train_size: float | int | None = None,
                 random_state: Any = None, preprocessor: Any = None,
                 fit_preprocessor: bool = False, which_set: Any = None,
                 return_dict: bool = True) -> None:
        cv = StratifiedValidationShuffleSplit(self.get_y(dataset), n_iter, test_size,
                                              valid_size, train_size, random_state=random_state)
        super().__init__(dataset, cv,
                         preprocessor, fit_preprocessor, which_set, return_dict)
