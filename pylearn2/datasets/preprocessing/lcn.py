"""LeCun's local contrast normalisation as a plain function, and its Gaussian window.

``lecun_lcn`` follows the classic library's helper: each pixel loses the Gaussian-weighted
mean of its neighbourhood, and is divided by ``max(threshold, max(mean_norm, norm))``
where ``norm`` is the square root of the Gaussian-weighted sum of squares around it and
``mean_norm`` that norm's mean over the image. Neighbourhoods are zero-padded at the
borders. As in the classic helper, the sum of squares is taken of the raw pixels by
default; ``centered_norm=True`` takes it of the centred pixels (Jarrett et al. 2009).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from pylearn2.utils.exc import ConfigError, ShapeError


def gaussian_filter(kernel_shape: int, sigma: float = 2.0) -> np.ndarray:
    """A ``kernel_shape`` x ``kernel_shape`` Gaussian window (``sigma`` 2 by default),
    centred on pixel ``kernel_shape // 2`` and normalised to sum 1 (float32)."""
    if int(kernel_shape) < 1:
        raise ConfigError(f"gaussian_filter needs kernel_shape >= 1, got {kernel_shape}.")
    offsets = np.arange(int(kernel_shape)) - int(kernel_shape) // 2
    window = np.exp(-(offsets[:, None] ** 2 + offsets[None, :] ** 2) / (2.0 * sigma ** 2))
    return (window / window.sum()).astype(np.float32)


def lecun_lcn(input: np.ndarray, img_shape: Sequence[int], kernel_shape: int,
              threshold: float = 1e-4, centered_norm: bool = False) -> np.ndarray:
    """Normalise a batch of grey images (examples, rows, cols); returns the same shape."""
    X = np.asarray(input)
    rows, cols = (int(s) for s in img_shape)
    if X.ndim == 2:
        X = X.reshape(len(X), rows, cols)
    if X.shape[1:3] != (rows, cols):
        raise ShapeError(f"lecun_lcn: images of shape {X.shape[1:]} do not match img_shape "
                         f"{(rows, cols)}.")
    if int(kernel_shape) % 2 == 0:
        raise ConfigError(f"lecun_lcn needs an odd kernel_shape, got {kernel_shape}.")
    x = torch.as_tensor(X.reshape(len(X), 1, rows, cols), dtype=torch.float64)
    kernel = torch.as_tensor(gaussian_filter(kernel_shape), dtype=torch.float64)[None, None]
    pad = int(kernel_shape) // 2

    def smooth(v: torch.Tensor) -> torch.Tensor:
        return F.conv2d(v, kernel, padding=pad)

    centred = x - smooth(x)
    denom = torch.sqrt(smooth((centred if centered_norm else x) ** 2))
    per_image = denom.mean(dim=(2, 3), keepdim=True)
    divisor = torch.clamp(torch.maximum(per_image, denom), min=threshold)
    return (centred / divisor).reshape(X.shape[:3]).numpy().astype(X.dtype, copy=False)
