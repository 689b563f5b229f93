"""The old HDF5 dataset name reads the same file as HDF5Dataset."""

import h5py
import numpy as np

from pylearn2.datasets.hdf5 import HDF5Dataset
from pylearn2.datasets.hdf5_deprecated import HDF5DatasetDeprecated, HDF5ViewConverter


def test_deprecated_name_reads_the_same_arrays(tmp_path):
    X = np.random.default_rng(0).normal(size=(6, 12)).astype(np.float32)
    y = np.arange(6)[:, None] % 3
    with h5py.File(tmp_path / "d.h5", "w") as f:
        f["X"], f["y"] = X, y
    old = HDF5DatasetDeprecated(str(tmp_path / "d.h5"), X="X", y="y", load_all=True)
    new = HDF5Dataset(str(tmp_path / "d.h5"), X="X", y="y")
    np.testing.assert_array_equal(old.X, new.X)
    np.testing.assert_array_equal(old.y, new.y)
    conv = HDF5ViewConverter((2, 2, 3))
    np.testing.assert_array_equal(conv.topo_view_to_design_mat(conv.design_mat_to_topo_view(X)), X)


def test_alias_dict():
    import pytest

    from pylearn2.datasets.hdf5 import alias_dict

    d = alias_dict()
    d["features", "X"] = 1
    d["targets"] = 2
    assert d["X"] == d["features"] == 1 and "X" in d and d["targets"] == 2
    d["X"] = 5
    assert d["features"] == 5 and len(d) == 2
    with pytest.raises(KeyError):
        d["targets", "X"] = 3
    del d["X"]
    assert "features" not in d and "X" not in d and d.get("X", 0) == 0
