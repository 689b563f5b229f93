"""Weight initialisation schemes shared by the MLP layers (numpy RNG, then torch)."""

from __future__ import annotations

import numpy as np

from pylearn2.utils.exc import ConfigError


def make_rng(seed) -> np.random.Generator:
    """A numpy Generator from an int, a list of ints, a Generator or None (fixed default)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        seed = [2013, 1, 4]
    return np.random.default_rng(seed)


def init_weights(
    rng: np.random.Generator,
    shape: tuple[int, int],
    layer_name: str,
    irange: float | None = None,
    istdev: float | None = None,
    sparse_init: int | None = None,
    sparse_stdev: float = 1.0,
    allow_zero: bool = False,
) -> np.ndarray:
    """Draw a (input_dim, output_dim) weight matrix by exactly one scheme.

    ``irange``: uniform in [-irange, irange]; ``istdev``: normal with that deviation;
    ``sparse_init``: each output unit gets that many non-zero N(0, sparse_stdev^2)
    incoming weights. ``allow_zero`` makes "no scheme" mean all zeros (Softmax).
    """
    given = [n for n, v in (("irange", irange), ("istdev", istdev), ("sparse_init", sparse_init))
             if v is not None]
    if len(given) > 1:
        raise ConfigError(f"Layer {layer_name!r}: give only one of {', '.join(given)}.")
    n_in, n_out = shape
    if irange is not None:
        return rng.uniform(-irange, irange, size=shape)
    if istdev is not None:
        return rng.normal(0.0, istdev, size=shape)
    if sparse_init is not None:
        if sparse_init > n_in:
            raise ConfigError(
                f"Layer {layer_name!r}: sparse_init={sparse_init} exceeds the input size {n_in}."
            )
        W = np.zeros(shape)
        for j in range(n_out):
            rows = rng.choice(n_in, size=sparse_init, replace=False)
            W[rows, j] = rng.normal(0.0, sparse_stdev, size=sparse_init)
        return W
    if allow_zero:
        return np.zeros(shape)
    raise ConfigError(
        f"Layer {layer_name!r} needs an initialisation: set one of irange, istdev or sparse_init."
    )
