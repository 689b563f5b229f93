"""Random image pairs related by a shift, for gated autoencoders (the gated-autoencoder
tutorial's data): x is a random binary image, y the same image shifted."""

from __future__ import annotations

from typing import Any

import numpy as np

from pylearn2.datasets.vector_spaces_dataset import VectorSpacesDataset
from pylearn2.space import CompositeSpace, Conv2DSpace
from pylearn2.utils.exc import ConfigError


class ShiftedPairs(VectorSpacesDataset):
    """``num_examples`` pairs of ``region x region`` images; each y is x rolled by a random
    shift of up to ``max_shift`` pixels along each axis (wrapping round). Sources
    'featuresX' and 'featuresY' (Conv2DSpace, axes b01c); ``shifts`` records each pair's
    (row, column) shift.
    """

    def __init__(self, num_examples: int, region: int = 13, max_shift: int = 3,
                 density: float = 0.1, seed: Any = (2014, 3, 1)) -> None:
        if int(max_shift) < 0 or int(max_shift) >= int(region):
            raise ConfigError(f"ShiftedPairs: max_shift must be in [0, region), got {max_shift}.")
        rng = np.random.default_rng([int(s) for s in np.atleast_1d(seed)])
        n, r = int(num_examples), int(region)
        x = (rng.uniform(size=(n, r, r, 1)) < density).astype(np.float32)
        shifts = rng.integers(-int(max_shift), int(max_shift) + 1, size=(n, 2))
        y = np.stack([np.roll(img, tuple(s), axis=(0, 1)) for img, s in zip(x, shifts)])
        space = CompositeSpace([Conv2DSpace((r, r), 1), Conv2DSpace((r, r), 1)])
        self.shifts = shifts
        super().__init__(data=(x, y), data_specs=(space, ("featuresX", "featuresY")))


__all__ = ["ShiftedPairs"]
