"""``browse_norb.py --which_norb small --which_set train --azimuth 4 --out pairs.png``.

NORB's images are indexed by their labels (category, instance, elevation, azimuth,
lighting; big NORB adds six jitter labels). The classic browser chose label values
with the arrow keys and showed one stereo pair at a time; this command takes the values
as options (any left out may vary), writes the matching pairs as one PNG (left image,
then right; swapped with ``--stereo_viewer`` for cross-eyed viewing) and prints each
pair's labels. ``browse_small_norb.py`` and ``step_through_small_norb.py`` are the same
tool on the small set.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import numpy as np

from pylearn2.gui.patch_viewer import BORDER_COLOUR, make_grid, rescale, save_png
from pylearn2.scripts._common import run_cli
from pylearn2.utils.exc import ConfigError

SELECTABLE = ("category", "instance", "elevation", "azimuth", "lighting")


def add_selection(parser: argparse.ArgumentParser) -> None:
    for name in SELECTABLE:
        parser.add_argument(f"--{name}", type=int, metavar="LABEL",
                            help=f"only pairs whose {name} label (as stored) is LABEL")
    parser.add_argument("--start", type=int, default=0,
                        help="skip the first START matching pairs (default 0)")
    parser.add_argument("--count", type=int, default=20,
                        help="draw at most COUNT matching pairs (default 20)")
    parser.add_argument("--cols", type=int, default=4, help="pairs per row (default 4)")
    parser.add_argument("--stereo_viewer", "--stereo-viewer", action="store_true",
                        help="right image first, for cross-eyed stereo viewing")
    parser.add_argument("--out", required=True, metavar="FILE.png", help="the picture")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="browse_norb.py",
        description="Draw the NORB stereo pairs whose labels match the given values (PNG) and "
                    "print their labels.")
    parser.add_argument("--which_norb", "--which-norb", required=True, choices=("big", "small"),
                        help="the (big) NORB or the small NORB")
    parser.add_argument("--which_set", "--which-set", required=True,
                        choices=("train", "test", "both"), help="which files to read")
    add_selection(parser)
    return parser


def value_functions() -> tuple[Any, ...]:
    from pylearn2.datasets import new_norb

    return (new_norb.get_category_value, new_norb.get_instance_value,
            new_norb.get_elevation_value, new_norb.get_azimuth_value,
            new_norb.get_lighting_value)


def describe(label: Sequence[int], names: Sequence[str], funcs: Sequence[Any]) -> str:
    parts = []
    for name, func, raw in zip(names, funcs, label):
        try:
            value = func(np.int64(raw))
        except ConfigError:
            value = f"{int(raw)} (not a valid label)"
        unit = " deg" if name in ("elevation", "azimuth") and isinstance(value, int) else ""
        parts.append(f"{name} {value}{unit}")
    return ", ".join(parts)


def browse(args: argparse.Namespace, pairs: np.ndarray, labels: np.ndarray,
           names: Sequence[str], funcs: Sequence[Any], where: str) -> int:
    """Draw the selected rows of ``pairs`` ((N, 2, rows, cols) images) with their labels."""
    if args.count < 1 or args.cols < 1 or args.start < 0:
        raise ConfigError("--count and --cols must be positive and --start >= 0.")
    keep = np.ones(len(labels), dtype=bool)
    for column, name in enumerate(SELECTABLE):
        wanted = getattr(args, name)
        if wanted is not None:
            keep &= labels[:, column] == wanted
    rows = np.flatnonzero(keep)[args.start:args.start + args.count]
    chosen = {n: getattr(args, n) for n in SELECTABLE if getattr(args, n) is not None}
    if not len(rows):
        raise ConfigError(f"{where}: no pair has the labels {chosen or '(any)'}"
                          f"{f' after skipping {args.start}' if args.start else ''}.")
    for index in rows:
        print(f"#{index}: {describe(labels[index], names, funcs)}")
    shown = pairs[rows][:, ::-1] if args.stereo_viewer else pairs[rows]
    grey = rescale(shown.astype(np.float64) / 127.5 - 1.0, "none")
    save_png(pair_grid(grey, cols=min(args.cols, len(rows))), args.out,
             tile=shown.shape[3] + 1)
    print(f"{len(rows)} pairs -> {args.out}")
    return 0


PAIR_GAP = 4  # pixels between pairs; the two images of a pair are 1 pixel apart


def pair_grid(pairs: np.ndarray, rows: int | None = None, cols: int | None = None) -> np.ndarray:
    """(N, 2, r, c) greyscale pairs in [0, 1] -> one picture: each pair's two images side
    by side 1 pixel apart, the pairs ``PAIR_GAP`` pixels apart."""
    n, _, r, c = pairs.shape
    joined = np.empty((n, r, 2 * c + 1, 3))
    joined[:] = BORDER_COLOUR
    joined[:, :, :c] = pairs[:, 0, :, :, None]
    joined[:, :, c + 1:] = pairs[:, 1, :, :, None]
    return make_grid(joined, rows=rows, cols=cols, pad=PAIR_GAP)


def stereo_view(converter: Any, rows: np.ndarray) -> np.ndarray:
    """Design rows -> (N, 2, rows, cols, channels) through either NORB stereo converter
    (one array with an 's' axis, or a (left, right) pair of batches)."""
    axes = tuple(converter.axes)
    view = converter.design_mat_to_topo_view(rows)
    if isinstance(view, tuple):
        mono = [a for a in axes if a != "s"]
        order = [mono.index(a) for a in ("b", 0, 1, "c")]
        return np.stack([np.asarray(v).transpose(order) for v in view], axis=1)
    return view.transpose([axes.index(a) for a in ("b", "s", 0, 1, "c")])


def stereo_pairs(dataset: Any) -> np.ndarray:
    """(N, 2, rows, cols) greyscale pairs of a NORB dataset with a stereo converter."""
    return stereo_view(dataset.stereo_converter, dataset.X)[..., 0]


def run(args: argparse.Namespace) -> int:
    from pylearn2.datasets.new_norb import NORB

    dataset = NORB(args.which_norb, args.which_set)
    names = dataset.label_index_to_name
    return browse(args, stereo_pairs(dataset), np.asarray(dataset.y), names,
                  dataset.label_to_value_funcs, f"NORB {args.which_norb}/{args.which_set}")


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
