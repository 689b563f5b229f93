"""Tile many small images into one grid picture (weights, examples, filters).

``make_grid``/``rescale``/``save_png`` are the functions the command-line tools use;
:class:`PatchViewer` and :func:`make_viewer` keep the original library's interface
(add patches one at a time, each scaled on its own by default, then ``save``/``show``).
Values are drawn with 0 as mid grey, negative darker and positive lighter.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from pylearn2.utils.serial.write_guard import check_yaml_write

RESCALE_MODES = ("individual", "global", "none")
# A border that cannot be mistaken for a weight: grey is zero, black/white are the extremes.
BORDER_COLOUR = (0.16, 0.27, 0.55)
MIN_TILE_PIXELS = 56  # pictures are enlarged until each tile is at least this wide
MAX_PICTURE_PIXELS = 2400


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
              border: bool = True, pad: int = 1,
              border_colour: Sequence[float] | float | None = None) -> np.ndarray:
    """(N, r, c, ch) images with values in [0, 1] -> one (H, W, 3) uint8 picture.

    The gaps between tiles take ``border_colour`` (RGB in [0, 1]; default a dark blue
    that no weight maps to); ``border=False`` packs the tiles with no gap."""
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
    colour = BORDER_COLOUR if border_colour is None else border_colour
    canvas = np.empty((height, width, 3))
    canvas[:] = np.broadcast_to(np.asarray(colour, dtype=np.float64), (3,))
    for k in range(min(n, rows * cols)):
        i, j = divmod(k, cols)
        top, left = gap + i * (r + gap), gap + j * (c + gap)
        canvas[top:top + r, left:left + c] = images[k]
    return (np.clip(canvas, 0, 1) * 255).round().astype(np.uint8)


def auto_scale(width: int, tile: int | None = None) -> int:
    """How much to enlarge a picture: until tiles are MIN_TILE_PIXELS wide (or the whole
    picture about 600 px), never past MAX_PICTURE_PIXELS."""
    wanted = max(1, 600 // max(width, 1))
    if tile:
        wanted = max(wanted, math.ceil(MIN_TILE_PIXELS / tile))
    return max(1, min(wanted, MAX_PICTURE_PIXELS // max(width, 1)))


def save_png(picture: np.ndarray, path: str, scale: int | None = None,
             tile: int | None = None) -> None:
    """Write a uint8 (H, W, 3) picture as PNG, enlarged by ``scale`` (default
    :func:`auto_scale`, given the width of one ``tile`` when known)."""
    from PIL import Image

    check_yaml_write(path, "save_png")
    if scale is None:
        scale = auto_scale(picture.shape[1], tile)
    image = Image.fromarray(picture)
    if scale > 1:
        image = image.resize((picture.shape[1] * scale, picture.shape[0] * scale), Image.NEAREST)
    image.save(path, format="PNG")


# -- the original library's interface ------------------------------------------------------
def pick_shape(n: int, exact: bool = False) -> tuple[int, int]:
    """A (rows, cols) grid for ``n`` items: the most square one that fits them, or with
    ``exact`` the most square factorisation of ``n`` itself."""
    n = int(n)
    if n < 1:
        raise ValueError(f"pick_shape needs a positive number of items, got {n}")
    if exact:
        rows = max(r for r in range(1, math.isqrt(n) + 1) if n % r == 0)
        return rows, n // rows
    cols = math.ceil(math.sqrt(n))
    return math.ceil(n / cols), cols


class PatchViewer:
    """A grid of image patches, added left to right and top to bottom.

    Parameters
    ----------
    grid_shape : (rows, cols)
        Patches per column and row.
    patch_shape : (rows, cols)
        Pixels per patch; smaller patches are centred in their cell.
    is_color : bool
        Patches are RGB (rows, cols, 3) instead of grey (rows, cols[, 1]).
    pad : (int, int), optional
        Pixels between patches vertically and horizontally (default (5, 5)).
    background : float or RGB triple, optional
        Colour of the gaps in the patch convention ([-1, 1], 0 mid grey; the default),
        so an RGB triple such as (-0.7, -0.45, 0.1) gives a border no weight shares.
    """

    def __init__(self, grid_shape: Sequence[int], patch_shape: Sequence[int],
                 is_color: bool = False, pad: Sequence[int] | None = None,
                 background: Any = None) -> None:
        for what, shape in (("grid_shape", grid_shape), ("patch_shape", patch_shape)):
            if len(shape) != 2 or not all(isinstance(v, (int, np.integer)) for v in shape):
                raise ValueError(f"{what} must be a pair of ints, got {shape!r}")
        self.grid_shape = (int(grid_shape[0]), int(grid_shape[1]))
        self.patch_shape = (int(patch_shape[0]), int(patch_shape[1]))
        self.is_color = bool(is_color)
        self.pad = (5, 5) if pad is None else (int(pad[0]), int(pad[1]))
        self.background = 0.0 if background is None else background
        self.image = np.zeros(self._size() + (3,))
        self.clear()

    def _size(self) -> tuple[int, int]:
        (gr, gc), (pr, pc), (dr, dc) = self.grid_shape, self.patch_shape, self.pad
        return dr * (gr + 1) + gr * pr, dc * (gc + 1) + gc * pc

    def clear(self) -> None:
        """Fill with the background and start again at the top left."""
        self.image[:] = np.broadcast_to(np.asarray(self.background, dtype=np.float64) * 0.5 + 0.5,
                                        (3,))
        self.cur_pos = (0, 0)

    def add_patch(self, patch: Any, rescale: bool = True, recenter: bool = True,
                  activation: Any = None, warn_blank_patch: bool = True) -> None:
        """Add one patch. ``rescale`` maps its own largest magnitude to black/white (else
        values must lie in [-1, 1]); ``activation`` (a number in [0, 1] or a few) draws
        coloured frames around it. A full viewer starts over at the top left."""
        patch = np.asarray(patch, dtype=np.float64)
        if patch.ndim == 2:
            patch = patch[:, :, None]
        channels = 3 if self.is_color else 1
        if patch.ndim != 3 or patch.shape[2] != channels:
            wanted = "colour (rows, cols, 3)" if self.is_color else \
                "grey (rows, cols) or (rows, cols, 1)"
            raise ValueError(f"expected a {wanted} patch, got {patch.shape}")
        if not np.isfinite(patch).all():
            raise ValueError("the patch contains NaN or Inf")
        if warn_blank_patch and patch.min() == patch.max() and (rescale or patch.min() == 0):
            warnings.warn("displaying a blank patch (all values equal)", stacklevel=2)
        rows, cols = patch.shape[:2]
        if rows > self.patch_shape[0] or cols > self.patch_shape[1] or \
                (not recenter and (rows, cols) != self.patch_shape):
            raise ValueError(f"patch of shape {(rows, cols)} does not fit cells of "
                             f"{self.patch_shape}")
        if rescale:
            peak = np.abs(patch).max()
            patch = patch / peak if peak > 0 else patch
        elif patch.min() < -1 or patch.max() > 1:
            raise ValueError(f"with rescale=False values must lie in [-1, 1], got "
                             f"[{patch.min():g}, {patch.max():g}]")
        shown = np.clip(patch * 0.5 + 0.5, 0.0, 1.0)
        top = self.pad[0] + self.cur_pos[0] * (self.patch_shape[0] + self.pad[0]) + \
            (self.patch_shape[0] - rows) // 2
        left = self.pad[1] + self.cur_pos[1] * (self.patch_shape[1] + self.pad[1]) + \
            (self.patch_shape[1] - cols) // 2
        self.image[top:top + rows, left:left + cols] = shown
        if activation is not None:
            self._frame(top, left, rows, cols, activation)
        r, c = self.cur_pos[0], self.cur_pos[1] + 1
        if c == self.grid_shape[1]:
            r, c = r + 1, 0
        self.cur_pos = (0, 0) if r == self.grid_shape[0] else (r, c)

    _FRAME_COLOURS = ((1.0, 1.0, 0.0), (1.0, 0.0, 1.0), (0.0, 1.0, 0.0))

    def _frame(self, top: int, left: int, rows: int, cols: int, activation: Any) -> None:
        amounts = activation if isinstance(activation, (list, tuple)) else (activation,)
        for shell, amount in enumerate(amounts):
            if amount < 0:
                continue
            colour = float(amount) * np.asarray(self._FRAME_COLOURS[shell % 3])
            t, b = top - shell - 1, top + rows + shell
            lft, rgt = left - shell - 1, left + cols + shell
            if t < 0 or lft < 0 or b >= self.image.shape[0] or rgt >= self.image.shape[1]:
                raise ValueError("pad is too small for this many activation frames")
            self.image[t, lft:rgt + 1] = colour
            self.image[b, lft:rgt + 1] = colour
            self.image[t:b + 1, lft] = colour
            self.image[t:b + 1, rgt] = colour

    def get_img(self) -> Any:
        """The picture as a PIL image."""
        from PIL import Image

        return Image.fromarray((self.image * 255.0).round().astype(np.uint8))

    def save(self, path: str) -> None:
        check_yaml_write(path, "PatchViewer.save")
        self.get_img().save(path)

    def show(self) -> None:
        """Open the picture in a window (matplotlib)."""
        import matplotlib.pyplot as plt

        plt.figure()
        plt.imshow(self.image, interpolation="nearest")
        plt.axis("off")
        plt.show()

    pick_shape = staticmethod(pick_shape)


def make_viewer(mat: Any, grid_shape: Sequence[int] | None = None,
                patch_shape: Sequence[int] | None = None, activation: Any = None,
                pad: Sequence[int] | None = None, is_color: bool = False,
                rescale: bool = True) -> PatchViewer:
    """A PatchViewer holding one patch per row of ``mat`` (or per image of a
    (N, rows, cols, channels) array), each scaled on its own when ``rescale``."""
    mat = np.asarray(mat)
    if mat.ndim == 4:
        patches = mat
        is_color = mat.shape[3] > 1
    elif mat.ndim == 2:
        channels = 3 if is_color else 1
        if mat.shape[1] % channels:
            raise ValueError(f"rows of {mat.shape[1]} values cannot hold {channels} channels")
        if patch_shape is None:
            patch_shape = pick_shape(mat.shape[1] // channels, exact=True)
        rows, cols = int(patch_shape[0]), int(patch_shape[1])
        if rows * cols * channels != mat.shape[1]:
            raise ValueError(f"patch_shape {tuple(patch_shape)} with {channels} channel(s) does "
                             f"not hold rows of {mat.shape[1]} values")
        patches = mat.reshape(len(mat), rows, cols, channels)  # b01c order
    else:
        raise ValueError(f"expected a matrix or a (N, rows, cols, channels) array, got {mat.shape}")
    grid = tuple(grid_shape) if grid_shape is not None else pick_shape(len(patches))
    viewer = PatchViewer(grid, patches.shape[1:3], is_color=is_color, pad=pad)
    for i, patch in enumerate(patches):
        act = None
        if activation is not None:
            act = [a[i] for a in activation] if hasattr(activation[0], "__iter__") \
                else activation[i]
        viewer.add_patch(patch, rescale=rescale, activation=act)
    return viewer
