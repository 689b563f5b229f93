"""``svhn_preprocessing.py`` (the maxout paper's SVHN preprocessing) on small generated SVHN
files (HDF5 in the library's layout, and a MATLAB .mat file), against float64 references
written from the definitions: GCN (row minus its mean, over its norm), then LeCun's LCN per
channel (zero-padded 7x7 Gaussian window with sigma 2, divisor max(threshold, the local
norm of the raw pixels, its image mean))."""

import os

import h5py
import numpy as np
import pytest
from scipy.signal import convolve2d
from test_datasets_svhn import fake_mat

from pylearn2.datasets.svhn import SVHN
from pylearn2.scripts import cli
from pylearn2.scripts.svhn_preprocessing import main


def reference(X, channels=(0, 1, 2)):
    X = np.asarray(X, dtype=np.float64)
    X = X - X.mean(axis=1, keepdims=True)
    norms = np.sqrt((X ** 2).sum(axis=1, keepdims=True))
    X = X / np.where(norms < 1e-8, 1.0, norms)
    offsets = np.arange(7) - 3
    window = np.exp(-(offsets[:, None] ** 2 + offsets[None, :] ** 2) / 8.0)
    window /= window.sum()
    images = X.reshape(len(X), 3, 32, 32).copy()  # stored channel, row, column
    for i in range(len(X)):
        for c in channels:
            x = images[i, c]
            centred = x - convolve2d(x, window, mode="same")
            norm = np.sqrt(convolve2d(x ** 2, window, mode="same"))
            images[i, c] = centred / np.maximum(np.maximum(norm, norm.mean()), 1e-4)
    return images.reshape(len(X), -1)


def write_h5(path, n, seed):
    rng = np.random.default_rng(seed)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    X = rng.integers(0, 256, size=(n, 3072)).astype(np.float32)
    X[0] = 7.0  # a flat image: its norm is 0, so GCN leaves it at 0 (no division)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, size=n)]
    with h5py.File(path, "w") as f:
        f.create_group("Data")
        f["Data"]["X"], f["Data"]["y"] = X, y
    return X, y


@pytest.fixture
def source(tmp_path):
    src = tmp_path / "format2"
    data = {name: write_h5(str(src / "h5" / f"{name}_32x32.h5"), 5, seed)
            for name, seed in (("splitted_train", 0), ("valid", 1))}
    X, y = fake_mat(src / "test_32x32.mat", 4, seed=3)  # test comes from the .mat file
    data["test"] = (X, y)
    return src, data


def test_the_three_sets_match_the_float64_reference(tmp_path, source, capsys):
    src, data = source
    out = tmp_path / "gcn_lcn"
    assert main(["--source", str(src), "--output", str(out), "--batch-size", "2"]) == 0
    for name in ("splitted_train", "valid"):
        ds = SVHN(name, path=str(out))  # the loader reads what the command wrote
        np.testing.assert_allclose(ds.X, reference(data[name][0]), rtol=1e-4, atol=1e-5)
        np.testing.assert_array_equal(ds.y, data[name][1])
        assert np.all(ds.X[0] == 0)
    X, y = data["test"]
    rows = X.transpose(3, 2, 0, 1).reshape(4, -1)  # (32, 32, 3, N) -> channel, row, column
    ds = SVHN("test", path=str(out))
    made = SVHN("test", path=str(src))  # the .mat file's examples, shuffled by make_data
    order = [next(i for i in range(4) if np.array_equal(made.X[k], rows[i])) for k in range(4)]
    assert sorted(order) == [0, 1, 2, 3]
    np.testing.assert_allclose(ds.X, reference(rows[order]), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(ds.y.argmax(1), y[order, 0] - 1)
    assert "making it from the .mat files" in capsys.readouterr().out
    assert not list((out / "h5").glob("*.part"))


def test_the_classic_first_channel_only_output(tmp_path, source):
    src, data = source
    out = tmp_path / "classic"
    assert main(["--source", str(src), "--output", str(out), "--sets", "valid",
                 "--lcn-channels", "0"]) == 0
    got = SVHN("valid", path=str(out)).X
    np.testing.assert_allclose(got, reference(data["valid"][0], channels=(0,)),
                               rtol=1e-4, atol=1e-5)
    assert not os.path.exists(out / "h5" / "test_32x32.h5")


def test_default_output_folder_and_refusals(tmp_path, source, monkeypatch, capsys):
    src, _ = source
    monkeypatch.delenv("PYLEARN2_LOCAL_DATA_PATH", raising=False)
    assert main(["--source", str(src), "--sets", "valid"]) == 2
    assert "PYLEARN2_LOCAL_DATA_PATH" in capsys.readouterr().err
    monkeypatch.setenv("PYLEARN2_LOCAL_DATA_PATH", str(tmp_path / "local"))
    assert cli.main(["svhn-preprocess", "--source", str(src), "--sets", "valid"]) == 0
    written = tmp_path / "local" / "gcn_lcn" / "h5" / "valid_32x32.h5"
    assert written.exists()
    before = written.read_bytes()
    assert main(["--source", str(src), "--sets", "valid"]) == 2
    err = capsys.readouterr().err
    assert "valid_32x32.h5 already exists" in err and "--overwrite" in err
    assert written.read_bytes() == before
    assert main(["--source", str(src), "--sets", "valid", "--overwrite"]) == 0


def test_a_damaged_source_names_the_file_and_leaves_nothing(tmp_path, source, capsys):
    src, _ = source
    bad = src / "h5" / "valid_32x32.h5"
    bad.write_bytes(bad.read_bytes()[:600])
    out = tmp_path / "out"
    assert main(["--source", str(src), "--output", str(out), "--sets", "valid"]) == 2
    assert "valid_32x32.h5" in capsys.readouterr().err
    assert not list((out / "h5").glob("*"))
    with h5py.File(src / "h5" / "wrong.h5", "w") as f:
        f["X"] = np.zeros((2, 10), dtype=np.float32)
    os.replace(src / "h5" / "wrong.h5", bad)
    assert main(["--source", str(src), "--output", str(out), "--sets", "valid"]) == 2
    assert "/Data/X" in capsys.readouterr().err
