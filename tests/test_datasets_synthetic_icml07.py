"""FourRegions (labels of hand-placed points), Iris, the ICML 2007 sets on generated
.npy files, and NotInstalledError."""

import numpy as np
import pytest

from pylearn2.datasets.exc import NotInstalledError
from pylearn2.datasets.four_regions import FourRegions, _four_regions_labels
from pylearn2.datasets.icml07 import Convex, ICML07DataSet, MNIST_rotated_background, Rectangles
from pylearn2.datasets.iris import Iris
from pylearn2.utils.exc import ConfigError, DataNotFoundError


def test_four_regions_labels_of_known_points():
    pts = [(0.05, 0.0),    # centre nut: 1
           (0.3, 0.0),     # right inner ring: 2
           (-0.3, 0.0),    # left, inside 1/2: 1
           (0.7, 0.0),     # right outer ring: 1
           (-0.7, 0.0),    # left outer ring: 2
           (0.0, 0.95),    # outer shelf, top: 3
           (0.0, -0.95)]   # outer shelf, bottom: 0
    np.testing.assert_array_equal(_four_regions_labels(pts), [1, 2, 1, 1, 2, 3, 0])
    ds = FourRegions(500)
    assert ds.X.shape == (500, 2) and set(np.unique(ds.y)) == {0, 1, 2, 3}
    np.testing.assert_array_equal(FourRegions(500, one_hot=True).y.argmax(1), ds.y.reshape(-1))


def test_iris():
    ds = Iris()
    assert ds.X.shape == (150, 4)
    np.testing.assert_array_equal(ds.y.sum(0), [50, 50, 50])
    np.testing.assert_allclose(ds.X[0], [5.1, 3.5, 1.4, 0.2])


def write(root, name, n, classes=2):
    folder = root / "icml07data" / "npy"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(n, 784)).astype(np.float32)
    y = rng.integers(0, classes, size=n)
    np.save(folder / f"{name}_inputs.npy", X)
    np.save(folder / f"{name}_labels.npy", y)
    return X, y


def test_icml07_splits_and_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    X, y = write(tmp_path, "convex", 30)
    valid = Convex("valid", split=(10, 5, 15))
    np.testing.assert_array_equal(valid.X, X[10:15])
    np.testing.assert_array_equal(valid.y.reshape(-1), y[10:15])
    test = Convex("test", one_hot=True, split=(10, 5, 15))
    np.testing.assert_array_equal(test.y.argmax(1), y[15:30])
    assert valid.get_test_set().X.shape == (15, 784)
    assert valid.get_topological_view().shape == (5, 28, 28, 1)
    with pytest.raises(ConfigError, match="needs 58000"):
        Convex("train")
    write(tmp_path, "mnist_rotated_background_images", 12, classes=10)
    assert MNIST_rotated_background("train", split=(4, 4, 4)).X.shape == (4, 784)
    with pytest.raises(DataNotFoundError, match="rectangles_inputs.npy"):
        Rectangles("train")
    bad = tmp_path / "icml07data" / "npy" / "rectangles_inputs.npy"
    bad.write_bytes(b"\x93NUMPY garbage")
    (tmp_path / "icml07data" / "npy" / "rectangles_labels.npy").write_bytes(b"")
    with pytest.raises(ConfigError, match="rectangles_inputs.npy"):
        Rectangles("train")
    with pytest.raises(ConfigError, match="which_set"):
        ICML07DataSet("convex", "training", (1, 1, 1), False)
    assert issubclass(NotInstalledError, DataNotFoundError)
