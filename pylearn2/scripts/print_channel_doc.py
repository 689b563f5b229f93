"""``print_channel_doc.py MODEL``: each monitor channel of a saved model with its doc."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from pylearn2.scripts._common import add_allow_flag, run_cli


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="print_channel_doc.py",
        description="Print the name and documentation string of every monitor channel.")
    parser.add_argument("model", metavar="MODEL", help="a saved model file")
    add_allow_flag(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from pylearn2.utils import serial

    monitor = getattr(serial.load(args.model), "monitor", None)
    channels = monitor.channels if monitor is not None else {}
    if not channels:
        print(f"{args.model}: the model has no monitor channels.")
    for name in sorted(channels):
        print(f"{name}: {channels[name].doc or '(no documentation)'}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
