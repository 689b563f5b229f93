"""Arrays in the HDF5 layout PyTables wrote for the classic library: a group ``/Data``
holding ``X`` (examples, features) and ``y``. Reading, creating and filling such files."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from pylearn2.utils.exc import ConfigError, DataNotFoundError
from pylearn2.utils.serial.write_guard import check_yaml_write


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


def init_hdf5(path: str, shapes: tuple[Any, Any]) -> str:
    """Create ``path`` with zero-filled float32 ``/Data/X`` and ``/Data/y`` of the given shapes."""
    h5py = ensure_tables()
    check_yaml_write(path, "init_hdf5")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with h5py.File(path, "w") as f:
        group = f.create_group("Data")
        group.create_dataset("X", shape=tuple(shapes[0]), dtype="float32")
        group.create_dataset("y", shape=tuple(shapes[1]), dtype="float32")
    return path


def fill_hdf5(path: str, data: tuple[np.ndarray, np.ndarray], start: int = 0) -> None:
    """Write ``(X, y)`` into the file's arrays from row ``start``."""
    h5py = ensure_tables()
    X, y = data
    with h5py.File(path, "r+") as f:
        f["Data"]["X"][start:start + len(X)] = X
        f["Data"]["y"][start:start + len(y)] = y


__all__ = ["ensure_tables", "fill_hdf5", "init_hdf5", "read_hdf5_data"]
