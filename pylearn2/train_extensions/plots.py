"""Plots of monitor channels written as PNG files while training runs.

``PlotManager`` (the extension) calls each ``Plotter`` every ``freq`` monitor calls;
``Plots`` draws chosen channels against epochs (or training seconds) and rewrites its
PNG atomically, so a viewer never sees a half-written file. An optional HTML page
shows all the PNGs together.
"""

from __future__ import annotations

import colorsys
import html
import logging
import math
import os
import stat
from collections.abc import Sequence
from typing import Any

import numpy as np

from pylearn2.train_extensions import TrainExtension
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.init_args import InitArgsMixin
from pylearn2.utils.serial import atomic_write

log = logging.getLogger(__name__)


def make_readable(fn: str) -> None:
    """Make ``fn`` readable by everyone (e.g. for a public_html folder)."""
    mode = os.stat(fn).st_mode
    os.chmod(fn, mode | stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)


def get_best_layout(n_plots: int) -> tuple[int, int]:
    """``(rows, cols)`` of the grid with the smallest perimeter holding ``n_plots``."""
    if n_plots < 1:
        raise ConfigError(f"get_best_layout needs at least one plot, got {n_plots}.")
    best = (1, n_plots)
    for rows in range(1, int(round(math.sqrt(n_plots))) + 1):
        cols = math.ceil(n_plots / rows)
        if rows + cols <= sum(best):
            best = (rows, cols)
    return best


def create_colors(n_colors: int) -> np.ndarray:
    """``n_colors`` RGB colours with evenly spaced hues (saturation 1, value 0.75)."""
    return np.array([colorsys.hsv_to_rgb(i / n_colors, 1.0, 0.75) for i in range(n_colors)])


class Plotter(InitArgsMixin):
    """Base class: ``setup(model, dataset, algorithm)`` once, ``plot()`` every ``freq``
    monitor calls (``freq=None`` takes the PlotManager's); ``filenames`` lists the
    files it writes."""

    def __init__(self, freq: int | None = None) -> None:
        self.freq = freq
        self.filenames: list[str] = []

    def setup(self, model: Any, dataset: Any, algorithm: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement setup.")

    def plot(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement plot.")

    def set_permissions(self, public: bool) -> None:
        if public:
            for filename in self.filenames:
                if os.path.exists(filename):
                    make_readable(filename)


class Plots(Plotter):
    """Plot ``channel_names`` in one figure written to ``save_path`` ('.png' is added
    when missing).

    Parameters
    ----------
    channel_names : the monitor channels to draw.
    save_path : the PNG file.
    share : the fraction of the most recent monitor calls shown (default 0.8).
    per_second : x axis in cumulated training seconds instead of epochs.
    freq : plot every ``freq`` monitor calls (default: the PlotManager's).
    """

    def __init__(self, channel_names: Sequence[str], save_path: str, share: float = 0.8,
                 per_second: bool = False, freq: int | None = None) -> None:
        super().__init__(freq)
        if not channel_names:
            raise ConfigError("Plots needs at least one channel name.")
        if not 0 < share <= 1:
            raise ConfigError(f"Plots share must be in (0, 1], got {share}.")
        self.save_path = save_path if save_path.endswith(".png") else save_path + ".png"
        self.filenames = [self.save_path]
        self.channel_names = list(channel_names)
        self.colors_rgb = create_colors(len(self.channel_names))
        self.share = float(share)
        self.per_second = per_second
        self.model = None

    def setup(self, model: Any, dataset: Any, algorithm: Any) -> None:
        self.model = model

    def _series(self) -> tuple[np.ndarray, np.ndarray]:
        channels = self.model.monitor.channels
        missing = [n for n in self.channel_names if n not in channels]
        if missing:
            raise ConfigError(f"Plots: no monitor channel(s) {missing}; known: {sorted(channels)}.")
        values = np.array([channels[n].val_record for n in self.channel_names], dtype=np.float64)
        start = values.shape[1] - int(math.ceil(values.shape[1] * self.share))
        values = values[:, start:]
        x = np.arange(start, start + values.shape[1], dtype=np.float64)
        if self.per_second:
            seconds = np.cumsum(channels["training_seconds_this_epoch"].val_record)
            x = seconds[start:start + values.shape[1]]
        return x, values

    def plot(self) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        x, values = self._series()
        figure = Figure(figsize=(6.4, 4.8))
        FigureCanvasAgg(figure)
        axes = figure.add_subplot(1, 1, 1)
        for row, name, color in zip(values, self.channel_names, self.colors_rgb):
            axes.plot(x, row, color=color, alpha=0.8, label=name, marker="." if len(x) < 30 else None)
        axes.legend()
        axes.set_xlabel("training seconds" if self.per_second else "epoch")
        if not self.per_second:
            from matplotlib.ticker import MaxNLocator

            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        if len(x) > 1:
            axes.set_xlim(x[0], x[-1])
        finite = values[np.isfinite(values)]
        if finite.size and finite.max() > finite.min():
            pad = 0.05 * (finite.max() - finite.min())
            axes.set_ylim(finite.min() - pad, finite.max() + pad)
        axes.grid(alpha=0.3)
        figure.tight_layout()
        atomic_write(self.save_path, lambda handle: figure.savefig(handle, format="png"),
                     on_overwrite="ignore")


class PlotManager(TrainExtension):
    """Runs ``plots`` (Plotter objects) every ``freq`` monitor calls (each plot may set
    its own ``freq``); ``public`` makes the files world-readable; ``html_path`` writes a
    page showing every plot (the PNGs should sit in the same folder). A plot that fails
    is reported in the log and training goes on."""

    def __init__(self, plots: Sequence[Plotter], freq: int, public: bool = True,
                 html_path: str | None = None) -> None:
        if int(freq) < 1:
            raise ConfigError(f"PlotManager freq must be >= 1, got {freq}.")
        self.plots = list(plots)
        self.freq = int(freq)
        for plot in self.plots:
            if plot.freq is None:
                plot.freq = self.freq
        self.public = public
        self.html_path = html_path
        self.filenames: list[str] = []
        self.count = 0

    def output_paths(self) -> list[str]:
        """Every plot's files and the HTML page."""
        paths = [f for plot in self.plots for f in getattr(plot, "filenames", [])]
        return paths + ([self.html_path] if self.html_path else [])

    def setup(self, model: Any = None, dataset: Any = None, algorithm: Any = None,
              **kwargs: Any) -> None:
        self.filenames = []
        for plot in self.plots:
            plot.setup(model, dataset, algorithm)
            self.filenames.extend(plot.filenames)
        if self.html_path is not None:
            body = "".join(f'\t\t<img src="{html.escape(os.path.basename(f))}"/><br/>\n'
                           for f in self.filenames)
            page = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                    '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en">\n'
                    f"\t<body>\n{body}\t</body>\n</html>\n")
            atomic_write(self.html_path, lambda h: h.write(page.encode()), on_overwrite="ignore")
            if self.public:
                make_readable(self.html_path)

    def on_monitor(self, model: Any = None, dataset: Any = None, algorithm: Any = None,
                   **kwargs: Any) -> None:
        self.count += 1
        for plot in self.plots:
            if self.count % plot.freq:
                continue
            try:
                plot.plot()
                plot.set_permissions(self.public)
            except Exception as exc:  # a broken plot must not stop training
                log.warning("%s failed: %s", type(plot).__name__, exc)

    def state_dict(self) -> dict[str, Any]:
        return {"count": self.count}
