"""Local receptive fields for S3C's initial weights (``S3C(local_rf_src=...)``).

Each hidden unit's weight column is an image of the dataset's shape that is zero except
in one rectangle: on a regular grid (``local_rf_stride``, every grid position getting
``nhid / positions`` units) or at random places with random sizes between
``local_rf_shape`` and ``local_rf_max_shape``. The rectangle holds U(-irange, irange)
noise, or (``local_rf_draw_patches``) the same rectangle of a randomly drawn example.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pylearn2.space import Conv2DSpace
from pylearn2.utils.exc import ConfigError


def _grid_rects(view: Sequence[int], shape: Sequence[int], stride: Sequence[int],
                nhid: int) -> list[tuple[int, int, int, int]]:
    last_row, last_col = view[0] - shape[0], view[1] - shape[1]
    if last_row < 0 or last_col < 0:
        raise ConfigError(f"S3C: local_rf_shape {tuple(shape)} does not fit in the "
                          f"{view[0]}x{view[1]} images of local_rf_src.")
    if last_row % stride[0] or last_col % stride[1]:
        raise ConfigError(f"S3C: local_rf_stride {tuple(stride)} does not step from the first "
                          f"to the last {tuple(shape)} patch of a {view[0]}x{view[1]} image.")
    rows, cols = last_row // stride[0] + 1, last_col // stride[1] + 1
    if nhid % (rows * cols):
        raise ConfigError(f"S3C: nhid ({nhid}) must be a multiple of the {rows * cols} "
                          "local receptive field positions.")
    per = nhid // (rows * cols)
    return [(r * stride[0], c * stride[1], shape[0], shape[1])
            for r in range(rows) for c in range(cols) for _ in range(per)]


def _random_rects(view: Sequence[int], shape: Sequence[int], max_shape: Sequence[int] | None,
                  nhid: int, rng: np.random.Generator) -> list[tuple[int, int, int, int]]:
    if max_shape is None:
        raise ConfigError("S3C: local_rf_src needs local_rf_stride (a grid) or "
                          "local_rf_max_shape (random sizes and places).")
    rects = []
    for _ in range(nhid):
        size = [int(rng.integers(lo, hi + 1)) for lo, hi in zip(shape, max_shape)]
        if size[0] > view[0] or size[1] > view[1]:
            raise ConfigError(f"S3C: local_rf_max_shape {tuple(max_shape)} exceeds the "
                              f"{view[0]}x{view[1]} images of local_rf_src.")
        top, left = (int(rng.integers(0, bound - width + 1)) for bound, width in zip(view, size))
        rects.append((top, left, size[0], size[1]))
    return rects


def local_rf_weights(src: Any, nhid: int, shape: Sequence[int], rng: np.random.Generator,
                     irange: float | None = None, stride: Sequence[int] | None = None,
                     max_shape: Sequence[int] | None = None,
                     draw_patches: bool = False) -> np.ndarray:
    """(nvis, nhid) initial weights with local receptive fields on ``src``'s images."""
    if shape is None:
        raise ConfigError("S3C: local_rf_src needs local_rf_shape (rows, cols).")
    view = tuple(int(s) for s in src.view_shape())
    if len(view) != 3:
        raise ConfigError(f"S3C: local_rf_src must have (rows, cols, channels) images; its "
                          f"view shape is {view}.")
    if not draw_patches and irange is None:
        raise ConfigError("S3C: random local receptive fields need irange (or set "
                          "local_rf_draw_patches: True).")
    if stride is not None:
        rects = _grid_rects(view, shape, stride, nhid)
    else:
        rects = _random_rects(view, shape, max_shape, nhid, rng)
    b01c = ("b", 0, 1, "c")
    images = None
    if draw_patches:
        images = Conv2DSpace.convert(np.asarray(src.get_topological_view(), dtype=float),
                                     src.view_converter.axes, b01c)
    W_img = np.zeros((nhid, *view))
    for unit, (top, left, rows, cols) in enumerate(rects):
        if draw_patches:
            example = images[int(rng.integers(0, len(images)))]
            patch = example[top:top + rows, left:left + cols, :]
        else:
            patch = rng.uniform(-irange, irange, (rows, cols, view[2]))
        W_img[unit, top:top + rows, left:left + cols, :] = patch
    return np.asarray(src.view_converter.topo_view_to_design_mat(W_img, axes=b01c), float).T


__all__ = ["local_rf_weights"]
