"""BinarizedMNIST on generated .npy files, the control switch and the local cache, and
the original VAE tutorial YAML trained one epoch at toy size."""

import os
import shutil

import numpy as np
import pytest

from pylearn2.datasets import control
from pylearn2.datasets.binarized_mnist import BinarizedMNIST
from pylearn2.datasets.cache import LocalDatasetCache
from pylearn2.utils.exc import ConfigError, DataNotFoundError

HERE = os.path.dirname(__file__)


def write_sets(root, sizes=(400, 200, 200)):
    folder = root / "binarized_mnist"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    out = {}
    for name, n in zip(("train", "valid", "test"), sizes):
        X = (rng.uniform(size=(n, 784)) < 0.2).astype(np.uint8)
        np.save(folder / f"binarized_mnist_{name}.npy", X)
        out[name] = X
    return out


def test_loads_views_and_slices(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    sets = write_sets(tmp_path)
    ds = BinarizedMNIST("valid", start=10, stop=20)
    np.testing.assert_array_equal(ds.X, sets["valid"][10:20])
    topo = ds.get_topological_view()
    assert topo.shape == (10, 28, 28, 1)
    np.testing.assert_array_equal(topo[3, :, :, 0], sets["valid"][13].reshape(28, 28))
    assert ds.adjust_for_viewer(np.array([0.0, 1.0])).tolist() == [-1.0, 1.0]
    assert ds.get_test_set().X.shape == (200, 784)
    shuffled = BinarizedMNIST("train", shuffle=True)
    assert sorted(map(bytes, shuffled.X.astype(np.uint8))) == sorted(map(bytes, sets["train"]))
    with pytest.raises(ConfigError, match="which_set"):
        BinarizedMNIST("training")


def test_corrupt_missing_and_wrong_files(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    write_sets(tmp_path)
    path = tmp_path / "binarized_mnist" / "binarized_mnist_test.npy"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(ConfigError, match="binarized_mnist_test.npy"):
        BinarizedMNIST("test")
    np.save(path, np.full((3, 784), 0.5))
    with pytest.raises(ConfigError, match="only 0 and 1"):
        BinarizedMNIST("test")
    np.save(path, np.zeros((3, 10)))
    with pytest.raises(ConfigError, match="784"):
        BinarizedMNIST("test")
    os.remove(path)
    with pytest.raises(DataNotFoundError, match="binarized_mnist_test.npy"):
        BinarizedMNIST("test")


def test_control_switch_makes_random_stand_ins():
    control.push_load_data(False)
    try:
        ds = BinarizedMNIST("valid")
    finally:
        control.pop_load_data()
    assert ds.X.shape == (10000, 784) and control.get_load_data()
    with pytest.raises(RuntimeError):
        control.pop_load_data()


def test_local_cache_copies_once(tmp_path, monkeypatch):
    remote, local = tmp_path / "remote", tmp_path / "local"
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(remote))
    write_sets(remote)
    cache = LocalDatasetCache(str(local))
    src = str(remote / "binarized_mnist" / "binarized_mnist_train.npy")
    got = cache.cache_file(src)
    assert got == str(local / "binarized_mnist" / "binarized_mnist_train.npy")
    assert open(got, "rb").read() == open(src, "rb").read()
    mtime = os.path.getmtime(got)
    assert cache.cache_file(src) == got and os.path.getmtime(got) == mtime
    outside = tmp_path / "x.npy"
    shutil.copy(src, outside)
    assert cache.cache_file(str(outside)) == str(outside)
    assert LocalDatasetCache("").cache_file(src) == src


def test_original_vae_tutorial_yaml_trains_one_epoch(tmp_path, monkeypatch):
    from pylearn2.config import yaml_parse
    from pylearn2.models.vae.kl import DiagonalGaussianPriorPosteriorKL
    from pylearn2.termination_criteria import EpochCounter

    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    write_sets(tmp_path)
    config = tmp_path / "vae.yaml"
    shutil.copy(os.path.join(HERE, "data", "original_yaml", "vae.yaml"), config)
    train = yaml_parse.load_train_file(str(config))
    assert isinstance(train.model.kl_integrator, DiagonalGaussianPriorPosteriorKL)
    train.algorithm.termination_criterion = EpochCounter(1)
    train.main_loop()
    record = train.model.monitor.channels["valid_objective"].val_record
    assert len(record) == 2 and record[1] < record[0]
    assert (tmp_path / "vae.pkl").exists() and (tmp_path / "vae_best.pkl").exists()
