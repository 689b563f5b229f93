"""``download_binarized_mnist.py``: fetch binarized MNIST into
``$PYLEARN2_DATA_PATH/binarized_mnist``.

Downloads the train, valid and test ``.amat`` text files (one example of 784 zeros and
ones per line) and converts each to the ``binarized_mnist_<set>.npy`` array that
:class:`pylearn2.datasets.binarized_mnist.BinarizedMNIST` reads, after checking its
rows (:func:`pylearn2.datasets.official_downloads.download_binarized_mnist`, the same
as ``BinarizedMNIST(..., download=True)``). Sets already converted are left alone.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from pylearn2.scripts._common import run_cli

SETS = ("train", "valid", "test")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="download_binarized_mnist.py",
        description="Download binarized MNIST (train, valid, test .amat files) and convert it "
                    "to the .npy arrays BinarizedMNIST reads, in "
                    "$PYLEARN2_DATA_PATH/binarized_mnist.")
    parser.add_argument("--base-url", metavar="URL",
                        help="where the binarized_mnist_<set>.amat files are (default: "
                             "$PYLEARN2_BINARIZED_MNIST_URL or the published folder)")
    return parser


def run(args: argparse.Namespace) -> int:
    from pylearn2.datasets.official_downloads import data_root, download_binarized_mnist

    folder = os.path.join(data_root(), "binarized_mnist")
    for which in SETS:
        npy = os.path.join(folder, f"binarized_mnist_{which}.npy")
        if os.path.exists(npy):
            print(f"{npy} already there")
            continue
        download_binarized_mnist([which], base_url=args.base_url)
        print(f"{which} -> {npy}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
