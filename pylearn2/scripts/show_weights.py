"""Show a model's first-layer filters as an image grid: ``show_weights.py MODEL --out w.png``."""

from __future__ import annotations

import argparse
import math
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
                        help="dark blue borders between tiles, a colour no weight is drawn in "
                             "(default on)")
    parser.add_argument("--max-filters", type=int, default=400, metavar="N",
                        help="show at most N filters (default 400)")
    add_allow_flag(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from pylearn2.gui.get_weights_report import first_layer_images
    from pylearn2.utils import serial

    model = serial.load(args.model)
    images = first_layer_images(model)
    pieces = pieces_per_unit(model)
    shown = images[: args.max_filters - args.max_filters % pieces or pieces]
    cols = None
    if pieces > 1:  # each maxout unit's pieces side by side on one row
        units_per_row = max(1, round(math.sqrt(len(shown)) / pieces))
        cols = pieces * units_per_row
    picture = make_grid(rescale(shown, args.rescale), cols=cols, border=args.border)
    what = f" ({len(shown) // pieces} units of {pieces} pieces)" if pieces > 1 else ""
    print(f"{len(shown)} filters{what} of shape {shown.shape[1:]} (rows, cols, channels)"
          + (f"; showing the first {len(shown)} of {len(images)}" if len(shown) < len(images)
             else ""))
    show_or_require_out(picture, args.out, title=f"weights of {args.model}",
                        tile=shown.shape[2] + 1)


def pieces_per_unit(model) -> int:
    """How many consecutive filters form one unit (maxout pieces) in the first layer."""
    layers = getattr(model, "layers", None) or [model]
    return max(1, int(getattr(layers[0], "num_pieces", 1) or 1))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
