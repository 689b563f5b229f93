"""``download_mnist.py``: fetch MNIST into ``$PYLEARN2_DATA_PATH/mnist``.

The four IDX files are downloaded as published (gzip), each checked against its SHA-256
before it is kept, and resumed if a transfer breaks off; the MNIST loader reads the
``.gz`` files directly. Files already present are left alone.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from pylearn2.scripts._common import run_cli


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="download_mnist.py",
        description="Download the four MNIST files into $PYLEARN2_DATA_PATH/mnist "
                    "(checksum-verified, resumable); files already there are kept.")
    parser.add_argument("--base-url", metavar="URL",
                        help="a mirror holding the four .gz files (default: $PYLEARN2_MNIST_URL "
                             "or a public mirror)")
    return parser


def run(args: argparse.Namespace) -> int:
    from pylearn2.datasets.mnist import SHA256, download_mnist, mnist_dir

    folder = mnist_dir()
    present = [n for n in SHA256 if os.path.exists(os.path.join(folder, n))
               or os.path.exists(os.path.join(folder, n[:-3]))]
    if len(present) == len(SHA256):
        print(f"MNIST files already in {folder}")
        return 0
    os.makedirs(folder, exist_ok=True)
    print(f"Downloading MNIST into {folder}...")
    download_mnist(folder, base_url=args.base_url)
    print("Done downloading MNIST")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
