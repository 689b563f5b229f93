"""``num_parameters.py MODEL``: the number of scalar parameters of a saved model."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from pylearn2.scripts._common import add_allow_flag, run_cli


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="num_parameters.py",
        description="Print the total number of scalar parameters (elements of every array "
                    "that get_params() returns) of a saved model.")
    parser.add_argument("model", metavar="MODEL", help="a saved model file")
    add_allow_flag(parser)
    return parser


def count_parameters(model) -> int:
    return int(sum(p.numel() for p in model.get_params()))


def run(args: argparse.Namespace) -> int:
    from pylearn2.utils import serial

    print(count_parameters(serial.load(args.model)))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
