"""``make_weights_image.py MODEL [RESCALE]``: write ``MODEL.png``, the first layer's
filters as a grid (the same picture as ``show_weights.py MODEL --out MODEL.png``).

RESCALE is ``True`` (each filter scaled on its own, the default), ``False`` (no
scaling) or one of show_weights' modes: individual, global, none.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from pylearn2.gui.patch_viewer import RESCALE_MODES
from pylearn2.scripts._common import add_allow_flag, run_cli
from pylearn2.utils.exc import ConfigError

SPELLINGS = {"true": "individual", "false": "none", **{m: m for m in RESCALE_MODES}}


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="make_weights_image.py",
        description="Save a model's first-layer filters as MODEL.png.")
    parser.add_argument("model", metavar="MODEL", help="a saved model file")
    parser.add_argument("rescale", nargs="?", default="True", metavar="RESCALE",
                        help="True (scale each filter, default), False, or individual, "
                             "global, none")
    add_allow_flag(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from pylearn2.scripts import show_weights

    mode = SPELLINGS.get(str(args.rescale).lower())
    if mode is None:
        raise ConfigError(f"RESCALE {args.rescale!r}: use True, False, or one of "
                          f"{', '.join(RESCALE_MODES)}.")
    forwarded = [args.model, "--out", args.model + ".png", "--rescale", mode]
    for module in args.allow:
        forwarded += ["--allow", module]
    return show_weights.run(show_weights.make_parser().parse_args(forwarded))


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
