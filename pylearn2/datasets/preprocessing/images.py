"""Preprocessors on topological views (images): patches, windows, colour, local contrast.

They read the dataset's view in ('b', 0, 1, 'c') order and write one back, keeping the
dataset's own axes for later topological views.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pylearn2.datasets.preprocessing.base import (
    ExamplewisePreprocessor,
    Preprocessor,
    set_topo_b01c,
    topo_b01c,
)
from pylearn2.utils.exc import ConfigError, ShapeError
from pylearn2.utils.iteration import make_np_rng


def _pair(name: str, value: Sequence[int]) -> tuple[int, int]:
    pair = tuple(int(v) for v in value)
    if len(pair) != 2 or min(pair) < 1:
        raise ConfigError(f"{name} must be two positive integers [rows, cols], got {value!r}.")
    return pair  # type: ignore[return-value]


class _TopoPreprocessor(ExamplewisePreprocessor):
    """Maps the b01c view through :meth:`transform_topo`."""

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        set_topo_b01c(dataset, self.transform_topo(topo_b01c(dataset)))

    def transform_topo(self, V: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class ExtractPatches(Preprocessor):
    """Replace the dataset by ``num_patches`` random ``patch_shape`` patches of its images.

    Each patch comes from a uniformly drawn image at a uniformly drawn position; targets are
    dropped (a patch has no label). ``rng`` is a seed or a numpy Generator.
    """

    def __init__(self, patch_shape: Sequence[int], num_patches: int, rng: Any = None) -> None:
        self.patch_shape = _pair("ExtractPatches patch_shape", patch_shape)
        if int(num_patches) < 1:
            raise ConfigError(f"ExtractPatches num_patches must be positive, got {num_patches}.")
        self.num_patches = int(num_patches)
        self.rng = rng

    def is_fitted(self) -> bool:
        return True

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        V = topo_b01c(dataset)
        n, rows, cols, _ = V.shape
        pr, pc = self.patch_shape
        if pr > rows or pc > cols:
            raise ShapeError(f"ExtractPatches: patch {self.patch_shape} is larger than the images "
                             f"({rows}, {cols}).")
        rng = make_np_rng(self.rng, default_seed=(1, 2, 3))
        which = rng.integers(0, n, size=self.num_patches)
        r0 = rng.integers(0, rows - pr + 1, size=self.num_patches)
        c0 = rng.integers(0, cols - pc + 1, size=self.num_patches)
        rows_idx = (r0[:, None] + np.arange(pr))[:, :, None]
        cols_idx = (c0[:, None] + np.arange(pc))[:, None, :]
        patches = V[which[:, None, None], rows_idx, cols_idx]
        dataset.y = None
        set_topo_b01c(dataset, patches)


class ExtractGridPatches(_TopoPreprocessor):
    """All ``patch_shape`` patches on a grid with ``patch_stride``, image by image, row-major;
    targets are repeated for every patch of their image."""

    def __init__(self, patch_shape: Sequence[int], patch_stride: Sequence[int]) -> None:
        self.patch_shape = _pair("ExtractGridPatches patch_shape", patch_shape)
        self.patch_stride = _pair("ExtractGridPatches patch_stride", patch_stride)

    def transform_topo(self, V: np.ndarray) -> np.ndarray:
        n, rows, cols, ch = V.shape
        (pr, pc), (sr, sc) = self.patch_shape, self.patch_stride
        if pr > rows or pc > cols:
            raise ShapeError(f"ExtractGridPatches: patch {self.patch_shape} is larger than the "
                             f"images ({rows}, {cols}).")
        patches = [V[:, r:r + pr, c:c + pc, :] for r in range(0, rows - pr + 1, sr)
                   for c in range(0, cols - pc + 1, sc)]
        return np.stack(patches, axis=1).reshape(-1, pr, pc, ch)

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        before = dataset.get_num_examples()
        y = getattr(dataset, "y", None)
        dataset.y = None
        super().apply(dataset, can_fit)
        if y is not None:
            dataset.y = np.repeat(y, dataset.get_num_examples() // before, axis=0)


class ReassembleGridPatches(_TopoPreprocessor):
    """Inverse of :class:`ExtractGridPatches` with non-overlapping patches (stride = shape)."""

    def __init__(self, orig_shape: Sequence[int], patch_shape: Sequence[int]) -> None:
        self.orig_shape = _pair("ReassembleGridPatches orig_shape", orig_shape)
        self.patch_shape = _pair("ReassembleGridPatches patch_shape", patch_shape)
        if any(o % p for o, p in zip(self.orig_shape, self.patch_shape)):
            raise ConfigError(f"ReassembleGridPatches: image shape {self.orig_shape} must be a "
                              f"multiple of the patch shape {self.patch_shape}.")

    def _per_image(self) -> int:
        return (self.orig_shape[0] // self.patch_shape[0]) * \
            (self.orig_shape[1] // self.patch_shape[1])

    def transform_topo(self, V: np.ndarray) -> np.ndarray:
        (rows, cols), (pr, pc) = self.orig_shape, self.patch_shape
        if V.shape[1:3] != (pr, pc):
            raise ShapeError(f"ReassembleGridPatches: the patches are {V.shape[1:3]}, expected "
                             f"{self.patch_shape}.")
        if V.shape[0] % self._per_image():
            raise ShapeError(f"ReassembleGridPatches: {V.shape[0]} patches is not a multiple of "
                             f"{self._per_image()} per image.")
        grid = V.reshape(-1, rows // pr, cols // pc, pr, pc, V.shape[-1])
        return grid.transpose(0, 1, 3, 2, 4, 5).reshape(-1, rows, cols, V.shape[-1])

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        y = getattr(dataset, "y", None)
        dataset.y = None
        super().apply(dataset, can_fit)
        if y is not None:
            dataset.y = y[::self._per_image()]


class CentralWindow(_TopoPreprocessor):
    """Crop the central ``window_shape`` of every image."""

    def __init__(self, window_shape: Sequence[int]) -> None:
        self.window_shape = _pair("CentralWindow window_shape", window_shape)

    def transform_topo(self, V: np.ndarray) -> np.ndarray:
        rows, cols = V.shape[1:3]
        wr, wc = self.window_shape
        if wr > rows or wc > cols:
            raise ShapeError(f"CentralWindow {self.window_shape} is larger than the images "
                             f"({rows}, {cols}).")
        r0, c0 = (rows - wr) // 2, (cols - wc) // 2
        return V[:, r0:r0 + wr, c0:c0 + wc, :]


class Downsample(_TopoPreprocessor):
    """Keep every ``sampling_factor``-th row and column of every image."""

    def __init__(self, sampling_factor: Sequence[int]) -> None:
        self.sampling_factor = _pair("Downsample sampling_factor", sampling_factor)

    def transform_topo(self, V: np.ndarray) -> np.ndarray:
        fr, fc = self.sampling_factor
        return V[:, ::fr, ::fc, :]


class RGB_YUV(_TopoPreprocessor):
    """Convert RGB images to YUV (or back, with ``rgb_yuv=False``)."""

    TO_YUV = np.array([[0.299, 0.587, 0.114], [-0.14713, -0.28886, 0.436],
                       [0.615, -0.51499, -0.10001]])

    def __init__(self, rgb_yuv: bool = True, batch_size: int = 5000) -> None:
        self.rgb_yuv, self.batch_size = rgb_yuv, int(batch_size)

    def transform_topo(self, V: np.ndarray) -> np.ndarray:
        if V.shape[-1] != 3:
            raise ShapeError(f"RGB_YUV needs 3 channels, got {V.shape[-1]}.")
        matrix = (self.TO_YUV if self.rgb_yuv else np.linalg.inv(self.TO_YUV)).T
        out = np.empty(V.shape, dtype=np.float32)
        for start in range(0, len(V), self.batch_size):
            out[start:start + self.batch_size] = V[start:start + self.batch_size].astype(
                np.float64) @ matrix
        return out


class LeCunLCN(_TopoPreprocessor):
    """Local contrast normalisation per channel (Yann LeCun's): subtract a
    Gaussian-weighted local mean, then divide by the local norm, floored at its image
    mean and at ``threshold`` (so flat regions are not amplified).

    Parameters
    ----------
    img_shape : (rows, cols) of the images.
    kernel_size : odd width of the Gaussian window.
    batch_size : images normalised at a time (memory only; results do not depend on it).
    threshold : smallest divisor.
    channels : channels to normalise; by default the first three, as the original did
        (all of them for images with fewer).
    variant : ``'original'`` (default) is the original's formula, ``lcn.lecun_lcn``: a
        window of sigma 2, zero padding at the borders and the norm of the raw pixels.
        ``'centred_reflect'`` takes the norm of the centred pixels (Jarrett et al. 2009)
        with a window of sigma ``kernel_size / 4`` and reflected borders, so edge pixels
        are not darkened by the padding.
    """

    VARIANTS = ("original", "centred_reflect")

    def __init__(self, img_shape: Sequence[int], kernel_size: int = 7, batch_size: int = 5000,
                 threshold: float = 1e-4, channels: Sequence[int] | None = None,
                 variant: str = "original") -> None:
        self.img_shape = _pair("LeCunLCN img_shape", img_shape)
        if int(kernel_size) < 1 or int(kernel_size) % 2 == 0:
            raise ConfigError(f"LeCunLCN kernel_size must be odd and positive, got {kernel_size}.")
        if variant not in self.VARIANTS:
            raise ConfigError(f"LeCunLCN variant must be one of {self.VARIANTS}, got {variant!r}.")
        self.kernel_size, self.batch_size = int(kernel_size), int(batch_size)
        if self.batch_size < 1:
            raise ConfigError(f"LeCunLCN batch_size must be positive, got {batch_size}.")
        self.threshold = float(threshold)
        self.channels = None if channels is None else [int(c) for c in channels]
        self.variant = variant

    def kernel(self) -> np.ndarray:
        """The normalised Gaussian window of the chosen variant."""
        if self.variant == "original":
            from pylearn2.datasets.preprocessing.lcn import gaussian_filter

            return gaussian_filter(self.kernel_size).astype(np.float64)
        k = self.kernel_size
        x = np.arange(k) - (k - 1) / 2.0
        g = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * (k / 4.0) ** 2))
        return g / g.sum()

    def _normalise(self, x: Any) -> Any:
        """One channel of a batch, (batch, 1, rows, cols) float64 tensor."""
        import torch
        import torch.nn.functional as F

        pad = self.kernel_size // 2
        kernel = torch.from_numpy(self.kernel())[None, None]
        mode = "constant" if self.variant == "original" else "reflect"

        def smooth(v: Any) -> Any:
            return F.conv2d(F.pad(v, (pad,) * 4, mode=mode), kernel)

        centred = x - smooth(x)
        norm = smooth((x if self.variant == "original" else centred) ** 2).sqrt()
        floor = norm.mean(dim=(2, 3), keepdim=True)
        return centred / torch.clamp(torch.maximum(norm, floor), min=self.threshold)

    def transform_topo(self, V: np.ndarray) -> np.ndarray:
        import torch

        if V.shape[1:3] != self.img_shape:
            raise ShapeError(f"LeCunLCN img_shape {self.img_shape} does not match the images "
                             f"{V.shape[1:3]}.")
        if self.variant == "centred_reflect" and self.kernel_size // 2 >= min(self.img_shape):
            raise ConfigError(f"LeCunLCN kernel_size {self.kernel_size} is too large for images "
                              f"of shape {self.img_shape} with reflected borders.")
        out = V.astype(np.float32).copy()
        channels = self.channels if self.channels is not None else range(min(3, V.shape[-1]))
        for c in channels:
            if not 0 <= c < V.shape[-1]:
                raise ConfigError(f"LeCunLCN channels: {c} is not a channel of images with "
                                  f"{V.shape[-1]} channels.")
            for start in range(0, len(V), self.batch_size):
                x = torch.from_numpy(np.ascontiguousarray(
                    V[start:start + self.batch_size, :, :, c], dtype=np.float64))[:, None]
                out[start:start + self.batch_size, :, :, c] = self._normalise(x)[:, 0].numpy()
        return out
