"""``print_model.py MODEL``: print a saved model (its class and layers, as ``repr`` shows)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from pylearn2.scripts._common import add_allow_flag, run_cli


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="print_model.py",
                                     description="Print a saved model's description.")
    parser.add_argument("model", metavar="MODEL", help="a saved model file")
    add_allow_flag(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from pylearn2.utils import serial

    print(serial.load(args.model))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
