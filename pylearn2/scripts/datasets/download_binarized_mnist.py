"""``download_binarized_mnist.py``: fetch binarized MNIST into
``$PYLEARN2_DATA_PATH/binarized_mnist``.

Downloads the train, valid and test ``.amat`` text files (one example of 784 zeros and
ones per line) and converts each to the ``binarized_mnist_<set>.npy`` array that
:class:`pylearn2.datasets.binarized_mnist.BinarizedMNIST` reads, after checking it
holds only 0 and 1 in 784 columns. Sets already converted are left alone.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

import numpy as np

from pylearn2.scripts._common import run_cli
from pylearn2.utils.exc import ConfigError

SETS = ("train", "valid", "test")
DEFAULT_URL = "http://www.cs.toronto.edu/~larocheh/public/datasets/binarized_mnist/"


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="download_binarized_mnist.py",
        description="Download binarized MNIST (train, valid, test .amat files) and convert it "
                    "to the .npy arrays BinarizedMNIST reads, in "
                    "$PYLEARN2_DATA_PATH/binarized_mnist.")
    parser.add_argument("--base-url", metavar="URL", default=DEFAULT_URL,
                        help=f"where the binarized_mnist_<set>.amat files are (default "
                             f"{DEFAULT_URL})")
    return parser


def amat_to_array(path: str) -> np.ndarray:
    """An .amat file of 0/1 rows as a uint8 (N, 784) array, checked."""
    try:
        X = np.loadtxt(path, ndmin=2)
    except ValueError as err:
        raise ConfigError(f"{path}: not a table of numbers ({err}).") from None
    if X.shape[1] != 784 or not np.isin(X, (0, 1)).all():
        raise ConfigError(f"{path}: expected rows of 784 zeros and ones, got shape {X.shape}"
                          f"{'' if np.isin(X, (0, 1)).all() else ' with other values'}.")
    return X.astype(np.uint8)


def run(args: argparse.Namespace) -> int:
    from pylearn2.scripts.datasets._prepare import data_path
    from pylearn2.utils.download import download_file

    folder = os.path.join(data_path(), "binarized_mnist")
    os.makedirs(folder, exist_ok=True)
    for which in SETS:
        npy = os.path.join(folder, f"binarized_mnist_{which}.npy")
        if os.path.exists(npy):
            print(f"{npy} already there")
            continue
        amat = os.path.join(folder, f"binarized_mnist_{which}.amat")
        download_file(args.base_url.rstrip("/") + f"/binarized_mnist_{which}.amat", amat)
        X = amat_to_array(amat)
        np.save(npy + ".tmp.npy", X, allow_pickle=False)
        os.replace(npy + ".tmp.npy", npy)
        os.remove(amat)
        print(f"{which}: {X.shape[0]} examples -> {npy}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
