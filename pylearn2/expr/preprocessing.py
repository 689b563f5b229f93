"""Global contrast normalisation as a plain numpy function."""

from __future__ import annotations

import numpy as np

from pylearn2.utils.exc import ConfigError, ShapeError


def global_contrast_normalize(X: np.ndarray, scale: float = 1.0, subtract_mean: bool = True,
                              use_std: bool = False, sqrt_bias: float = 0.0,
                              min_divisor: float = 1e-8) -> np.ndarray:
    """Normalise each row: optionally subtract its mean, then divide by
    ``sqrt(sqrt_bias + var(row, ddof=1)) / scale`` (``use_std``) or by
    ``sqrt(sqrt_bias + sum(row**2)) / scale``. Divisors below ``min_divisor`` become 1, so
    constant rows stay finite."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ShapeError(f"global_contrast_normalize expects a 2-d design matrix (examples, "
                         f"features), got shape {X.shape}.")
    if scale <= 0 or sqrt_bias < 0:
        raise ConfigError(f"global_contrast_normalize needs scale > 0 and sqrt_bias >= 0, got "
                          f"scale={scale}, sqrt_bias={sqrt_bias}.")
    if subtract_mean:
        X = X - X.mean(axis=1, keepdims=True)
    if use_std:
        ddof = 1 if X.shape[1] > 1 else 0
        normalizers = np.sqrt(sqrt_bias + X.var(axis=1, ddof=ddof)) / scale
    else:
        normalizers = np.sqrt(sqrt_bias + (X ** 2).sum(axis=1)) / scale
    normalizers[normalizers < min_divisor] = 1.0
    return X / normalizers[:, None]
