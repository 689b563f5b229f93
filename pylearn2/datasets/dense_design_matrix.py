"""DenseDesignMatrix: a dataset held in memory as a design matrix (one example per row).

The same data can be seen as a design matrix or as a *topological view* (a batch of
images with named axes). Storage rule: each row is stored channel-major, i.e. in
('c', 0, 1) order, as CIFAR-10 stores its images. A topological view is produced by
reshaping rows to ('b', 'c', 0, 1) and transposing to the requested axes. (This differs
from Conv2DSpace -> VectorSpace flattening, which is ('b', 0, 1, 'c'); for single-channel
images such as MNIST the two agree.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from pylearn2.datasets import hdf5_arrays
from pylearn2.datasets.dataset import Dataset
from pylearn2.space import CompositeSpace, Conv2DSpace, IndexSpace, NullSpace, Space, VectorSpace
from pylearn2.utils.data_specs_util import flatten_specs
from pylearn2.utils.exc import ConfigError, ShapeError
from pylearn2.utils.iteration import FiniteDatasetIterator, make_subset_iterator


class DefaultViewConverter:
    """Converts between design rows (c01 order) and topological views with ``axes``."""

    def __init__(self, shape: Sequence[int], axes: Sequence[Any] = ("b", 0, 1, "c")) -> None:
        self.shape = tuple(int(s) for s in shape)
        if len(self.shape) != 3:
            raise ConfigError(f"View shape must be (rows, cols, channels), got {self.shape}.")
        self.axes = tuple(axes)
        self.topo_space = Conv2DSpace(self.shape[:2], num_channels=self.shape[2], axes=self.axes)

    def design_mat_to_topo_view(self, X: np.ndarray) -> np.ndarray:
        rows, cols, channels = self.shape
        bc01 = np.asarray(X).reshape(X.shape[0], channels, rows, cols)
        return Conv2DSpace.convert(bc01, ("b", "c", 0, 1), self.axes)

    def topo_view_to_design_mat(self, V: np.ndarray, axes: Sequence[Any] | None = None) -> np.ndarray:
        bc01 = Conv2DSpace.convert(np.asarray(V), axes or self.axes, ("b", "c", 0, 1))
        if tuple(bc01.shape[1:]) != (self.shape[2], self.shape[0], self.shape[1]):
            raise ShapeError(f"Topological view of shape {V.shape} does not match the view "
                             f"shape (rows, cols, channels) = {self.shape}.")
        return np.ascontiguousarray(bc01).reshape(bc01.shape[0], -1)

    def design_batch_to_topo(self, batch: torch.Tensor, space: Conv2DSpace) -> torch.Tensor:
        rows, cols, channels = self.shape
        bc01 = batch.reshape(batch.shape[0], channels, rows, cols)
        return Conv2DSpace.convert(bc01, ("b", "c", 0, 1), space.axes)

    def set_axes(self, axes: Sequence[Any]) -> None:
        self.axes = tuple(axes)
        self.topo_space = Conv2DSpace(self.shape[:2], num_channels=self.shape[2], axes=self.axes)


class DenseDesignMatrix(Dataset):
    """In-memory examples ``X`` (N, D) with optional targets ``y``.

    Give ``X`` or ``topo_view`` (images with ``axes``). ``y`` is (N, k) or (N,);
    ``y_labels`` marks ``y`` as integer class labels (IndexSpace), which the targets source
    formats as one-hot vectors. ``X_labels`` marks ``X`` as integer indices.
    """

    _default_seed = (17, 2, 946)

    def __init__(
        self,
        X: Any = None,
        topo_view: Any = None,
        y: Any = None,
        view_converter: DefaultViewConverter | None = None,
        axes: Sequence[Any] = ("b", 0, 1, "c"),
        rng: Any = _default_seed,
        preprocessor: Any = None,
        fit_preprocessor: bool = False,
        X_labels: int | None = None,
        y_labels: int | None = None,
    ) -> None:
        if (X is None) == (topo_view is None):
            raise ConfigError("DenseDesignMatrix needs exactly one of X or topo_view.")
        self.axes = tuple(axes)
        self.view_converter = view_converter
        if topo_view is not None:
            self.set_topological_view(np.asarray(topo_view), self.axes)
        else:
            self.set_design_matrix(np.asarray(X))
        self.X_labels = X_labels
        self.y_labels = y_labels
        self.y = None if y is None else self._check_targets(np.asarray(y))
        self.rng = rng
        self._target_cache: dict[Space, torch.Tensor] = {}
        self.preprocessor = preprocessor
        if preprocessor is not None:
            preprocessor.apply(self, can_fit=fit_preprocessor)

    # -- storage --------------------------------------------------------------------------
    def _check_targets(self, y: np.ndarray) -> np.ndarray:
        if y.shape[0] != self.X.shape[0]:
            raise ShapeError(f"X has {self.X.shape[0]} examples but y has {y.shape[0]}.")
        if self.y_labels is not None:
            if y.ndim == 1:
                y = y[:, None]
            if not np.issubdtype(y.dtype, np.integer):
                if not np.all(np.equal(np.mod(y, 1), 0)):
                    raise ShapeError("y_labels is set, so y must hold integer class labels.")
            y = y.astype(np.int64)
            if y.size and (y.min() < 0 or y.max() >= self.y_labels):
                raise ShapeError(f"Labels must lie in [0, {self.y_labels}); got "
                                 f"[{y.min()}, {y.max()}].")
        elif y.dtype.kind == "f" and y.dtype != np.float32:
            y = y.astype(np.float32)
        return y

    def set_design_matrix(self, X: np.ndarray) -> None:
        if X.ndim != 2:
            raise ShapeError(f"A design matrix must be 2-d (examples, features); got {X.shape}.")
        if X.dtype.kind == "f" and X.dtype != np.float32:
            X = X.astype(np.float32)
        if self.view_converter is not None and \
                int(np.prod(self.view_converter.shape)) != X.shape[1]:
            self.view_converter = None
        self.X = np.ascontiguousarray(X)
        self._target_cache = {}

    def get_design_matrix(self, topo: Any = None) -> np.ndarray:
        if topo is not None:
            return self._converter().topo_view_to_design_mat(topo)
        return self.X

    def set_topological_view(self, V: np.ndarray, axes: Sequence[Any] = ("b", 0, 1, "c")) -> None:
        V = np.asarray(V)
        if V.ndim != 4:
            raise ShapeError(f"A topological view must be 4-d; got shape {V.shape}.")
        axes = tuple(axes)
        sizes = dict(zip(axes, V.shape))
        self.view_converter = DefaultViewConverter((sizes[0], sizes[1], sizes["c"]), axes)
        self.set_design_matrix(self.view_converter.topo_view_to_design_mat(V, axes))

    def get_topological_view(self, mat: np.ndarray | None = None) -> np.ndarray:
        return self._converter().design_mat_to_topo_view(self.X if mat is None else mat)

    def _converter(self) -> DefaultViewConverter:
        if self.view_converter is None:
            raise ConfigError("This dataset has no topological view (it was built from a plain "
                              "design matrix); give topo_view or a view_converter.")
        return self.view_converter

    def set_view_converter_axes(self, axes: Sequence[Any]) -> None:
        self._converter().set_axes(axes)

    def view_shape(self) -> tuple[int, ...]:
        return self._converter().shape

    def get_targets(self) -> np.ndarray | None:
        return self.y

    def get_data(self) -> Any:
        return self.X if self.y is None else (self.X, self.y)

    def get_num_examples(self) -> int:
        return int(self.X.shape[0])

    def has_targets(self) -> bool:
        return self.y is not None

    # -- spaces ---------------------------------------------------------------------------
    @property
    def X_space(self) -> Space:
        if self.X_labels is not None:
            return IndexSpace(max_labels=self.X_labels, dim=self.X.shape[1])
        return VectorSpace(self.X.shape[1])

    @property
    def X_topo_space(self) -> Conv2DSpace:
        return self._converter().topo_space

    @property
    def y_space(self) -> Space | None:
        if self.y is None:
            return None
        dim = 1 if self.y.ndim == 1 else self.y.shape[1]
        if self.y_labels is not None:
            return IndexSpace(max_labels=self.y_labels, dim=dim)
        return VectorSpace(dim)

    def get_data_specs(self) -> tuple[Space, Any]:
        if self.y is None:
            return (self.X_space, "features")
        return (CompositeSpace([self.X_space, self.y_space]), ("features", "targets"))

    # -- iteration ------------------------------------------------------------------------
    def iterator(self, mode: str | None = None, batch_size: int | None = None,
                 num_batches: int | None = None, rng: Any = None, data_specs: Any = None,
                 return_tuple: bool = False) -> FiniteDatasetIterator:
        subset = make_subset_iterator(mode, self.get_num_examples(), batch_size, num_batches,
                                      rng, self.rng)
        specs = data_specs if data_specs is not None else self.get_data_specs()
        fetchers = [self._fetcher(space, source) for space, source in flatten_specs(specs)]
        if not fetchers and not isinstance(specs[0], NullSpace):
            raise ConfigError(f"Nothing to iterate for data specs {specs}.")
        return FiniteDatasetIterator(subset, fetchers, return_tuple)

    def _fetcher(self, space: Space, source: str):
        if source == "features":
            data = torch.from_numpy(self.X)
            if isinstance(space, Conv2DSpace):
                converter = self._converter()
                return lambda idx: converter.design_batch_to_topo(data[idx], space)
            if space.get_total_dimension() != self.X.shape[1]:
                raise ShapeError(f"The model expects features in {space}, but this dataset has "
                                 f"{self.X.shape[1]} features per example.")
            return _indexer(self.X_space, space, data)
        if source == "targets":
            if self.y is None:
                raise ConfigError("The cost needs targets, but this dataset has no y.")
            if space not in self._target_cache:
                y = torch.from_numpy(self.y if self.y.ndim == 2 else self.y[:, None])
                self._target_cache[space] = self._format_targets(y, space)
            return _indexer(space, space, self._target_cache[space])
        raise ConfigError(f"The dataset does not provide a source with name: {source}. "
                          "It provides 'features' and 'targets'.")

    def _format_targets(self, y: torch.Tensor, space: Space) -> torch.Tensor:
        if self.y_labels is not None and isinstance(space, VectorSpace):
            if space.dim != self.y_labels * y.shape[1] and space.dim != self.y_labels:
                raise ShapeError(f"The model expects targets in {space}, but the labels have "
                                 f"{self.y_labels} classes.")
            return F.one_hot(y, self.y_labels).reshape(y.shape[0], -1).float() \
                if space.dim == self.y_labels * y.shape[1] else self.y_space.format_as(y, space)
        if space.get_total_dimension() != y.shape[1] and not isinstance(space, IndexSpace):
            raise ShapeError(f"The model expects targets in {space}, but y has {y.shape[1]} "
                             "columns per example.")
        return y

    # -- batches and transformations --------------------------------------------------------
    def get_batch_design(self, batch_size: int, include_labels: bool = False) -> Any:
        idx = self._random_rows(batch_size)
        return (self.X[idx], self.y[idx]) if include_labels else self.X[idx]

    def get_batch_topo(self, batch_size: int) -> np.ndarray:
        return self.get_topological_view(self.X[self._random_rows(batch_size)])

    def _random_rows(self, batch_size: int) -> np.ndarray:
        if not isinstance(self.rng, np.random.Generator):
            self.rng = np.random.default_rng([int(s) for s in np.atleast_1d(self.rng)])
        return self.rng.choice(self.get_num_examples(), size=batch_size, replace=False)

    def apply_preprocessor(self, preprocessor: Any, can_fit: bool = False) -> None:
        preprocessor.apply(self, can_fit)

    def restrict(self, start: int, stop: int) -> None:
        start, stop = resolve_range("The dataset", self.get_num_examples(), start, stop)
        self.X = self.X[start:stop]
        if self.y is not None:
            self.y = self.y[start:stop]
        self._target_cache = {}

    def convert_to_one_hot(self, min_class: int = 0) -> None:
        if self.y is None or self.y_labels is None:
            raise ConfigError("convert_to_one_hot needs integer labels (y with y_labels).")
        labels = self.y.reshape(-1) - min_class
        self.y = np.eye(self.y_labels, dtype=np.float32)[labels]
        self.y_labels = None
        self._target_cache = {}

    def adjust_for_viewer(self, X: np.ndarray) -> np.ndarray:
        peak = np.abs(X).max()
        return X / peak if peak > 0 else X

    def get_weights_view(self, mat: np.ndarray) -> np.ndarray:
        return self.get_topological_view(mat)

    def split_dataset_holdout(self, train_prop: float = 0.8) -> tuple[DenseDesignMatrix, ...]:
        cut = int(round(train_prop * self.get_num_examples()))
        return dataset_range(self, 0, cut), dataset_range(self, cut, self.get_num_examples())

    def split_dataset_nfolds(self, nfolds: int) -> list[DenseDesignMatrix]:
        edges = np.linspace(0, self.get_num_examples(), nfolds + 1).astype(int)
        return [dataset_range(self, a, b) for a, b in zip(edges[:-1], edges[1:])]


def _indexer(stored: Space, space: Space, data: torch.Tensor):
    if stored == space or (isinstance(stored, VectorSpace) and isinstance(space, VectorSpace)):
        return data.__getitem__
    return lambda idx: stored.format_as(data[idx], space)


def resolve_range(what: str, n: int, start: int | None, stop: int | None) -> tuple[int, int]:
    """``start``/``stop`` defaulted to the whole set and checked against its ``n`` examples."""
    start = 0 if start is None else int(start)
    stop = n if stop is None else int(stop)
    if not 0 <= start < stop <= n:
        raise ConfigError(f"{what} has {n} examples; start/stop must satisfy "
                          f"0 <= start < stop <= {n}, got {start}, {stop}.")
    return start, stop


def dataset_range(dataset: DenseDesignMatrix, start: int, stop: int) -> DenseDesignMatrix:
    """A new DenseDesignMatrix with examples [start, stop) of ``dataset`` (shares no state)."""
    out = DenseDesignMatrix(X=dataset.X[start:stop].copy(),
                            y=None if dataset.y is None else dataset.y[start:stop].copy(),
                            X_labels=dataset.X_labels, y_labels=dataset.y_labels)
    out.view_converter = dataset.view_converter
    return out


def from_dataset(dataset: DenseDesignMatrix, num_examples: int) -> DenseDesignMatrix:
    """A random subset of ``num_examples`` examples (usable from YAML)."""
    rng = np.random.default_rng([17, 2, 946])
    idx = np.sort(rng.choice(dataset.get_num_examples(), size=num_examples, replace=False))
    out = DenseDesignMatrix(X=dataset.X[idx], y=None if dataset.y is None else dataset.y[idx],
                            X_labels=dataset.X_labels, y_labels=dataset.y_labels)
    out.view_converter = dataset.view_converter
    return out


def convert_to_one_hot(dataset: DenseDesignMatrix) -> DenseDesignMatrix:
    dataset.convert_to_one_hot()
    return dataset



class DenseDesignMatrixPyTables(DenseDesignMatrix):
    """A DenseDesignMatrix read from an HDF5 file with ``/Data/X`` and ``/Data/y`` (the
    classic library's PyTables layout; see :mod:`pylearn2.datasets.hdf5_arrays`), rows
    ``start:stop``, held in memory. ``init_hdf5``/``fill_hdf5`` write such files."""

    def __init__(self, X: Any = None, topo_view: Any = None, y: Any = None,
                 view_converter: DefaultViewConverter | None = None,
                 axes: Sequence[Any] = ("b", 0, 1, "c"), rng: Any = DenseDesignMatrix._default_seed,
                 path: str | None = None, start: int | None = None, stop: int | None = None) -> None:
        if path is not None:
            X, y = hdf5_arrays.read_hdf5_data(path, start, stop)
        super().__init__(X=X, topo_view=topo_view, y=y, view_converter=view_converter,
                         axes=axes, rng=rng)

    init_hdf5 = staticmethod(hdf5_arrays.init_hdf5)
    fill_hdf5 = staticmethod(hdf5_arrays.fill_hdf5)
    resize = staticmethod(hdf5_arrays.read_hdf5_data)


ensure_tables = hdf5_arrays.ensure_tables
