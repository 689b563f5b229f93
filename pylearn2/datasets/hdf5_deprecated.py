"""The classic library's older HDF5 dataset names, kept so experiment files that use them
load. The dataset reads its arrays into memory (see :class:`pylearn2.datasets.hdf5.
HDF5Dataset`, which accepts the same arguments), so the lazy-reading helpers of the old
module are plain subclasses of the in-memory ones."""

from __future__ import annotations

from pylearn2.datasets.dense_design_matrix import DefaultViewConverter
from pylearn2.datasets.hdf5 import HDF5Dataset
from pylearn2.utils.iteration import FiniteDatasetIterator


class HDF5DatasetDeprecated(HDF5Dataset):
    """``HDF5DatasetDeprecated(filename, X=None, topo_view=None, y=None, load_all=False,
    ...)``: the same dataset as :class:`HDF5Dataset`."""


class HDF5DatasetIterator(FiniteDatasetIterator):
    """The iterator of an HDF5 dataset (batches come from the arrays in memory)."""


class HDF5ViewConverter(DefaultViewConverter):
    """Design rows <-> images for HDF5 datasets (``shape`` = (rows, cols, channels))."""


class HDF5TopoViewConverter(DefaultViewConverter):
    """The view converter of an HDF5 dataset stored as images (``topo_view``)."""


__all__ = ["HDF5DatasetDeprecated", "HDF5DatasetIterator", "HDF5TopoViewConverter",
           "HDF5ViewConverter"]
