"""Retina-like ("foveated") coding of images: the centre is kept at full resolution,
concentric square rings around it are average-pooled in blocks.

With ring widths ``rings = (r1, r2, ...)`` (outermost first), ring k is a frame of
width ``r_k`` around what the previous rings leave. Each channel is coded as: the dense
centre (row-major), then for each ring its blocks of ``r_k x r_k`` pixels, averaged, in
the order left column (top to bottom), right column, top row (left to right, between the
columns), bottom row. Decoding puts each block's mean back on all its pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pylearn2.blocks import Block
from pylearn2.datasets.dense_design_matrix import DefaultViewConverter
from pylearn2.utils.exc import ConfigError


def _ring_rects(img_h: int, img_w: int, coord: int, width: int) -> list[tuple[int, int, int, int]]:
    """The four rectangles (start_row, start_col, end_row, end_col) of one ring."""
    return [(coord, coord, img_h - coord, coord + width),                     # left column
            (coord, img_w - coord - width, img_h - coord, img_w - coord),     # right column
            (coord, coord + width, coord + width, img_w - coord - width),     # top row
            (img_h - coord - width, coord + width, img_h - coord, img_w - coord - width)]


def downsample_rect(img: np.ndarray, start_row: int, start_col: int, end_row: int,
                    end_col: int, width: int, output: np.ndarray, start_idx: int) -> int:
    """Write the means of the ``width``-square blocks of ``img[:, rows, cols]`` (batch,
    rows, cols) into ``output[:, start_idx:]``; returns the next free column."""
    idx = start_idx
    for i in range(start_row, end_row - width + 1, width):
        for j in range(start_col, end_col - width + 1, width):
            output[:, idx] = img[:, i:i + width, j:j + width].mean(axis=(1, 2))
            idx += 1
    return idx


def downsample_ring(img: np.ndarray, coord: int, width: int, output: np.ndarray,
                    start_idx: int) -> int:
    for rect in _ring_rects(img.shape[1], img.shape[2], coord, width):
        start_idx = downsample_rect(img, *rect, width, output, start_idx)
    return start_idx


def restore_rect(output: np.ndarray, start_row: int, start_col: int, stop_row: int,
                 stop_col: int, width: int, dense_input: np.ndarray, start_idx: int) -> int:
    idx = start_idx
    for i in range(start_row, stop_row - width + 1, width):
        for j in range(start_col, stop_col - width + 1, width):
            output[:, i:i + width, j:j + width] = dense_input[:, idx][:, None, None]
            idx += 1
    return idx


def restore_ring(output: np.ndarray, coord: int, width: int, dense_input: np.ndarray,
                 start_idx: int) -> int:
    for rect in _ring_rects(output.shape[1], output.shape[2], coord, width):
        start_idx = restore_rect(output, *rect, width, dense_input, start_idx)
    return start_idx


def foveate_channel(img: np.ndarray, rings: Sequence[int], output: np.ndarray,
                    start_idx: int) -> int:
    """Code one channel (batch, rows, cols) into ``output[:, start_idx:]``."""
    w = int(np.sum(rings))
    inner = img[:, w:img.shape[1] - w, w:img.shape[2] - w].reshape(len(output), -1)
    output[:, start_idx:start_idx + inner.shape[1]] = inner
    idx, coord = start_idx + inner.shape[1], 0
    for r in rings:
        idx = downsample_ring(img, coord, r, output, idx)
        coord += r
    return idx


def defoveate_channel(img: np.ndarray, rings: Sequence[int], dense_input: np.ndarray,
                      start_idx: int) -> int:
    """Decode one channel from ``dense_input[:, start_idx:]`` into ``img`` (in place)."""
    w = int(np.sum(rings))
    inner_h, inner_w = img.shape[1] - 2 * w, img.shape[2] - 2 * w
    end = start_idx + inner_h * inner_w
    img[:, w:w + inner_h, w:w + inner_w] = dense_input[:, start_idx:end].reshape(-1, inner_h, inner_w)
    idx, coord = end, 0
    for r in rings:
        idx = restore_ring(img, coord, r, dense_input, idx)
        coord += r
    return idx


def get_encoded_size(img_h: int, img_w: int, rings: Sequence[int]) -> int:
    """Number of values per channel after coding."""
    total = 0
    for r in rings:
        if img_h % r or img_w % r:
            raise ConfigError(f"Image height {img_h} or width {img_w} is not a multiple of the "
                              f"ring size {r}.")
        total += 2 * img_h // r + 2 * (img_w - 2 * r) // r
        img_h, img_w = img_h - 2 * r, img_w - 2 * r
    if img_h < 0 or img_w < 0:
        raise ConfigError(f"The rings {tuple(rings)} are wider than the image.")
    return total + img_h * img_w


def encode(topo_X: np.ndarray, rings: Sequence[int]) -> np.ndarray:
    """(batch, rows, cols, channels) images -> coded design rows (channel after channel)."""
    batch, h, w, chans = topo_X.shape
    output = np.zeros((batch, get_encoded_size(h, w, rings) * chans))
    idx = 0
    for c in range(chans):
        idx = foveate_channel(topo_X[..., c], rings, output, idx)
    return output


def decode(dense_X: np.ndarray, img_shp: Sequence[int], rings: Sequence[int]) -> np.ndarray:
    """Coded rows -> (batch, rows, cols, channels) images of shape ``img_shp``."""
    rows, cols, chans = (int(s) for s in img_shp)
    expected = get_encoded_size(rows, cols, rings) * chans
    if dense_X.shape[1] != expected:
        raise ConfigError(f"Coded rows have {dense_X.shape[1]} values; images {tuple(img_shp)} "
                          f"with rings {tuple(rings)} need {expected}.")
    output = np.zeros((len(dense_X), rows, cols, chans))
    idx = 0
    for c in range(chans):
        channel = np.zeros((len(dense_X), rows, cols))
        idx = defoveate_channel(channel, rings, dense_X, idx)
        output[..., c] = channel
    return output


class RetinaEncodingBlock(Block):
    """Preprocessing: replace a dataset's images by their retina code."""

    def __init__(self, rings: Sequence[int]) -> None:
        super().__init__()
        self.rings = tuple(int(r) for r in rings)

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        dataset.set_design_matrix(encode(dataset.get_topological_view(), self.rings).astype(np.float32))


class RetinaDecodingBlock(Block):
    """Preprocessing: replace coded rows by the decoded images."""

    def __init__(self, img_shp: Sequence[int], rings: Sequence[int]) -> None:
        super().__init__()
        self.img_shp, self.rings = tuple(img_shp), tuple(int(r) for r in rings)

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        dataset.set_topological_view(self.perform(dataset.get_design_matrix()))

    def perform(self, X: np.ndarray) -> np.ndarray:
        return decode(np.asarray(X), self.img_shp, self.rings)


class RetinaCodingViewConverter(DefaultViewConverter):
    """A view converter between retina-coded design rows and (b, 0, 1, c) images."""

    def __init__(self, shape: Sequence[int], rings: Sequence[int]) -> None:
        super().__init__(shape, ("b", 0, 1, "c"))
        self.rings = tuple(int(r) for r in rings)
        self.decoder = RetinaDecodingBlock(shape, rings)
        self.encoder = RetinaEncodingBlock(rings)

    def design_mat_to_topo_view(self, X: np.ndarray) -> np.ndarray:
        return self.decoder.perform(X)

    def topo_view_to_design_mat(self, V: np.ndarray, axes: Any = None) -> np.ndarray:
        return encode(np.asarray(V), self.rings)


__all__ = ["RetinaCodingViewConverter", "RetinaDecodingBlock", "RetinaEncodingBlock", "decode",
           "defoveate_channel", "downsample_rect", "downsample_ring", "encode",
           "foveate_channel", "get_encoded_size", "restore_rect", "restore_ring"]
