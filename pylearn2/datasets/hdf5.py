"""A dataset read from an HDF5 file (through h5py)."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.utils.exc import ConfigError, DataNotFoundError

logger = logging.getLogger(__name__)


class HDF5Dataset(DenseDesignMatrix):
    """Features from dataset ``X`` (design matrix) or ``topo_view`` (images) of ``filename``,
    targets from ``y``; ``y_labels`` marks integer class labels.

    With ``sources`` and ``spaces`` (the original's general form) the file's datasets
    named in ``sources`` become the sources of a multi-source dataset, each in its space;
    ``aliases`` (one per source, or null) gives the source names the dataset answers to.

    The arrays are read into memory, so ``load_all`` changes nothing in the results (the
    original read lazily unless it was set); ``cache_size`` and ``use_h5py`` only tuned
    the original's HDF5 access and have no effect here (a log line says so).
    """

    def __new__(cls, filename: str = "", *args: Any, sources: Sequence[str] | None = None,
                spaces: Any = None, aliases: Sequence[str] | None = None, **kwargs: Any):
        if sources is None:
            return super().__new__(cls)
        return _multi_source(filename, sources, spaces, aliases, kwargs.get("start"),
                             kwargs.get("stop"))

    def __init__(self, filename: str, X: str | None = None, topo_view: str | None = None,
                 y: str | None = None, y_labels: int | None = None,
                 axes: Sequence[Any] = ("b", 0, 1, "c"), start: int | None = None,
                 stop: int | None = None, load_all: bool = False, cache_size: int | None = None,
                 sources: Sequence[str] | None = None, spaces: Any = None,
                 aliases: Sequence[str] | None = None, use_h5py: Any = "auto") -> None:
        _note_tuning(cache_size, use_h5py)
        self.load_all, self.cache_size, self.use_h5py = load_all, cache_size, use_h5py
        if (X is None) == (topo_view is None):
            raise ConfigError("HDF5Dataset: name exactly one of X or topo_view (or give "
                              "sources and spaces).")
        arrays = _read(filename, [X or topo_view] + ([y] if y is not None else []), start, stop)
        features, targets = arrays[0], (arrays[1] if y is not None else None)
        self.filename = filename
        if topo_view is not None:
            super().__init__(topo_view=features, y=targets, axes=axes, y_labels=y_labels)
        else:
            super().__init__(X=features, y=targets, y_labels=y_labels)


def _note_tuning(cache_size: Any, use_h5py: Any) -> None:
    if cache_size is not None or use_h5py not in ("auto", True):
        logger.info("HDF5Dataset: cache_size and use_h5py only tuned HDF5 access in the "
                    "original; here the data is read with h5py into memory (no effect).")


def _read(filename: str, names: Sequence[str], start: int | None, stop: int | None) -> list:
    try:
        import h5py
    except ImportError as err:
        raise ConfigError("HDF5Dataset needs h5py: pip install h5py") from err
    if not os.path.exists(filename):
        raise DataNotFoundError(f"{filename} not found.")
    with h5py.File(filename, "r") as handle:
        for name in names:
            if name not in handle:
                raise ConfigError(f"{filename} has no dataset {name!r}; it has {list(handle)}.")
        return [np.asarray(handle[n][start:stop]) for n in names]


def _multi_source(filename: str, sources: Sequence[str], spaces: Any,
                  aliases: Sequence[str] | None, start: int | None, stop: int | None):
    from pylearn2.datasets.vector_spaces_dataset import VectorSpacesDataset
    from pylearn2.space import CompositeSpace

    sources = list(sources)
    spaces = list(spaces.components if isinstance(spaces, CompositeSpace) else spaces or [])
    if len(spaces) != len(sources):
        raise ConfigError(f"HDF5Dataset: {len(sources)} sources need as many spaces, "
                          f"got {len(spaces)}.")
    names = list(sources)
    if aliases is not None:
        if len(aliases) != len(sources):
            raise ConfigError("HDF5Dataset: give one alias (or null) per source.")
        names = [a if a is not None else s for a, s in zip(aliases, sources)]
    data = tuple(_read(filename, sources, start, stop))
    return VectorSpacesDataset(data=data, data_specs=(CompositeSpace(spaces), tuple(names)))


from pylearn2.datasets.alias_dict import alias_dict  # noqa: E402,F401,I001 (original path)
