"""UTLC loaders and Avicenna on filetensor / save_npz files, OCR letters on a generated
letter.data, MNISTPlus on a plain-data pickle; damaged and unsafe files refused."""

import gzip
import pickle

import numpy as np
import pytest
import scipy.sparse

from pylearn2.datasets import filetensor, utlc
from pylearn2.datasets.avicenna import Avicenna
from pylearn2.datasets.exc import NotInstalledError
from pylearn2.datasets.mnistplus import MNISTPlus
from pylearn2.datasets.ocr import OCR
from pylearn2.utils.exc import ConfigError

rng = np.random.default_rng(0)


def write_utlc(root, name, shapes=((6, 4), (3, 4), (2, 4))):
    folder = root / "UTLC" / "filetensor"
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for part, shape in zip(("train", "valid", "test"), shapes):
        a = rng.integers(500, 530, size=shape).astype(np.int32)
        filetensor.write(str(folder / f"{name}_{part}.ft"), a)
        out.append(a)
    return out


def test_utlc_dense_normalisation_and_avicenna(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    train, valid, test = write_utlc(tmp_path, "avicenna")
    got = utlc.load_ndarray_dataset("avicenna")
    mean, std = utlc.SCALES["avicenna"]
    np.testing.assert_allclose(got[0], (train - mean) / std, atol=1e-4)  # float32
    raw = utlc.load_ndarray_dataset("avicenna", normalize=False, randomize_valid=True)
    assert sorted(map(tuple, raw[1])) == sorted(map(tuple, valid))
    with pytest.raises(ConfigError):
        utlc.load_ndarray_dataset("nosuch")
    ds = Avicenna("valid", standardize=True)
    union = np.concatenate([(a - mean) / std for a in (train, valid, test)])
    np.testing.assert_allclose(ds.X, ((valid - mean) / std - union.mean(0)) /
                               np.maximum(union.std(0), 1e-3), rtol=1e-4, atol=1e-5)
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path / "empty"))
    with pytest.raises(NotInstalledError):
        Avicenna("train", standardize=False)


def test_utlc_sparse_and_pickles_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    folder = tmp_path / "UTLC" / "sparse"
    folder.mkdir(parents=True)
    mats = [scipy.sparse.random(4, 5, density=0.5, random_state=i, format="csr") for i in range(3)]
    for part, m in zip(("train", "valid", "test"), mats):
        with open(folder / f"terry_{part}.npy", "wb") as f:
            scipy.sparse.save_npz(f, m)
    train, _, _ = utlc.load_sparse_dataset("terry")
    np.testing.assert_allclose(train.toarray(), mats[0].toarray() / 300, rtol=1e-6)
    with open(folder / "ule_train.npy", "wb") as f:
        pickle.dump({"a": 1}, f, protocol=2)
    with pytest.raises(ConfigError, match="pickle"):
        utlc.load_sparse(str(folder / "ule_train.npy"))


def letter_lines(n):
    lines = []
    for i in range(n):
        pixels = rng.integers(0, 2, size=128)
        letter = "abc"[i % 3]
        lines.append("\t".join([str(i + 1), letter, "0", "1", "1", str(i % 10)] +
                               [str(p) for p in pixels]) + "\t\n")
    return lines


def test_ocr_letters(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    monkeypatch.setattr(OCR, "data_split", {"train": 6, "valid": 3, "test": 3})
    folder = tmp_path / "ocr_letters"
    folder.mkdir()
    lines = letter_lines(12)
    (folder / "letter.data").write_text("".join(lines))
    ds = OCR("valid")
    first = lines[6].rstrip("\t\n").split("\t")
    np.testing.assert_array_equal(ds.X[0], [int(v) for v in first[6:]])
    np.testing.assert_array_equal(ds.y.reshape(-1), [0, 1, 2])
    assert ds.get_topological_view().shape == (3, 16, 8, 1)
    np.testing.assert_array_equal(ds.fold, [6, 7, 8])
    assert OCR("test", one_hot=True).y.shape == (3, 3)
    (folder / "letter.data").write_text("".join(lines[:5]) + lines[5][:40])
    with pytest.raises(ConfigError, match="letter.data:6"):
        OCR("train")


def test_mnistplus_plain_pickle(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    monkeypatch.setattr(MNISTPlus, "idx", {"train": slice(0, 5), "valid": slice(5, 8),
                                           "test": slice(8, 10)})
    folder = tmp_path / "mnistplus"
    folder.mkdir()
    data = {"data": rng.uniform(size=(10, 2304)), "label": np.arange(10) % 10,
            "azimuth": np.linspace(0, 350, 10)}
    with open(folder / "mnistplus_azi.pkl", "wb") as f:
        pickle.dump(data, f, protocol=2)
    ds = MNISTPlus("valid", label_type="azimuth", azimuth=True)
    np.testing.assert_allclose(ds.y.reshape(-1), data["azimuth"][5:8] / 360, rtol=1e-6)
    assert ds.get_topological_view().shape == (3, 48, 48, 1)
    with open(folder / "mnistplus.pkl", "wb") as f:
        pickle.dump(gzip.GzipFile, f)  # names a class: refused before it is imported
    with pytest.raises(Exception, match="mnistplus.pkl"):
        MNISTPlus("train")
