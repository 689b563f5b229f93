"""Tile many small images into one grid picture (weights, examples, filters)."""

from __future__ import annotations

import math

import numpy as np

RESCALE_MODES = ("individual", "global", "none")


def rescale(images: np.ndarray, mode: str = "individual") -> np.ndarray:
    """Map values to [0, 1]: each image on its own, all together, or not at all
    (``'none'`` expects data in [-1, 1] and only shifts it)."""
    images = np.asarray(images, dtype=np.float64)
    if mode == "none":
        return np.clip((images + 1.0) / 2.0, 0.0, 1.0)
    if mode == "global":
        peak = np.abs(images).max()
        return (images / (peak if peak > 0 else 1.0) + 1.0) / 2.0
    if mode == "individual":
        flat = images.reshape(len(images), -1)
        peaks = np.abs(flat).max(axis=1)
        peaks[peaks == 0] = 1.0
        return ((flat / peaks[:, None] + 1.0) / 2.0).reshape(images.shape)
    raise ValueError(f"rescale mode must be one of {RESCALE_MODES}, got {mode!r}")


def make_grid(images: np.ndarray, rows: int | None = None, cols: int | None = None,
              border: bool = True, pad: int = 1) -> np.ndarray:
    """(N, r, c, ch) images with values in [0, 1] -> one (H, W, 3) uint8 picture."""
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 4:
        raise ValueError(f"expected images of shape (N, rows, cols, channels), got {images.shape}")
    n, r, c, ch = images.shape
    if ch == 1:
        images = np.repeat(images, 3, axis=3)
    elif ch != 3:
        images = np.repeat(images[..., :1], 3, axis=3)
    if cols is None:
        cols = int(math.ceil(math.sqrt(n))) if rows is None else int(math.ceil(n / rows))
    if rows is None:
        rows = int(math.ceil(n / cols))
    gap = pad if border else 0
    height, width = rows * r + (rows + 1) * gap, cols * c + (cols + 1) * gap
    canvas = np.full((height, width, 3), 0.5 if border else 0.0)
    for k in range(min(n, rows * cols)):
        i, j = divmod(k, cols)
        top, left = gap + i * (r + gap), gap + j * (c + gap)
        canvas[top:top + r, left:left + c] = images[k]
    return (np.clip(canvas, 0, 1) * 255).round().astype(np.uint8)


def save_png(picture: np.ndarray, path: str, scale: int | None = None) -> None:
    """Write a uint8 (H, W, 3) picture as PNG, enlarged by ``scale`` (auto: ~600 px wide)."""
    from PIL import Image

    if scale is None:
        scale = max(1, 600 // max(picture.shape[1], 1))
    image = Image.fromarray(picture)
    if scale > 1:
        image = image.resize((picture.shape[1] * scale, picture.shape[0] * scale), Image.NEAREST)
    image.save(path, format="PNG")
