"""Reading MNIST's IDX files (plain or gzipped)."""

from __future__ import annotations

import gzip
import os
from functools import lru_cache

import numpy as np

from pylearn2.utils.exc import ModelFileError

_IMAGES_MAGIC, _LABELS_MAGIC = 2051, 2049


def _read(path: str) -> bytes:
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            return handle.read()
    except (OSError, EOFError) as err:
        raise ModelFileError(f"{path}: cannot read this MNIST file ({err}); it may be "
                             "corrupt or truncated: download it again.") from err


def _header(data: bytes, path: str, magic: int, ndim: int) -> list[int]:
    header = np.frombuffer(data[: 4 * (1 + ndim)], dtype=">i4") if len(data) >= 4 * (1 + ndim) \
        else np.array([], dtype=">i4")
    if len(header) < 1 + ndim or int(header[0]) != magic:
        raise ModelFileError(f"{path}: not an MNIST IDX file (expected magic number {magic}).")
    dims = [int(d) for d in header[1:]]
    expected = 4 * (1 + ndim) + int(np.prod(dims))
    if len(data) != expected:
        raise ModelFileError(f"{path}: expected {expected} bytes for shape {dims}, found "
                             f"{len(data)}; the file is truncated or corrupt.")
    return dims


@lru_cache(maxsize=8)
def _cached(path: str, mtime: float, kind: str) -> np.ndarray:
    data = _read(path)
    if kind == "images":
        n, rows, cols = _header(data, path, _IMAGES_MAGIC, 3)
        pixels = np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, rows, cols)
        images = pixels.astype(np.float32)
        images /= 255.0  # in place: one float32 copy of the set at the peak, not two
        return images
    (n,) = _header(data, path, _LABELS_MAGIC, 1)
    return np.frombuffer(data, dtype=np.uint8, offset=8).astype(np.int64)


def read_mnist_images(path: str) -> np.ndarray:
    """(N, rows, cols) float32 images scaled to [0, 1]; cached per process (read-only)."""
    return _cached(path, os.path.getmtime(path), "images")


def read_mnist_labels(path: str) -> np.ndarray:
    """(N,) int64 labels."""
    return _cached(path, os.path.getmtime(path), "labels")
