"""DenseDesignMatrix whose arrays live in an HDF5 file (the layout PyTables wrote for the
original library: a group ``/Data`` holding ``X`` (examples, features) and ``y``)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from pylearn2.datasets.dense_design_matrix import DefaultViewConverter, DenseDesignMatrix
from pylearn2.utils.exc import ConfigError, DataNotFoundError


def ensure_tables() -> Any:
    """The HDF5 reader (h5py), or a clear error saying how to install it."""
    try:
        import h5py
    except ImportError:
        raise ConfigError("HDF5 datasets need h5py: pip install h5py (or pylearn2[hdf5]).") from None
    return h5py


def read_hdf5_data(path: str, start: int | None = None, stop: int | None = None
                   ) -> tuple[np.ndarray, np.ndarray | None]:
    """(X, y) from ``/Data/X`` and ``/Data/y`` of an HDF5 file, rows start:stop."""
    h5py = ensure_tables()
    if not os.path.isfile(path):
        raise DataNotFoundError(f"{path} does not exist.")
    try:
        with h5py.File(path, "r") as f:
            if "Data" not in f or "X" not in f["Data"]:
                raise ConfigError(f"{path}: expected an HDF5 group /Data with arrays X and y "
                                  f"(the library's layout); found {sorted(f.keys())}.")
            data = f["Data"]
            X = np.asarray(data["X"][start:stop])
            y = np.asarray(data["y"][start:stop]) if "y" in data else None
    except OSError as err:
        raise ConfigError(f"{path} is not a readable HDF5 file ({err}); it may be truncated "
                          "or damaged: remake it.") from None
    return X, y


class DenseDesignMatrixPyTables(DenseDesignMatrix):
    """A DenseDesignMatrix read from / written to an HDF5 file with ``/Data/X`` and
    ``/Data/y``. The arrays are read into memory; :meth:`init_hdf5` and
    :meth:`fill_hdf5` write such files."""

    def __init__(self, X: Any = None, topo_view: Any = None, y: Any = None,
                 view_converter: DefaultViewConverter | None = None,
                 axes: Any = ("b", 0, 1, "c"), rng: Any = DenseDesignMatrix._default_seed,
                 path: str | None = None, start: int | None = None,
                 stop: int | None = None) -> None:
        if path is not None:
            X, y = read_hdf5_data(path, start, stop)
        super().__init__(X=X, topo_view=topo_view, y=y, view_converter=view_converter,
                         axes=axes, rng=rng)

    @staticmethod
    def init_hdf5(path: str, shapes: tuple[Any, Any]) -> str:
        """Create ``path`` with zero-filled float32 ``/Data/X`` and ``/Data/y`` of the given
        shapes (writing to a temporary name first, so a failed run leaves nothing half done)."""
        h5py = ensure_tables()
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with h5py.File(path, "w") as f:
            group = f.create_group("Data")
            group.create_dataset("X", shape=tuple(shapes[0]), dtype="float32")
            group.create_dataset("y", shape=tuple(shapes[1]), dtype="float32")
        return path

    @staticmethod
    def fill_hdf5(path: str, data: tuple[np.ndarray, np.ndarray], start: int = 0) -> None:
        """Write ``(X, y)`` into the file's arrays from row ``start``."""
        h5py = ensure_tables()
        X, y = data
        with h5py.File(path, "r+") as f:
            f["Data"]["X"][start:start + len(X)] = X
            f["Data"]["y"][start:start + len(y)] = y

    @staticmethod
    def resize(path: str, start: int | None, stop: int | None) -> tuple[np.ndarray, Any]:
        """Rows start:stop of the file's X and y (in memory)."""
        return read_hdf5_data(path, start, stop)


__all__ = ["DenseDesignMatrixPyTables", "ensure_tables", "read_hdf5_data"]
