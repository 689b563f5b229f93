"""``browse_small_norb.py --which_set train --category 2 --out pairs.png``: the small
NORB's stereo pairs chosen by label (see :mod:`pylearn2.scripts.datasets.browse_norb`).
``--which_set`` also takes a saved dataset file with the five labels."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

import numpy as np

from pylearn2.scripts._common import run_cli
from pylearn2.scripts.datasets.browse_norb import (
    SELECTABLE,
    add_selection,
    browse,
    stereo_pairs,
    value_functions,
)
from pylearn2.utils.exc import ConfigError


def make_parser(prog: str = "browse_small_norb.py") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Draw the small NORB stereo pairs whose labels match the given values "
                    "(PNG, in the set's order) and print their labels.")
    parser.add_argument("--which_set", "--which-set", default="train",
                        help="'train', 'test', or a saved SmallNORB-like dataset file "
                             "(default train)")
    add_selection(parser)
    return parser


def load(which_set: str):
    from pylearn2.datasets.norb import SmallNORB

    if which_set in ("train", "test"):
        return SmallNORB(which_set, multi_target=True)
    if not os.path.isfile(which_set):
        raise ConfigError(f"--which_set {which_set!r}: not 'train', 'test' or a file.")
    from pylearn2.utils import serial

    return serial.load(which_set)


def run(args: argparse.Namespace) -> int:
    dataset = load(args.which_set)
    labels = np.asarray(dataset.y)
    if labels.ndim != 2 or labels.shape[1] < len(SELECTABLE):
        raise ConfigError(f"{args.which_set}: the dataset has only classification labels; "
                          "this browser needs all five (SmallNORB multi_target=True).")
    if getattr(dataset, "stereo_converter", None) is not None:
        pairs = stereo_pairs(dataset)
    else:  # a saved copy: 2 x rows x cols per row
        side = int(np.sqrt(dataset.X.shape[1] // 2))
        pairs = np.asarray(dataset.X).reshape(-1, 2, side, side)
    return browse(args, pairs, labels, SELECTABLE, value_functions(), args.which_set)


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
