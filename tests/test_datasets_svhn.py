"""SVHN loaders on small files written in the real formats (MATLAB v5 .mat, MATLAB 7.3
(HDF5) .mat, the library's HDF5 layout), damaged files, and the maxout paper's svhn.yaml."""

import os

import h5py
import numpy as np
import pytest
import scipy.io

from pylearn2.datasets.svhn import SVHN, SVHN_On_Memory, load_mat
from pylearn2.utils.exc import ConfigError, DataNotFoundError

HERE = os.path.dirname(__file__)


def fake_mat(path, n, seed=0, labels=None, v73=False):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 256, size=(32, 32, 3, n), dtype=np.uint8)
    y = (labels if labels is not None else rng.integers(1, 11, size=n)).reshape(n, 1).astype(np.uint8)
    if v73:
        with h5py.File(path, "w") as f:  # MATLAB 7.3 stores the transposes
            f["X"] = X.transpose(3, 2, 1, 0)
            f["y"] = y.T
    else:
        scipy.io.savemat(path, {"X": X, "y": y})
    return X, y


def test_mat_v5_and_v73_read_the_same(tmp_path):
    X, y = fake_mat(tmp_path / "a.mat", 7)
    fake_mat(tmp_path / "b.mat", 7, v73=True)
    a, b = load_mat(str(tmp_path / "a.mat")), load_mat(str(tmp_path / "b.mat"))
    np.testing.assert_array_equal(a["X"], X)
    np.testing.assert_array_equal(b["X"], X)
    np.testing.assert_array_equal(a["y"], y)
    np.testing.assert_array_equal(b["y"], y)


def test_svhn_on_memory_images_and_labels(tmp_path):
    labels = np.array([1, 2, 10, 5, 10, 3])
    X, _ = fake_mat(tmp_path / "train_32x32.mat", 6, labels=labels)
    ds = SVHN_On_Memory("train", path=str(tmp_path) + "/")
    topo = ds.get_topological_view()  # b01c
    np.testing.assert_array_equal(topo, X.transpose(3, 0, 1, 2).astype(np.float32))
    np.testing.assert_array_equal(ds.y.reshape(-1), labels % 10)
    hot = SVHN_On_Memory("train", path=str(tmp_path), one_hot=True, scale=True)
    assert hot.y.shape == (6, 10) and hot.y[2, 9] == 1 and hot.y[0, 0] == 1
    assert hot.X.max() <= 1.0
    c01b = SVHN_On_Memory("train", path=str(tmp_path), axes=("c", 0, 1, "b"))
    np.testing.assert_array_equal(c01b.get_topological_view(), X.astype(np.float32).transpose(2, 0, 1, 3))


def test_svhn_make_data_then_read_h5(tmp_path):
    per_class = 410
    labels = np.repeat(np.arange(1, 11), per_class)
    fake_mat(tmp_path / "train_32x32.mat", len(labels), seed=1, labels=labels)
    fake_mat(tmp_path / "extra_32x32.mat", len(labels), seed=2, labels=labels)
    valid = SVHN("valid", path=str(tmp_path) + "/")
    train = SVHN("splitted_train", path=str(tmp_path) + "/", start=0, stop=50)
    assert valid.X.shape == (8000, 3072) and train.X.shape == (50, 3072)
    np.testing.assert_array_equal(valid.y.sum(0), np.full(10, 800))
    with h5py.File(tmp_path / "h5" / "splitted_train_32x32.h5") as f:
        assert f["Data"]["X"].shape == (200, 3072) and f["Data"]["y"].dtype == np.float32
    centred = SVHN("valid", path=str(tmp_path) + "/", center=True, scale=True)
    assert centred.X.min() >= -1.0 and centred.X.max() <= 1.0


def test_damaged_and_missing_files_name_the_file(tmp_path):
    fake_mat(tmp_path / "test_32x32.mat", 5)
    data = (tmp_path / "test_32x32.mat").read_bytes()
    (tmp_path / "test_32x32.mat").write_bytes(data[: len(data) // 2])
    with pytest.raises(ConfigError, match="test_32x32.mat"):
        SVHN_On_Memory("test", path=str(tmp_path))
    with pytest.raises(DataNotFoundError, match="extra_32x32.mat"):
        SVHN_On_Memory("extra", path=str(tmp_path))
    os.makedirs(tmp_path / "h5")
    (tmp_path / "h5" / "test_32x32.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 40)
    with pytest.raises(ConfigError, match="test_32x32.h5"):
        SVHN("test", path=str(tmp_path))
    with pytest.raises(ConfigError, match="which_set"):
        SVHN("training", path=str(tmp_path))


def write_h5(path, n, seed):
    rng = np.random.default_rng(seed)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, size=n)]
    with h5py.File(path, "w") as f:
        f.create_group("Data")
        f["Data"]["X"] = rng.normal(size=(n, 3072)).astype(np.float32)
        f["Data"]["y"] = y


@pytest.mark.slow
def test_maxout_paper_svhn_yaml_trains_one_epoch(tmp_path, monkeypatch):
    from pylearn2.config import yaml_parse
    from pylearn2.termination_criteria import EpochCounter

    for name, seed in (("splitted_train", 0), ("valid", 1), ("test", 2)):
        write_h5(str(tmp_path / "h5" / f"{name}_32x32.h5"), 128, seed)
    monkeypatch.setenv("SVHN_LOCAL_PATH", str(tmp_path) + "/")
    monkeypatch.setenv("PYLEARN2_TRAIN_DIR", str(tmp_path) + "/")
    train = yaml_parse.load_path(os.path.join(HERE, "data", "original_yaml", "svhn.yaml"))
    train.algorithm.termination_criterion = EpochCounter(1)
    train.main_loop()
    record = train.model.monitor.channels["valid_y_misclass"].val_record
    assert len(record) == 2 and 0.0 <= record[-1] <= 1.0
    assert os.path.exists(tmp_path / "svhn_best.joblib")
