"""Data augmentation by random windows and horizontal flips, redrawn after every epoch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pylearn2.space import Conv2DSpace
from pylearn2.train_extensions import TrainExtension
from pylearn2.utils.exc import ConfigError

B01C = ("b", 0, 1, "c")


class WindowAndFlip(TrainExtension):
    """Crop ``window_shape`` windows from the images of some datasets.

    ``randomize`` datasets get a new random window (and, with ``flip``, a random
    left-right flip) per image after every epoch; ``randomize_once`` datasets get one at
    the start; ``center`` datasets get the central window once (e.g. the test set).
    ``pad_randomized`` zero-pads the randomized images first, so windows may reach past
    the edge. The original images are kept, so every epoch draws from them afresh. The
    crops are vectorised numpy indexing (no compiled helpers); a resumed run holds the
    same windows as an uninterrupted one.
    """

    def __init__(self, window_shape: Sequence[int], randomize: Sequence[Any] | None = None,
                 randomize_once: Sequence[Any] | None = None, center: Sequence[Any] | None = None,
                 rng: Any = (2013, 2, 20), pad_randomized: int = 0, flip: bool = True) -> None:
        self.window_shape = tuple(int(s) for s in window_shape)
        self.randomize, self.randomize_once = list(randomize or []), list(randomize_once or [])
        self.center = list(center or [])
        self.pad_randomized, self.flip = int(pad_randomized), flip
        self.rng = np.random.default_rng([int(s) for s in np.atleast_1d(rng)])
        self._originals: dict[int, np.ndarray] = {}
        self._setup_state: dict | None = None
        self._draw_state: dict | None = None

    def _original(self, dataset: Any) -> np.ndarray:
        key = id(dataset)
        if key not in self._originals:
            if getattr(dataset, "view_converter", None) is None:
                raise ConfigError("WindowAndFlip needs datasets of images (a topological view).")
            view = Conv2DSpace.convert(dataset.get_topological_view(),
                                       dataset.view_converter.axes, B01C)
            rows, cols = view.shape[1:3]
            if self.window_shape[0] > rows + 2 * self.pad_randomized or \
                    self.window_shape[1] > cols + 2 * self.pad_randomized:
                raise ConfigError(f"WindowAndFlip window {self.window_shape} is larger than the "
                                  f"images ({rows}, {cols}).")
            self._originals[key] = view.copy()
        return self._originals[key]

    @staticmethod
    def _store(dataset: Any, view: np.ndarray) -> None:
        axes = dataset.view_converter.axes
        dataset.set_topological_view(np.ascontiguousarray(view), B01C)
        dataset.set_view_converter_axes(axes)

    def random_windows(self, images: np.ndarray) -> np.ndarray:
        pad = self.pad_randomized
        if pad:
            images = np.pad(images, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
        n, rows, cols, _ = images.shape
        wr, wc = self.window_shape
        r0 = self.rng.integers(0, rows - wr + 1, size=n)
        c0 = self.rng.integers(0, cols - wc + 1, size=n)
        out = images[np.arange(n)[:, None, None], r0[:, None, None] + np.arange(wr)[None, :, None],
                     c0[:, None, None] + np.arange(wc)[None, None, :]]
        if self.flip:
            flips = self.rng.uniform(size=n) < 0.5
            out[flips] = out[flips, :, ::-1]
        return out

    def central_windows(self, images: np.ndarray) -> np.ndarray:
        rows, cols = images.shape[1:3]
        wr, wc = self.window_shape
        r0, c0 = (rows - wr) // 2, (cols - wc) // 2
        return images[:, r0:r0 + wr, c0:c0 + wc]

    def setup(self, model: Any = None, dataset: Any = None, algorithm: Any = None,
              **kwargs: Any) -> None:
        self._setup_state = self.rng.bit_generator.state
        self._draw_state = None
        self._draw_setup()

    def _draw_setup(self) -> None:
        for ds in self.center:
            self._store(ds, self.central_windows(self._original(ds)))
        for ds in self.randomize_once + self.randomize:
            self._store(ds, self.random_windows(self._original(ds)))

    def on_monitor(self, **kwargs: Any) -> None:
        self._draw_state = self.rng.bit_generator.state
        self._draw_epoch()

    def _draw_epoch(self) -> None:
        for ds in self.randomize:
            self._store(ds, self.random_windows(self._original(ds)))

    def state_dict(self) -> dict[str, Any]:
        return {"rng": self.rng.bit_generator.state,
                "setup_state": self._setup_state, "draw_state": self._draw_state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the generator and, when set up, redraw the windows the datasets held
        when the state was saved (those of setup, then of the last monitor call)."""
        if self._setup_state is not None and state.get("setup_state"):
            self._setup_state, self._draw_state = state["setup_state"], state.get("draw_state")
            self.rng.bit_generator.state = self._setup_state
            self._draw_setup()
            if self._draw_state is not None:
                self.rng.bit_generator.state = self._draw_state
                self._draw_epoch()
        self.rng.bit_generator.state = state["rng"]
