"""``pylearn2 convert OLD.pkl NEW.pkl``: bring a model saved by the original Pylearn2 over.

The old pickle is read by a restricted unpickler (nothing in it can run code; unknown
globals refuse the file), converted to this library's model with the same weights and
monitor channels, and saved with :func:`pylearn2.utils.serial.save`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from pylearn2.scripts._common import run_cli


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pylearn2 convert",
        description="Convert a model pickled by the original Pylearn2 into a model file. "
                    "Reads MLPs (dense, softmax, maxout, bc01/c01b convolutional, local and "
                    "structural layers), softmax regression, autoencoders (denoising, "
                    "contractive, deep/stacked), RBMs, k-means and DBMs; anything else, and "
                    "any global outside the known classes, is refused by name without "
                    "running it (docs/convert.md).")
    parser.add_argument("old", help="the original's .pkl file (read safely, never executed)")
    parser.add_argument("new", help="where to save the converted model")
    return parser


def run(args: argparse.Namespace) -> int:
    from pylearn2.scripts.legacy_models import convert_file
    from pylearn2.utils import serial

    model = convert_file(args.old)
    serial.save(args.new, model)
    channels = len(model.monitor.channels) if getattr(model, "monitor", None) else 0
    print(f"{args.old} -> {args.new}: {type(model).__name__}, {channels} monitor channels")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
