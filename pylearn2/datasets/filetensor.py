"""The "filetensor" binary format (also NORB's binary matrix format).

A little-endian header of int32 values: a magic number naming the element type, the
number of dimensions ``ndim``, then ``max(3, ndim)`` sizes (unused ones are 1); the raw
elements follow in C order. Magic numbers: 0x1E3D4C51 float32, 0x1E3D4C53 float64,
0x1E3D4C54 int32, 0x1E3D4C55 uint8, 0x1E3D4C56 int16.
"""

from __future__ import annotations

import gzip
import os
from typing import Any, BinaryIO

import numpy as np

from pylearn2.utils.exc import ConfigError, DataNotFoundError

MAGIC_DTYPES = {0x1E3D4C51: "float32", 0x1E3D4C53: "float64", 0x1E3D4C54: "int32",
                0x1E3D4C55: "uint8", 0x1E3D4C56: "int16"}
DTYPE_MAGICS = {np.dtype(v): k for k, v in MAGIC_DTYPES.items()}


def _name(f: Any) -> str:
    return getattr(f, "name", None) or repr(f)


def _open(f: Any) -> tuple[BinaryIO, bool]:
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        if not os.path.isfile(path):
            raise DataNotFoundError(f"{path} does not exist.")
        opener = gzip.open if path.endswith(".gz") else open
        return opener(path, "rb"), True
    return f, False


def read_header(f: Any, debug: bool = False, fromgzip: bool | None = None
                ) -> tuple[np.dtype, int, int, tuple[int, ...], int]:
    """(dtype, element size, ndim, shape, number of elements) from an open file."""
    name = _name(f)
    raw = f.read(8)
    if len(raw) < 8:
        raise ConfigError(f"{name}: truncated filetensor header.")
    magic, ndim = (int(v) for v in np.frombuffer(raw, "<i4"))
    if magic not in MAGIC_DTYPES:
        raise ConfigError(f"{name}: unknown filetensor magic number {magic:#x}; not a "
                          "filetensor / NORB binary matrix file.")
    if not 0 <= ndim <= 16:
        raise ConfigError(f"{name}: implausible number of dimensions {ndim}.")
    count = max(3, ndim)
    raw = f.read(4 * count)
    if len(raw) < 4 * count:
        raise ConfigError(f"{name}: truncated filetensor header.")
    shape = tuple(int(v) for v in np.frombuffer(raw, "<i4"))[:ndim]
    dtype = np.dtype(MAGIC_DTYPES[magic]).newbyteorder("<")
    return dtype, dtype.itemsize, ndim, shape, int(np.prod(shape, dtype=np.int64))


def read(f: Any, subtensor: Any = None, debug: bool = False) -> np.ndarray:
    """The array stored in ``f`` (a path, optionally .gz, or an open binary file);
    ``subtensor`` (a slice) keeps those rows of the first dimension."""
    handle, close = _open(f)
    name = _name(handle) if not isinstance(f, (str, os.PathLike)) else os.fspath(f)
    try:
        dtype, size, ndim, shape, n = read_header(handle)
        if subtensor is not None:
            start, stop, step = subtensor.indices(shape[0]) if shape else (0, 0, 1)
            row = int(np.prod(shape[1:], dtype=np.int64))
            handle.seek(handle.tell() + start * row * size)  # gzip files seek forward too
            rows = len(range(start, stop))
            data = handle.read(rows * row * size)
            shape = (rows,) + shape[1:]
            n = rows * row
        else:
            data = handle.read(n * size)
        if len(data) < n * size:
            raise ConfigError(f"{name}: truncated filetensor data ({len(data)} of {n * size} "
                              "bytes); the file is incomplete.")
        out = np.frombuffer(data, dtype=dtype, count=n).reshape(shape)
        if subtensor is not None and subtensor.step not in (None, 1):
            out = out[::subtensor.step]
        return out.astype(dtype.newbyteorder("="))
    finally:
        if close:
            handle.close()


def write(f: Any, mat: np.ndarray) -> None:
    """Write ``mat`` (float32/float64/int32/uint8/int16) to ``f`` (a path or binary file)."""
    mat = np.asarray(mat)
    if mat.dtype.newbyteorder("=") not in DTYPE_MAGICS:
        raise ConfigError(f"filetensor cannot store dtype {mat.dtype}; use one of "
                          f"{sorted(str(d) for d in DTYPE_MAGICS)}.")
    dims = list(mat.shape) + [1] * max(0, 3 - mat.ndim)
    header = np.array([DTYPE_MAGICS[mat.dtype.newbyteorder('=')], mat.ndim] + dims, "<i4")
    body = np.ascontiguousarray(mat).astype(mat.dtype.newbyteorder("<")).tobytes()
    if isinstance(f, (str, os.PathLike)):
        opener = gzip.open if os.fspath(f).endswith(".gz") else open
        with opener(f, "wb") as handle:
            handle.write(header.tobytes() + body)
    else:
        f.write(header.tobytes() + body)


class arraylike:  # noqa: N801 (the original's name)
    """Lazy view of a (non-compressed) filetensor file: ``shape``, ``dtype`` and
    ``a[i:j]`` read only the requested rows."""

    def __init__(self, f: Any) -> None:
        self.path = os.fspath(f)
        with open(self.path, "rb") as handle:
            self.dtype, _, self.ndim, self.shape, _ = read_header(handle)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index: Any) -> np.ndarray:
        if isinstance(index, int):
            return read(self.path, slice(index, index + 1))[0]
        if isinstance(index, slice):
            return read(self.path, index)
        raise ConfigError("arraylike supports an integer or a slice of the first dimension.")


__all__ = ["arraylike", "read", "read_header", "write"]
