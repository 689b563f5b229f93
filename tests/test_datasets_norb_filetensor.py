"""filetensor read/write (byte layout from the format description), and SmallNORB on
files written in the NORB binary matrix format, including truncated ones."""

import io
import struct

import numpy as np
import pytest

from pylearn2.datasets import filetensor
from pylearn2.datasets.norb import PREFIX, SmallNORB
from pylearn2.utils.exc import ConfigError, DataNotFoundError


def handmade(magic, dims, payload):
    """A file built byte by byte: int32 magic, ndim, max(3, ndim) sizes, data."""
    sizes = list(dims) + [1] * max(0, 3 - len(dims))
    return struct.pack("<" + "i" * (2 + len(sizes)), magic, len(dims), *sizes) + payload


def test_header_layout_and_round_trip(tmp_path):
    a = np.arange(12, dtype=np.int32).reshape(3, 4)
    raw = handmade(0x1E3D4C54, (3, 4), a.astype("<i4").tobytes())
    np.testing.assert_array_equal(filetensor.read(io.BytesIO(raw)), a)
    buf = io.BytesIO()
    filetensor.write(buf, a)
    assert buf.getvalue() == raw  # ndim 2 still writes three sizes (the last is 1)
    for dtype in ("float32", "float64", "uint8", "int16"):
        b = (np.arange(24).reshape(2, 3, 4) % 7).astype(dtype)
        path = tmp_path / f"x_{dtype}.ft.gz"
        filetensor.write(str(path), b)
        np.testing.assert_array_equal(filetensor.read(str(path)), b)
        assert filetensor.read(str(path), slice(1, 2)).shape == (1, 3, 4)
    big = np.arange(5 * 6, dtype=np.float32).reshape(5, 1, 2, 3)
    filetensor.write(str(tmp_path / "big.ft"), big)
    lazy = filetensor.arraylike(str(tmp_path / "big.ft"))
    assert lazy.shape == (5, 1, 2, 3) and len(lazy) == 5
    np.testing.assert_array_equal(lazy[2:4], big[2:4])
    np.testing.assert_array_equal(lazy[4], big[4])


def test_bad_files_are_named(tmp_path):
    path = tmp_path / "bad.ft"
    path.write_bytes(handmade(0x1E3D4C55, (4, 4), b"\0" * 10))
    with pytest.raises(ConfigError, match="bad.ft.*truncated"):
        filetensor.read(str(path))
    path.write_bytes(struct.pack("<iiiii", 0x12345678, 1, 3, 1, 1))
    with pytest.raises(ConfigError, match="magic"):
        filetensor.read(str(path))
    with pytest.raises(DataNotFoundError):
        filetensor.read(str(tmp_path / "nope.ft"))
    with pytest.raises(ConfigError, match="dtype"):
        filetensor.write(io.BytesIO(), np.zeros(3, dtype=np.int64))


def write_norb(root, which, n, seed):
    folder = root / "norb_small" / "original"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    dat = rng.integers(0, 256, size=(n, 2, 96, 96), dtype=np.uint8)
    cat = rng.integers(0, 5, size=n).astype(np.int32)
    info = rng.integers(0, 9, size=(n, 4)).astype(np.int32)
    base = folder / PREFIX[which]
    (folder / f"{PREFIX[which]}-dat.mat").write_bytes(handmade(0x1E3D4C55, dat.shape, dat.tobytes()))
    (folder / f"{PREFIX[which]}-cat.mat").write_bytes(handmade(0x1E3D4C54, (n,), cat.astype("<i4").tobytes()))
    info_bytes = handmade(0x1E3D4C54, (n, 4), info.astype("<i4").tobytes())
    (folder / f"{PREFIX[which]}-info.mat").write_bytes(info_bytes)
    return dat, cat, info, base


def test_small_norb_reads_pairs_and_labels(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    dat, cat, info, _ = write_norb(tmp_path, "train", 6, 0)
    ds = SmallNORB("train")
    assert ds.X.shape == (6, 2 * 96 * 96) and ds.y_labels == 5
    np.testing.assert_array_equal(ds.y.reshape(-1), cat)
    topo = ds.get_topological_view()
    np.testing.assert_array_equal(topo[..., 0], dat.astype(np.float32))
    multi = SmallNORB("train", multi_target=True, stop=4)
    np.testing.assert_array_equal(multi.y, np.hstack([cat[:4, None], info[:4]]))
    with pytest.raises(ConfigError, match="which_set"):
        SmallNORB("valid")


def test_small_norb_truncated_file_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    write_norb(tmp_path, "test", 3, 1)
    dat = tmp_path / "norb_small" / "original" / f"{PREFIX['test']}-dat.mat"
    dat.write_bytes(dat.read_bytes()[:1000])
    with pytest.raises(ConfigError, match="testing-dat.mat"):
        SmallNORB("test")
