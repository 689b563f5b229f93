"""Show a model's first-layer filters as an image grid: ``show_weights.py MODEL --out w.png``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from pylearn2.gui.patch_viewer import RESCALE_MODES, make_grid, rescale
from pylearn2.scripts._common import add_allow_flag, run_cli, show_or_require_out


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="show_weights.py",
        description="Render the first layer's weights (or convolution kernels) as a grid of "
                    "images shaped like the training data (from the dataset stored in the model).")
    parser.add_argument("model", metavar="MODEL", help="a saved model file")
    parser.add_argument("--out", metavar="FILE.png", help="write a PNG instead of opening a window")
    parser.add_argument("--rescale", choices=RESCALE_MODES, default="individual",
                        help="scale each filter on its own (default), all together, or not at all")
    parser.add_argument("--border", action=argparse.BooleanOptionalAction, default=True,
                        help="grey borders between tiles (default on)")
    parser.add_argument("--max-filters", type=int, default=400, metavar="N",
                        help="show at most N filters (default 400)")
    add_allow_flag(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from pylearn2.gui.get_weights_report import first_layer_images
    from pylearn2.utils import serial

    model = serial.load(args.model)
    images = first_layer_images(model)[: args.max_filters]
    picture = make_grid(rescale(images, args.rescale), border=args.border)
    print(f"{len(images)} filters of shape {images.shape[1:]} (rows, cols, channels)")
    show_or_require_out(picture, args.out, title=f"weights of {args.model}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
