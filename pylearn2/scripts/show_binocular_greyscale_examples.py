"""``show_binocular_greyscale_examples.py PATH --out pairs.png``: stereo pairs side by side.

For datasets whose images have two grey channels, one per eye (NORB, for instance):
each example becomes two tiles, the second eye's image first, so that crossing one's
eyes in front of the screen fuses each pair.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import numpy as np

from pylearn2.gui.patch_viewer import RESCALE_MODES, rescale
from pylearn2.scripts._common import add_allow_flag, run_cli, show_or_require_out
from pylearn2.scripts.datasets.browse_norb import pair_grid, stereo_view
from pylearn2.utils.exc import ConfigError


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="show_binocular_greyscale_examples.py",
        description="Draw rows x cols examples of a two-channel (binocular greyscale) image "
                    "dataset, each as its two eyes' images side by side (second eye first, "
                    "for cross-eyed viewing). PATH: a dataset YAML file, a saved dataset "
                    "(.pkl), or a saved model (its training dataset is rebuilt).")
    parser.add_argument("path", metavar="PATH", help="dataset YAML, saved dataset or saved model")
    parser.add_argument("--rows", type=int, default=20, help="grid rows (default 20)")
    parser.add_argument("--cols", type=int, default=20, help="pairs per row (default 20)")
    parser.add_argument("--rescale", choices=RESCALE_MODES, default="global",
                        help="how to map values to grey levels (default: global)")
    parser.add_argument("--out", metavar="FILE.png", help="write a PNG instead of opening a window")
    add_allow_flag(parser)
    return parser


def load_images_source(path: str) -> Any:
    """A dataset from a YAML file, a saved dataset, or a saved model's training data."""
    from pylearn2.scripts.show_examples import load_dataset

    if path.endswith((".yaml", ".yml")):
        return load_dataset(path)
    from pylearn2.utils import serial

    obj = serial.load(path)
    return obj if hasattr(obj, "get_topological_view") else load_dataset(path)


def eye_pairs(examples: np.ndarray, where: str) -> np.ndarray:
    """(N, rows, cols, 2) examples -> (N, 2, rows, cols): each pair's channel 1, then 0."""
    if examples.ndim != 4 or examples.shape[3] != 2:
        raise ConfigError(f"{where}: binocular examples need two channels (one per eye); "
                          f"these have shape {examples.shape[1:]} (rows, cols, channels).")
    return examples[..., ::-1].transpose(0, 3, 1, 2)


def binocular_examples(dataset: Any, rows: np.ndarray, where: str) -> np.ndarray:
    """Design rows -> (N, rows, cols, 2) images, one channel per eye: from a stereo view
    (NORB's axes with 's') or from a two-channel image view."""
    from pylearn2.space import Conv2DSpace

    stereo = getattr(dataset, "stereo_converter", None)
    if stereo is not None:
        bs01c = stereo_view(stereo, rows)
        if bs01c.shape[-1] != 1:
            raise ConfigError(f"{where}: the stereo images have {bs01c.shape[-1]} channels; "
                              "this command draws greyscale pairs.")
        return bs01c[..., 0].transpose(0, 2, 3, 1)
    if getattr(dataset, "view_converter", None) is None:
        raise ConfigError(f"{where}: {type(dataset).__name__} has no image view to show.")
    view = dataset.get_topological_view(rows)
    return Conv2DSpace.convert(view, dataset.view_converter.axes, ("b", 0, 1, "c"))


def run(args: argparse.Namespace) -> int:
    dataset = load_images_source(args.path)
    count = min(args.rows * args.cols, dataset.get_num_examples())
    examples = binocular_examples(dataset, dataset.get_design_matrix()[:count], args.path)
    norms = np.linalg.norm(examples.reshape(count, -1), axis=1)
    print(f"{count} pairs of {examples.shape[1]}x{examples.shape[2]} images; example norms "
          f"min/mean/max {norms.min():.4g} {norms.mean():.4g} {norms.max():.4g}; values in "
          f"[{examples.min():.4g}, {examples.max():.4g}], dtype {examples.dtype}")
    pairs = eye_pairs(dataset.adjust_for_viewer(examples) if args.rescale == "none"
                      else examples, args.path)
    if args.rescale == "individual":  # one scale per pair, so both eyes stay comparable
        peaks = np.abs(pairs.reshape(count, -1)).max(axis=1)
        shown = rescale(pairs / np.where(peaks > 0, peaks, 1.0)[:, None, None, None], "none")
    else:
        shown = rescale(pairs, args.rescale)
    picture = pair_grid(shown, rows=args.rows, cols=args.cols)
    show_or_require_out(picture, args.out, title=args.path, tile=examples.shape[2] + 1)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
