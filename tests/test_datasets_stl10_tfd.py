"""STL-10 (MATLAB and binary releases), TFD and MatlabDataset on generated files in the
real layouts, including damaged files."""

import numpy as np
import pytest
import scipy.io

from pylearn2.datasets.matlab_dataset import MatlabDataset
from pylearn2.datasets.stl10 import STL10, restrict
from pylearn2.datasets.tfd import TFD
from pylearn2.utils.exc import ConfigError, DataNotFoundError

rng = np.random.default_rng(0)


def images(n):
    return rng.integers(0, 256, size=(n, 96, 96, 3), dtype=np.uint8)


def matlab_rows(imgs):
    """What MATLAB's X(i, :) = img(:)' stores: column-major over (row, col, channel)."""
    return np.stack([img.reshape(-1, order="F") for img in imgs])


def test_stl10_binary_release(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    folder = tmp_path / "stl10" / "stl10_binary"
    folder.mkdir(parents=True)
    imgs = images(4)
    # binary: per image, 3 channels of 96x96 each in column-major order
    blob = b"".join(img.transpose(2, 1, 0).tobytes() for img in imgs)
    (folder / "train_X.bin").write_bytes(blob)
    (folder / "train_y.bin").write_bytes(bytes([1, 10, 3, 3]))
    (folder / "fold_indices.txt").write_text("0 2\n1 3\n")
    ds = STL10("train")
    np.testing.assert_array_equal(ds.get_topological_view(), imgs.astype(np.float32))
    np.testing.assert_array_equal(ds.y.reshape(-1), [1, 10, 3, 3])
    restrict(ds, 1)
    np.testing.assert_array_equal(ds.y.reshape(-1), [10, 3])
    (folder / "test_X.bin").write_bytes(blob[:-5])
    (folder / "test_y.bin").write_bytes(bytes([1, 2, 3, 4]))
    with pytest.raises(ConfigError, match="test_X.bin.*truncated"):
        STL10("test")
    with pytest.raises(DataNotFoundError, match="unlabeled_X.bin"):
        STL10("unlabeled")


def test_stl10_matlab_release_matches_images(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    folder = tmp_path / "stl10" / "stl10_matlab"
    folder.mkdir(parents=True)
    imgs = images(3)
    scipy.io.savemat(folder / "test.mat", {"X": matlab_rows(imgs), "y": np.array([[2], [5], [7]],
                                                                              dtype=np.uint8)})
    ds = STL10("test", example_range=(1, 3), center=True)
    np.testing.assert_array_equal(ds.get_topological_view(), imgs[1:].astype(np.float32) - 127.5)
    np.testing.assert_array_equal(ds.y.reshape(-1), [5, 7])
    with pytest.raises(ConfigError, match="which_set"):
        STL10("valid")


def write_tfd(root, n=20):
    folder = root / "faces" / "TFD"
    folder.mkdir(parents=True)
    imgs = rng.integers(0, 256, size=(n, 48, 48), dtype=np.uint8)
    folds = np.zeros((n, 5), dtype=np.uint8)
    folds[:, 0] = np.resize([0, 1, 1, 2, 3], n)
    labs_ex = rng.integers(1, 8, size=(n, 1))
    labs_id = rng.integers(1, 100, size=(n, 1))
    scipy.io.savemat(folder / "TFD_48x48.mat", {"images": imgs, "folds": folds,
                                                "labs_ex": labs_ex, "labs_id": labs_id})
    return imgs, folds, labs_ex, labs_id


def test_tfd_sets_folds_and_labels(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    imgs, folds, labs_ex, labs_id = write_tfd(tmp_path)
    train = TFD("train")
    sel = folds[:, 0] == 1
    np.testing.assert_array_equal(train.get_topological_view()[..., 0], imgs[sel])
    np.testing.assert_array_equal(train.y.reshape(-1), labs_ex[sel, 0] - 1)
    np.testing.assert_array_equal(train.y_identity, labs_id[sel, 0])
    full = TFD("full_train", one_hot=True, scale=True)
    assert full.y.shape == (int(np.isin(folds[:, 0], (1, 2)).sum()), 7) and full.X.max() <= 1
    assert TFD("unlabeled").y is None
    shuffled = TFD("train", shuffle=True)
    assert sorted(shuffled.y.reshape(-1)) == sorted(train.y.reshape(-1))
    with pytest.raises(ConfigError, match="fold 1 has no"):
        TFD("train", fold=1)
    with pytest.raises(ConfigError, match="image_size"):
        TFD("train", image_size=32)


def test_tfd_and_matlab_damaged_files(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    write_tfd(tmp_path)
    path = tmp_path / "faces" / "TFD" / "TFD_48x48.mat"
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(ConfigError, match="TFD_48x48.mat"):
        TFD("train")
    scipy.io.savemat(tmp_path / "m.mat", {"train": np.eye(3), "test": np.ones((2, 3))})
    ds = MatlabDataset(str(tmp_path / "m.mat"), "test")
    np.testing.assert_array_equal(ds.X, np.ones((2, 3)))
    with pytest.raises(ConfigError, match="no variable 'valid'"):
        MatlabDataset(str(tmp_path / "m.mat"), "valid")
