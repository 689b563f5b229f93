"""Patches cut at random from a folder of photographs (of any sizes).

:class:`ImagePatches` draws a fixed number of patches once (a DenseDesignMatrix, so
preprocessors such as GCN and ZCA apply). :class:`RandomImagePatches` draws new patches
for every batch, forever, from a seeded generator: an endless stream whose length is
unknown (``get_num_examples()`` is None). Without a folder, scikit-learn's two bundled
sample photographs are used.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from pylearn2.datasets.dataset import Dataset
from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.space import Conv2DSpace, VectorSpace
from pylearn2.utils.exc import ConfigError, DataNotFoundError
from pylearn2.utils.iteration import make_np_rng

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff")


def load_images(images: str | None = None, rgb: bool = True) -> list[np.ndarray]:
    """Float32 images in [0, 1], (rows, cols, channels), from a folder or the sample photos."""
    if images is None:
        from sklearn.datasets import load_sample_images

        loaded = [np.asarray(img, dtype=np.float32) / 255.0 for img in load_sample_images().images]
    else:
        from PIL import Image

        if not os.path.isdir(images):
            raise DataNotFoundError(f"Image folder {images!r} does not exist.")
        names = sorted(n for n in os.listdir(images) if n.lower().endswith(IMAGE_SUFFIXES))
        if not names:
            raise DataNotFoundError(f"No images ({', '.join(IMAGE_SUFFIXES)}) in {images!r}.")
        loaded = []
        for name in names:
            with Image.open(os.path.join(images, name)) as img:
                loaded.append(np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0)
    if not rgb:
        loaded = [img.mean(axis=2, keepdims=True) for img in loaded]
    return loaded


def draw_patches(images: list[np.ndarray], patch_shape: Sequence[int], count: int,
                 rng: np.random.Generator) -> np.ndarray:
    """``count`` patches (b01c) drawn uniformly: an image, then a position inside it."""
    pr, pc = patch_shape
    for img in images:
        if img.shape[0] < pr or img.shape[1] < pc:
            raise ConfigError(f"An image of shape {img.shape[:2]} is smaller than the patch "
                              f"shape {tuple(patch_shape)}.")
    which = rng.integers(0, len(images), size=count)
    out = np.empty((count, pr, pc, images[0].shape[2]), dtype=np.float32)
    for i, k in enumerate(which):
        img = images[k]
        r = rng.integers(0, img.shape[0] - pr + 1)
        c = rng.integers(0, img.shape[1] - pc + 1)
        out[i] = img[r:r + pr, c:c + pc]
    return out


class ImagePatches(DenseDesignMatrix):
    """``num_patches`` random patches of ``patch_shape`` from ``images`` (a folder)."""

    def __init__(self, patch_shape: Sequence[int] = (6, 6), num_patches: int = 10000,
                 images: str | None = None, rgb: bool = True, seed: Any = (2014, 6, 6),
                 axes: Sequence[Any] = ("b", 0, 1, "c"), preprocessor: Any = None,
                 fit_preprocessor: bool = True) -> None:
        self.patch_shape = tuple(int(s) for s in patch_shape)
        patches = draw_patches(load_images(images, rgb), self.patch_shape, int(num_patches),
                               make_np_rng(seed))
        super().__init__(topo_view=Conv2DSpace.convert(patches, ("b", 0, 1, "c"), axes),
                         axes=axes, preprocessor=preprocessor, fit_preprocessor=fit_preprocessor)


class RandomImagePatches(Dataset):
    """An endless stream of random patches; every batch is freshly drawn."""

    def __init__(self, patch_shape: Sequence[int] = (6, 6), images: str | None = None,
                 rgb: bool = True, seed: Any = (2014, 6, 7)) -> None:
        self.patch_shape = tuple(int(s) for s in patch_shape)
        self.images = load_images(images, rgb)
        self.seed = seed
        channels = self.images[0].shape[2]
        self.topo_space = Conv2DSpace(self.patch_shape, num_channels=channels)
        self.rng = make_np_rng(seed)

    def get_num_examples(self) -> None:
        return None

    def has_targets(self) -> bool:
        return False

    def get_data_specs(self) -> Any:
        return (VectorSpace(self.topo_space.get_total_dimension()), "features")

    def iterator(self, mode: str | None = None, batch_size: int | None = None,
                 num_batches: int | None = None, rng: Any = None, data_specs: Any = None,
                 return_tuple: bool = False) -> Any:
        if batch_size is None:
            raise ConfigError("RandomImagePatches is an endless stream: give a batch_size.")
        space = (data_specs or self.get_data_specs())[0]
        return _PatchStream(self, batch_size, num_batches, make_np_rng(rng, self.seed)
                            if rng is not None else self.rng, space, return_tuple)


class _PatchStream:
    """Yields batches forever (or ``num_batches`` of them); state is the generator state."""

    stochastic = True

    def __init__(self, owner: RandomImagePatches, batch_size: int, num_batches: int | None,
                 rng: np.random.Generator, space: Any, return_tuple: bool) -> None:
        self.owner, self.batch_size, self.num_batches = owner, batch_size, num_batches
        self.rng, self.space, self.return_tuple = rng, space, return_tuple
        self.position = 0

    def __iter__(self) -> _PatchStream:
        return self

    def __next__(self) -> Any:
        if self.num_batches is not None and self.position >= self.num_batches:
            raise StopIteration
        self.position += 1
        patches = torch.from_numpy(draw_patches(self.owner.images, self.owner.patch_shape,
                                                self.batch_size, self.rng))
        batch = self.owner.topo_space.format_as(patches, self.space)
        return (batch,) if self.return_tuple else batch

    @property
    def num_examples(self) -> int | None:
        return None if self.num_batches is None else self.num_batches * self.batch_size

    def state_dict(self) -> dict[str, Any]:
        return {"position": self.position, "rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.position = state["position"]
        self.rng.bit_generator.state = state["rng"]
