"""Datasets stored as a scipy.sparse matrix (e.g. bag-of-words counts)."""

from __future__ import annotations

import gzip
import os
from typing import Any

import numpy as np
import torch

from pylearn2.datasets.dataset import Dataset
from pylearn2.space import VectorSpace
from pylearn2.utils.data_specs_util import flatten_specs
from pylearn2.utils.exc import ConfigError, DataNotFoundError
from pylearn2.utils.iteration import FiniteDatasetIterator, make_subset_iterator


def load_sparse_file(path: str, zipped: bool) -> Any:
    """A CSR matrix from a scipy ``save_npz`` file (optionally gzipped)."""
    import zipfile

    import scipy.sparse

    if not os.path.isfile(path):
        raise DataNotFoundError(f"{path} does not exist.")
    try:
        with (gzip.open(path, "rb") if zipped else open(path, "rb")) as f:
            return scipy.sparse.load_npz(f).tocsr().astype(np.float32)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        raise ConfigError(f"{path}: not a readable sparse matrix file written by "
                          f"scipy.sparse.save_npz ({type(err).__name__}: {err}).") from None


class SparseDataset(Dataset):
    """Examples as the rows of a sparse matrix ``X``; batches come out as dense torch
    tensors (the rows densified one batch at a time).

    Parameters
    ----------
    load_path : a file written by ``scipy.sparse.save_npz`` (gzipped when ``zipped_npy``).
    from_scipy_sparse_dataset : a scipy.sparse matrix, when no file is given.
    zipped_npy : whether ``load_path`` is gzip-compressed.
    """

    _default_seed = (17, 2, 946)

    def __init__(self, load_path: str | None = None, from_scipy_sparse_dataset: Any = None,
                 zipped_npy: bool = True) -> None:
        import scipy.sparse

        if load_path is not None:
            self.X = load_sparse_file(load_path, zipped_npy)
        elif from_scipy_sparse_dataset is not None:
            if not scipy.sparse.issparse(from_scipy_sparse_dataset):
                raise ConfigError("SparseDataset: from_scipy_sparse_dataset must be a "
                                  "scipy.sparse matrix.")
            self.X = from_scipy_sparse_dataset.tocsr().astype(np.float32)
        else:
            raise ConfigError("SparseDataset needs load_path or from_scipy_sparse_dataset.")
        self.y = None
        self.load_path = load_path
        self.X_space = VectorSpace(self.X.shape[1])
        self.data_specs = (self.X_space, "features")
        self.rng = np.random.default_rng(list(self._default_seed))

    def get_design_matrix(self) -> Any:
        return self.X

    def get_data(self) -> Any:
        return self.X

    def get_data_specs(self) -> tuple[Any, str]:
        return self.data_specs

    def get_num_examples(self) -> int:
        return int(self.X.shape[0])

    def has_targets(self) -> bool:
        return False

    def get_batch_design(self, batch_size: int, include_labels: bool = False) -> Any:
        rows = self.rng.choice(self.get_num_examples(), size=batch_size, replace=False)
        return self.X[rows]

    def get_batch_topo(self, batch_size: int) -> Any:
        raise ConfigError("A SparseDataset has no topological view.")

    def iterator(self, mode: str | None = None, batch_size: int | None = None,
                 num_batches: int | None = None, rng: Any = None, data_specs: Any = None,
                 return_tuple: bool = False) -> FiniteDatasetIterator:
        subset = make_subset_iterator(mode, self.get_num_examples(), batch_size, num_batches,
                                      rng, self.rng)
        for _space, source in flatten_specs(data_specs or self.data_specs):
            if source != "features":
                raise ConfigError(f"SparseDataset provides only 'features', not {source!r}.")

        def fetch(index: Any) -> torch.Tensor:
            idx = np.arange(self.get_num_examples())[index] if isinstance(index, slice) \
                else np.asarray(index)
            return torch.from_numpy(np.asarray(self.X[idx].todense(), dtype=np.float32))

        return FiniteDatasetIterator(subset, [fetch], return_tuple)


__all__ = ["SparseDataset", "load_sparse_file"]
