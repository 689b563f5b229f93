"""Patches cut at random from a folder of photographs (of any sizes).

:class:`ImagePatches` draws a fixed set of patches once (a DenseDesignMatrix, so
preprocessors such as GCN and ZCA apply and self-training models such as k-means can read
its design matrix). :class:`RandomImagePatches` draws new patches for every batch from a
seeded generator: an endless stream (``get_num_examples()`` is None) or epochs of
``num_patches`` fresh patches. Without a folder, scikit-learn's two bundled sample
photographs are used. Design rows are in the same channel-major (c01) order as
DenseDesignMatrix rows.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from pylearn2.datasets.dataset import Dataset
from pylearn2.datasets.dense_design_matrix import DefaultViewConverter, DenseDesignMatrix
from pylearn2.space import CompositeSpace, Conv2DSpace, Space, VectorSpace
from pylearn2.utils.exc import ConfigError, DataNotFoundError, ShapeError
from pylearn2.utils.iteration import is_stochastic, make_np_rng

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff")
B01C = ("b", 0, 1, "c")


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
            try:
                with Image.open(os.path.join(images, name)) as img:
                    loaded.append(np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0)
            except OSError as err:
                raise DataNotFoundError(f"{os.path.join(images, name)} is not a readable image "
                                        f"({err}).") from err
    if not rgb:
        loaded = [img.mean(axis=2, keepdims=True) for img in loaded]
    return loaded


def draw_patches(images: list[np.ndarray], patch_shape: Sequence[int], count: int,
                 rng: np.random.Generator) -> np.ndarray:
    """``count`` patches (b01c) drawn uniformly: an image, then a position inside it."""
    pr, pc = patch_shape
    for img in images:
        if img.shape[0] < pr or img.shape[1] < pc:
            raise ShapeError(f"An image of shape {img.shape[:2]} is smaller than the patch "
                             f"shape {tuple(patch_shape)}.")
    which = rng.integers(0, len(images), size=count)
    limits = np.array([[img.shape[0] - pr + 1, img.shape[1] - pc + 1] for img in images])
    corners = np.minimum((rng.random((count, 2)) * limits[which]).astype(np.int64),
                         limits[which] - 1)
    out = np.empty((count, pr, pc, images[0].shape[2]), dtype=np.float32)
    rows, cols = np.arange(pr)[None, :, None], np.arange(pc)[None, None, :]
    for k, img in enumerate(images):
        chosen = np.flatnonzero(which == k)
        if chosen.size:
            r0 = corners[chosen, 0][:, None, None]
            c0 = corners[chosen, 1][:, None, None]
            out[chosen] = img[r0 + rows, c0 + cols]
    return out


def _patch_shape(value: Sequence[int]) -> tuple[int, int]:
    shape = tuple(int(s) for s in value)
    if len(shape) != 2 or min(shape) < 1:
        raise ConfigError(f"patch_shape must be two positive integers [rows, cols], got {value!r}.")
    return shape  # type: ignore[return-value]


class ImagePatches(DenseDesignMatrix):
    """``num_patches`` random patches of ``patch_shape`` from ``images`` (a folder), drawn once."""

    def __init__(self, patch_shape: Sequence[int] = (6, 6), num_patches: int = 10000,
                 images: str | None = None, rgb: bool = True, seed: Any = (2014, 6, 6),
                 axes: Sequence[Any] = B01C, preprocessor: Any = None,
                 fit_preprocessor: bool = True) -> None:
        self.patch_shape = _patch_shape(patch_shape)
        patches = draw_patches(load_images(images, rgb), self.patch_shape, int(num_patches),
                               make_np_rng(seed))
        super().__init__(topo_view=Conv2DSpace.convert(patches, B01C, axes),
                         axes=axes, preprocessor=preprocessor, fit_preprocessor=fit_preprocessor)


class RandomImagePatches(Dataset):
    """Random ``patch_shape`` patches, freshly drawn for every batch.

    ``num_patches=None`` makes an endless stream: an iterator yields batches until
    ``num_batches`` (forever when that is None too), so a training algorithm must bound
    its epochs (e.g. SGD's ``batches_per_iter``). With ``num_patches`` an iterator yields
    one epoch of that many new patches (the last batch may be short).

    Draws come from the ``rng`` given to :meth:`iterator` (a training algorithm's
    Generator, so resuming it resumes the stream); otherwise from the dataset's generator
    seeded by ``seed`` for stochastic modes, and from a fresh generator with that seed for
    deterministic modes ('sequential'), so a monitor sees the same patches every pass.
    """

    def __init__(self, images: str | None = None, patch_shape: Sequence[int] = (6, 6),
                 num_patches: int | None = None, rgb: bool = True,
                 seed: Any = (2014, 6, 7)) -> None:
        self.patch_shape = _patch_shape(patch_shape)
        if num_patches is not None and int(num_patches) < 1:
            raise ConfigError(f"num_patches must be positive or null (endless), got "
                              f"{num_patches}.")
        self.num_patches = None if num_patches is None else int(num_patches)
        self.images = load_images(images, rgb)
        self.rgb, self.seed = rgb, seed
        self.view_converter = DefaultViewConverter(
            (*self.patch_shape, self.images[0].shape[2]), B01C)
        self.rng = make_np_rng(seed)

    def get_num_examples(self) -> int | None:
        return self.num_patches

    def has_targets(self) -> bool:
        return False

    def get_data_specs(self) -> tuple[Space, str]:
        return (VectorSpace(int(np.prod(self.view_converter.shape))), "features")

    def get_topological_view(self, mat: np.ndarray) -> np.ndarray:
        """Design rows (c01 order) as b01c images."""
        return self.view_converter.design_mat_to_topo_view(np.asarray(mat))

    def get_design_matrix(self, topo: Any = None) -> np.ndarray:
        if topo is None:
            raise ConfigError("RandomImagePatches has no fixed design matrix; use ImagePatches "
                              "for a fixed set of patches.")
        return self.view_converter.topo_view_to_design_mat(topo)

    def adjust_for_viewer(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X) * 2.0 - 1.0

    def state_dict(self) -> dict[str, Any]:
        return {"rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.rng.bit_generator.state = state["rng"]

    def draw(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """``count`` new patches as c01-ordered design rows."""
        patches = draw_patches(self.images, self.patch_shape, count, rng)
        return self.view_converter.topo_view_to_design_mat(patches, B01C)

    def iterator(self, mode: str | None = None, batch_size: int | None = None,
                 num_batches: int | None = None, rng: Any = None, data_specs: Any = None,
                 return_tuple: bool = False) -> PatchStream:
        specs = data_specs if data_specs is not None else self.get_data_specs()
        space, source = specs
        spaces = space.components if isinstance(space, CompositeSpace) else [space]
        sources = tuple(source) if isinstance(space, CompositeSpace) else (source,)
        if any(src != "features" for src in sources):
            raise ConfigError(f"RandomImagePatches provides only 'features', not {sources}; "
                              "patches have no targets.")
        width = int(np.prod(self.view_converter.shape))
        for wanted in spaces:
            if wanted.get_total_dimension() != width:
                raise ShapeError(f"The model expects features in {wanted}, but the patches have "
                                 f"{width} values ({self.view_converter.shape}).")
        batch_size, num_batches = self._sizes(batch_size, num_batches)
        if rng is None:
            stochastic = mode is None or is_stochastic(mode)
            rng = self.rng if stochastic else make_np_rng(self.seed)
        return PatchStream(self, batch_size, num_batches, make_np_rng(rng), spaces,
                           return_tuple or isinstance(space, CompositeSpace))

    def _sizes(self, batch_size: int | None, num_batches: int | None) -> tuple[int, int | None]:
        n = self.num_patches
        if batch_size is None:
            if n is None or num_batches is None:
                raise ConfigError("RandomImagePatches needs a batch_size (or num_patches and "
                                  "num_batches).")
            batch_size = math.ceil(n / num_batches)
        if int(batch_size) < 1:
            raise ConfigError(f"batch_size must be positive, got {batch_size}.")
        if num_batches is None and n is not None:
            num_batches = math.ceil(n / batch_size)
        return int(batch_size), num_batches


class PatchStream:
    """Yields batches of new patches; its state is the position and the generator state."""

    stochastic = True

    def __init__(self, owner: RandomImagePatches, batch_size: int, num_batches: int | None,
                 rng: np.random.Generator, spaces: list[Space], return_tuple: bool) -> None:
        self.owner, self.batch_size, self.num_batches = owner, batch_size, num_batches
        self.rng, self.spaces, self.return_tuple = rng, spaces, return_tuple
        self.position = 0

    def __iter__(self) -> PatchStream:
        return self

    def __next__(self) -> Any:
        if self.num_batches is not None and self.position >= self.num_batches:
            raise StopIteration
        count = self._count(self.position)
        self.position += 1
        rows = torch.from_numpy(self.owner.draw(count, self.rng))
        converter = self.owner.view_converter
        batch = tuple(converter.design_batch_to_topo(rows, space)
                      if isinstance(space, Conv2DSpace) else rows for space in self.spaces)
        return batch if self.return_tuple else batch[0]

    def _count(self, i: int) -> int:
        """Size of batch ``i``: full, except the one that completes ``num_patches``."""
        n = self.owner.num_patches
        left = None if n is None else n - i * self.batch_size
        return self.batch_size if left is None or left <= 0 else min(self.batch_size, left)

    @property
    def num_examples(self) -> int | None:
        if self.num_batches is None:
            return None
        return sum(self._count(i) for i in range(self.num_batches))

    @property
    def uneven(self) -> bool:
        n = self.num_examples
        return n is not None and n % self.batch_size != 0

    def state_dict(self) -> dict[str, Any]:
        return {"position": self.position, "rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.position = int(state["position"])
        self.rng.bit_generator.state = state["rng"]
