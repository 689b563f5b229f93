"""Hepatitis (UCI file layout), Wiskott, TL_Challenge (interleaved text bytes) and
NORBSmall (.npy copies) on generated files, including damaged ones."""

import numpy as np
import pytest

from pylearn2.datasets.hepatitis import Hepatitis, neg_missing
from pylearn2.datasets.norb import PREFIX
from pylearn2.datasets.norb_small import NORBSmall
from pylearn2.datasets.tl_challenge import TL_Challenge
from pylearn2.datasets.wiskott import FILE, Wiskott
from pylearn2.utils.exc import ConfigError

rng = np.random.default_rng(0)
LINES = ["2,30,2,1,2,2,2,2,1,2,2,2,2,2,1.00,85,18,4.0,?,1",
         "1,51,1,1,2,1,2,1,2,2,1,1,2,2,?,?,?,?,?,1",
         "2,34,1,2,2,2,2,2,2,2,2,2,2,2,0.90,95,28,4.0,75,2"]


def test_hepatitis_columns_and_labels(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    (tmp_path / "hepatitis").mkdir()
    (tmp_path / "hepatitis" / "hepatitis.data").write_text("\n".join(LINES) + "\n")
    ds = Hepatitis()
    # real columns: age, bilirubin, alk phosphate, sgot, albumin, protime, histology
    np.testing.assert_allclose(ds.X[0, :7], [30, 1.0, 85, 18, 4.0, -1, 1])
    # yes/no columns: sex .. varices mapped 1 -> 0, 2 -> 1
    np.testing.assert_array_equal(ds.X[0, 7:], [1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1])
    np.testing.assert_array_equal(ds.y, [[0, 1], [1, 0], [0, 1]])  # LIVE, DIE, LIVE
    assert Hepatitis(start=1, stop=3).X.shape == (2, 19)
    assert neg_missing("?") == "-1" and neg_missing("3") == "3"
    (tmp_path / "hepatitis" / "hepatitis.data").write_text(LINES[0] + "\n" + LINES[1][:20])
    with pytest.raises(ConfigError, match="hepatitis.data:2"):
        Hepatitis()


def test_wiskott(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    (tmp_path / "wiskott").mkdir()
    X = rng.uniform(size=(3, 4096))
    np.save(tmp_path / "wiskott" / FILE, X)
    np.testing.assert_allclose(Wiskott().X, 1 - X, atol=1e-6)
    np.save(tmp_path / "wiskott" / FILE, np.zeros((3, 10)))
    with pytest.raises(ConfigError, match="4096"):
        Wiskott()


def test_tl_challenge_interleaved_bytes(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    folder = tmp_path / "TLChallenge" / "training"
    folder.mkdir(parents=True)
    imgs = rng.integers(0, 256, size=(3, 32, 32, 3))
    # value k of image n at n + N k, k = (col * 32 + row) * 3 + channel
    per_image = imgs.transpose(0, 2, 1, 3).reshape(3, -1)
    flat = per_image.reshape(-1, order="F")
    (folder / "training-data.dat").write_text(" ".join(map(str, flat)))
    (folder / "training-labels.dat").write_text("100 104 109")
    ds = TL_Challenge("train")
    np.testing.assert_array_equal(ds.get_topological_view(), imgs.astype(np.float32))
    np.testing.assert_array_equal(ds.y_coarse, [7, 4, 6])
    (folder / "training-data.dat").write_text(" ".join(map(str, flat[:-7])))
    with pytest.raises(ConfigError, match="training-data.dat.*truncated"):
        TL_Challenge("train")


def test_norb_small_npy(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    folder = tmp_path / "norb_small" / "original_npy"
    folder.mkdir(parents=True)
    dat = rng.integers(0, 256, size=(4, 2, 96, 96), dtype=np.uint8)
    np.save(folder / f"{PREFIX['test']}-dat.npy", dat)
    np.save(folder / f"{PREFIX['test']}-cat.npy", np.array([0, 4, 2, 1]))
    np.save(folder / f"{PREFIX['test']}-info.npy", np.zeros((4, 4), dtype=np.int32))
    ds = NORBSmall("test", center=True)
    topo = ds.get_topological_view()  # (b, 96, 96, 2): the stereo pair as two channels
    np.testing.assert_array_equal(topo[..., 1], dat[:, 1].astype(np.float32) - 127.5)
    assert NORBSmall("test", multi_target=True).y.shape == (4, 5)
    with pytest.raises(ConfigError, match="which_set"):
        NORBSmall("valid")
