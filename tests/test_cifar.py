"""CIFAR-10/100 loaders on files in the official python format, and the data-only unpickler.

The official batch files were written by Python 2's cPickle (protocol 2): string keys and
the array bytes as BINSTRING opcodes, arrays rebuilt through
``numpy.core.multiarray._reconstruct``. ``py2_pickle`` assembles exactly those opcodes;
``pickle.dump(..., protocol=2)`` gives the Python 3 form of the same files.
"""

import io
import os
import pickle
import struct

import numpy as np
import pytest

from pylearn2.datasets import preprocessing as pp
from pylearn2.datasets.cifar10 import CIFAR10
from pylearn2.datasets.cifar100 import CIFAR100
from pylearn2.utils.exc import (
    ConfigError,
    DataNotFoundError,
    ModelFileError,
    NoDataPathError,
    ShapeError,
    UnsafeObjectError,
)
from pylearn2.utils.safe_unpickle import SafeUnpickler, load_plain_pickle


def _short(raw: bytes) -> bytes:
    return b"U" + bytes([len(raw)]) + raw  # SHORT_BINSTRING (a Python 2 str)


def _int(i: int) -> bytes:
    return b"J" + struct.pack("<i", i)  # BININT


def py2_pickle(batch: dict) -> bytes:
    """What Python 2 + numpy 1.x wrote for a dict of str, int lists and a uint8 matrix."""
    out = b"\x80\x02}("
    for key, value in batch.items():
        out += _short(key)
        if isinstance(value, np.ndarray):
            out += (b"cnumpy.core.multiarray\n_reconstruct\n" b"cnumpy\nndarray\n" + _int(0)
                    + b"\x85" + _short(b"b") + b"\x87R")
            out += b"(" + _int(1) + _int(value.shape[0]) + _int(value.shape[1]) + b"\x86"
            out += b"cnumpy\ndtype\n" + _short(b"u1") + _int(0) + _int(1) + b"\x87R"
            out += b"(" + _int(3) + _short(b"|") + b"NNN" + _int(-1) + _int(-1) + _int(0) + b"tb"
            out += b"\x89T" + struct.pack("<i", value.nbytes) + value.tobytes() + b"tb"
        elif isinstance(value, list):
            out += b"](" + b"".join(_int(v) if isinstance(v, int) else _short(v)
                                    for v in value) + b"e"
        else:
            out += _short(value)
    return out + b"u."


def make_batch(n, seed, label_key=b"labels", classes=10):
    rng = np.random.default_rng(seed)
    batch = {b"batch_label": b"batch %d" % seed,
             label_key: rng.integers(0, classes, size=n).tolist(),
             b"data": rng.integers(0, 256, size=(n, 3072), dtype=np.uint8),
             b"filenames": [b"img_%d.png" % i for i in range(n)]}
    if label_key == b"fine_labels":
        batch[b"coarse_labels"] = [label // 5 for label in batch[label_key]]
    return batch


@pytest.fixture
def cifar10(tmp_path, monkeypatch):
    """Five 4-image training batches (Python 2 format) and a 5-image test batch (Python 3)."""
    folder = tmp_path / "cifar10" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    batches = {}
    for i in range(1, 6):
        batches[i] = make_batch(4, seed=i)
        (folder / f"data_batch_{i}").write_bytes(py2_pickle(batches[i]))
    batches["test"] = make_batch(5, seed=99)
    with open(folder / "test_batch", "wb") as handle:
        pickle.dump(batches["test"], handle, protocol=2)
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    return folder, batches


def train_data(batches):
    return np.concatenate([batches[i][b"data"] for i in range(1, 6)]).astype(np.float64)


def test_python2_pickles_read_like_the_originals():
    batch = make_batch(3, seed=1)
    raw = py2_pickle(batch)
    for encoding, key in (("bytes", b"data"), ("latin1", "data")):
        loaded = SafeUnpickler(io.BytesIO(raw), "batch", encoding=encoding).load()
        assert loaded[key].dtype == np.uint8
        np.testing.assert_array_equal(loaded[key], batch[b"data"])
    assert loaded["batch_label"] == "batch 1" and loaded["labels"] == batch[b"labels"]


def test_cifar10_train_and_test_in_the_official_format(cifar10):
    _, batches = cifar10
    train, test = CIFAR10("train"), CIFAR10("test")
    assert train.X.shape == (20, 3072) and test.X.shape == (5, 3072)
    assert train.X.dtype == np.float32 and train.X.max() <= 255 and train.X.min() >= 0
    np.testing.assert_array_equal(train.X, train_data(batches))
    assert train.y[:, 0].tolist() == sum((batches[i][b"labels"] for i in range(1, 6)), [])
    assert train.y_labels == 10 and train.view_shape() == (32, 32, 3)
    raw = batches["test"][b"data"][2]  # channel-major rows: red 1024 values, then green, blue
    topo = test.get_topological_view()
    assert topo.shape == (5, 32, 32, 3)
    np.testing.assert_array_equal(topo[2], raw.reshape(3, 32, 32).transpose(1, 2, 0))
    c01b = CIFAR10("test", axes=("c", 0, 1, "b"), start=1, stop=4)
    np.testing.assert_array_equal(c01b.get_topological_view(), topo[1:4].transpose(3, 1, 2, 0))
    assert CIFAR10.label_names[test.y[0, 0]] in CIFAR10.label_names


def test_cifar10_options_against_formulas(cifar10):
    _, batches = cifar10
    raw = batches["test"][b"data"].astype(np.float64)
    np.testing.assert_allclose(CIFAR10("test", center=True).X, raw - 127.5)
    np.testing.assert_allclose(CIFAR10("test", rescale=True).X, raw / 127.5, rtol=1e-6)
    gcn = CIFAR10("test", gcn=55.0).X
    centred = raw - raw.mean(1, keepdims=True)
    np.testing.assert_allclose(gcn, 55.0 * centred / np.linalg.norm(centred, axis=1,
                                                                    keepdims=True), rtol=1e-5)
    toronto = CIFAR10("test", toronto_prepro=True).X
    np.testing.assert_allclose(toronto, (raw - train_data(batches).mean(0)) / 255.0, atol=1e-6)
    for options in ({"center": True}, {"rescale": True}, {"center": True, "rescale": True}, {}):
        shown = CIFAR10("test", **options).adjust_for_viewer(CIFAR10("test", **options).X)
        assert shown.min() >= -1.0 and shown.max() <= 1.0


def window_rows(data):
    """Central 4x4 window of raw CIFAR rows, flattened channel-major like the dataset."""
    return data.reshape(-1, 3, 32, 32)[:, :, 14:18, 14:18].reshape(len(data), -1)


def test_preprocessor_fitted_on_train_is_applied_to_test(cifar10):
    _, batches = cifar10
    train = CIFAR10("train", preprocessor=pp.Pipeline([pp.CentralWindow((4, 4)),
                                                       pp.ZCA(filter_bias=10.0)]))
    zca = train.preprocessor.items[1]
    assert zca.is_fitted() and train.X.shape == (20, 48)
    train_mean = window_rows(train_data(batches)).mean(0)
    np.testing.assert_allclose(zca.mean_, train_mean)
    test = train.get_test_set()
    expected = (window_rows(batches["test"][b"data"]).astype(np.float64) - train_mean) @ zca.P_
    np.testing.assert_allclose(test.X, expected, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(zca.mean_, train_mean)  # not refitted on the test set
    with pytest.raises(ConfigError, match="not been fitted"):
        CIFAR10("test", preprocessor=pp.ZCA())  # test data never fits statistics by default


def test_cifar10_errors_say_how_to_fix_them(cifar10, monkeypatch):
    folder, _ = cifar10
    with pytest.raises(ConfigError, match="start/stop"):
        CIFAR10("valid")
    with pytest.raises(ConfigError, match="toronto_prepro"):
        CIFAR10("test", toronto_prepro=True, gcn=55.0)
    with pytest.raises(ConfigError, match="0 <= start < stop <= 5"):
        CIFAR10("test", start=3, stop=9)
    with open(folder / "test_batch", "wb") as handle:
        pickle.dump({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}, handle)
    with pytest.raises(ShapeError, match="3072"):
        CIFAR10("test")
    (folder / "test_batch").write_bytes(py2_pickle(make_batch(2, 0))[:500])
    with pytest.raises(ModelFileError, match="truncated or corrupt"):
        CIFAR10("test")
    os.remove(folder / "data_batch_3")
    with pytest.raises(DataNotFoundError, match="cifar-10-python.tar.gz"):
        CIFAR10("train")
    monkeypatch.delenv("PYLEARN2_DATA_PATH")
    with pytest.raises(NoDataPathError, match="cifar10"):
        CIFAR10("train")


class RunsCommand:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class Persistent(pickle.Pickler):
    def persistent_id(self, obj):
        return "ref" if isinstance(obj, str) and obj == "external" else None


def test_pickles_naming_anything_else_are_refused_without_running(tmp_path, cifar10):
    folder, _ = cifar10
    marker = tmp_path / "was_run"
    evil = {b"data": np.zeros((1, 3072), np.uint8), b"labels": [RunsCommand(marker)]}
    with open(folder / "test_batch", "wb") as handle:
        pickle.dump(evil, handle, protocol=2)
    with pytest.raises(UnsafeObjectError, match=r"posix\.system|os\.system"):
        CIFAR10("test")
    assert not marker.exists()

    for name, payload in (("eval", (eval, ("1 + 1",))), ("scalar", np.int64(3)),
                          ("load", (np.load, ("x.npy",)))):
        blob = tmp_path / name
        with open(blob, "wb") as handle:
            if isinstance(payload, tuple):
                pickle.dump(type("Reduce", (), {"__reduce__": lambda self, p=payload: p})(),
                            handle, protocol=2)
            else:
                pickle.dump(payload, handle, protocol=2)
        with pytest.raises(UnsafeObjectError, match="not plain data"):
            load_plain_pickle(str(blob))
    buffer = io.BytesIO()
    Persistent(buffer, protocol=2).dump(["external"])
    (tmp_path / "persistent").write_bytes(buffer.getvalue())
    with pytest.raises(UnsafeObjectError, match="persistent"):
        load_plain_pickle(str(tmp_path / "persistent"))
    with pytest.raises(DataNotFoundError):
        load_plain_pickle(str(tmp_path / "absent"))


def test_cifar100_fine_and_coarse_labels(tmp_path, monkeypatch):
    folder = tmp_path / "cifar100" / "cifar-100-python"
    folder.mkdir(parents=True)
    train = make_batch(6, seed=3, label_key=b"fine_labels", classes=100)
    test = make_batch(4, seed=4, label_key=b"fine_labels", classes=100)
    (folder / "train").write_bytes(py2_pickle(train))
    with open(folder / "test", "wb") as handle:
        pickle.dump(test, handle, protocol=2)
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    ds = CIFAR100("train", start=1, stop=5)
    assert ds.y[:, 0].tolist() == train[b"fine_labels"][1:5] and ds.y_labels == 100
    assert ds.y_coarse[:, 0].tolist() == train[b"coarse_labels"][1:5]
    np.testing.assert_array_equal(ds.X, train[b"data"][1:5])
    toronto = CIFAR100("test", toronto_prepro=True)
    expected = (test[b"data"] - train[b"data"].astype(np.float64).mean(0)) / 255.0
    np.testing.assert_allclose(toronto.X, expected, atol=1e-6)
    assert toronto.get_test_set().X.shape == (4, 3072)
    with pytest.raises(DataNotFoundError, match="cifar-100-python.tar.gz"):
        os.remove(folder / "test")
        CIFAR100("test")
