"""``make_svhn_pytables.py`` (the original's SVHN .mat -> HDF5 conversion) on small
generated .mat files, with and without --download from a loopback server."""

import h5py
import numpy as np
from test_datasets_svhn import fake_mat
from test_official_downloads import CountingHandler, md5, server  # noqa: F401 (fixture)

from pylearn2.datasets import official_downloads as od
from pylearn2.datasets.svhn import SVHN
from pylearn2.scripts import cli
from pylearn2.scripts.datasets.make_svhn_pytables import main


def test_makes_the_sets_from_the_mat_files_and_keeps_existing_ones(tmp_path, capsys):
    labels = np.repeat(np.arange(1, 11), 402)  # 402 per class: 400 to valid, 2 to train
    fake_mat(tmp_path / "train_32x32.mat", len(labels), seed=1, labels=labels)
    fake_mat(tmp_path / "extra_32x32.mat", len(labels), seed=2, labels=labels)
    X, y = fake_mat(tmp_path / "test_32x32.mat", 6, seed=3)
    assert main(["--path", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "test: 6 examples" in out and "valid: 8000 examples" in out
    assert "splitted_train: 40 examples" in out
    test = SVHN("test", path=str(tmp_path))
    rows = X.transpose(3, 2, 0, 1).reshape(6, -1).astype(np.float32)
    assert sorted(map(tuple, test.X)) == sorted(map(tuple, rows))  # same examples, shuffled
    with h5py.File(tmp_path / "h5" / "valid_32x32.h5") as f:
        np.testing.assert_array_equal(f["Data"]["y"][:].sum(0), np.full(10, 800))
    assert cli.main(["make-svhn-pytables", "--path", str(tmp_path), "--sets", "test"]) == 0
    assert "already exists, kept" in capsys.readouterr().out


def test_a_missing_folder_is_a_clear_error(tmp_path, capsys):
    assert main(["--path", str(tmp_path / "nowhere")]) == 2
    assert "nowhere does not exist" in capsys.readouterr().err


def test_download_fetches_only_the_files_a_set_needs(server, monkeypatch):  # noqa: F811
    served, data, url = server
    fake_mat(served / "test_32x32.mat", 5, seed=4)
    monkeypatch.setitem(od.SVHN_MD5, "test", md5(served / "test_32x32.mat"))
    folder = data / "SVHN" / "format2"
    assert main(["--path", str(folder), "--sets", "test", "--download", "--base-url", url]) == 0
    assert CountingHandler.requests == ["/test_32x32.mat"]
    assert SVHN("test", path=str(folder)).X.shape == (5, 3072)
