"""Show examples of a dataset as an image grid: ``show_examples.py DATASET.yaml --out e.png``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

from pylearn2.gui.patch_viewer import RESCALE_MODES, make_grid, rescale
from pylearn2.scripts._common import add_allow_flag, run_cli, show_or_require_out
from pylearn2.utils.exc import ConfigError


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="show_examples.py",
        description="Draw the first rows x cols examples of a dataset's topological view. "
                    "PATH is a YAML file describing a dataset, or a saved model (its training "
                    "dataset is rebuilt).")
    parser.add_argument("path", metavar="PATH", help="dataset YAML file or saved model")
    parser.add_argument("--rows", type=int, default=20, help="grid rows (default 20)")
    parser.add_argument("--cols", type=int, default=20, help="grid columns (default 20)")
    parser.add_argument("--rescale", choices=RESCALE_MODES, default="global",
                        help="how to map values to grey levels (default: global)")
    parser.add_argument("--out", metavar="FILE.png", help="write a PNG instead of opening a window")
    parser.add_argument("--border", action=argparse.BooleanOptionalAction, default=True,
                        help="grey borders between tiles (default on)")
    add_allow_flag(parser)
    return parser


def load_dataset(path: str):
    from pylearn2.config import yaml_parse
    from pylearn2.utils import serial

    if path.endswith((".yaml", ".yml")):
        return yaml_parse.load_path(path)
    model = serial.load(path)
    source = getattr(model, "dataset_yaml_src", None)
    if not source:
        raise ConfigError(f"{path}: this model does not record its training dataset.")
    return yaml_parse.load_recorded_dataset(source, path)


def run(args: argparse.Namespace) -> int:
    dataset = load_dataset(args.path)
    if not hasattr(dataset, "get_topological_view"):
        raise ConfigError(f"{args.path}: {type(dataset).__name__} has no topological view to show.")
    count = min(args.rows * args.cols, dataset.get_num_examples())
    from pylearn2.space import Conv2DSpace

    view = dataset.get_topological_view(dataset.get_design_matrix()[:count])
    images = Conv2DSpace.convert(view, dataset.view_converter.axes, ("b", 0, 1, "c"))
    adjusted = dataset.adjust_for_viewer(images) if args.rescale == "none" else images
    norms = np.linalg.norm(images.reshape(count, -1), axis=1)
    print(f"{count} examples of shape {images.shape[1:]}; example norms min/mean/max "
          f"{norms.min():.4g} {norms.mean():.4g} {norms.max():.4g}")
    picture = make_grid(rescale(adjusted, args.rescale), rows=args.rows, cols=args.cols,
                        border=args.border)
    show_or_require_out(picture, args.out, title=args.path)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
