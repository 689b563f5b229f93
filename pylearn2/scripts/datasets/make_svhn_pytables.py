"""``make_svhn_pytables.py``: the SVHN ``test``, ``valid`` and ``splitted_train`` HDF5 files
(``<path>/h5/<set>_32x32.h5``, the layout :class:`pylearn2.datasets.svhn.SVHN` reads) made
from the distributed ``.mat`` files in ``${PYLEARN2_DATA_PATH}/SVHN/format2/``.

The split is :meth:`SVHN.make_data`'s (400 examples of each class of ``train`` and of
``extra`` for ``valid``, the rest for ``splitted_train``). Files already made are kept.
``--download`` first fetches the ``.mat`` files a set needs (MD5-checked, see
:mod:`pylearn2.datasets.official_downloads`).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from pylearn2.scripts._common import run_cli
from pylearn2.utils.exc import DataNotFoundError

DEFAULT_SETS = ("test", "valid", "splitted_train")


def make_parser() -> argparse.ArgumentParser:
    from pylearn2.datasets.svhn import DEFAULT_PATH, SETS

    parser = argparse.ArgumentParser(
        prog="make_svhn_pytables.py",
        description="Make the SVHN HDF5 files (test, valid, splitted_train) from the .mat "
                    "files of SVHN format 2.")
    parser.add_argument("--path", default=DEFAULT_PATH, metavar="DIR",
                        help="folder of the .mat files; h5/ is made inside it "
                             "(default %(default)s)")
    parser.add_argument("--sets", nargs="+", default=list(DEFAULT_SETS), choices=SETS,
                        help="which sets to make (default: test valid splitted_train)")
    parser.add_argument("--download", action="store_true",
                        help="first fetch the .mat files the sets need (MD5-checked)")
    parser.add_argument("--base-url", default=None, metavar="URL",
                        help="a mirror of http://ufldl.stanford.edu/housenumbers/ for --download")
    return parser


def run(args: argparse.Namespace) -> int:
    from pylearn2.datasets.svhn import MAT_SOURCES, SVHN, download_mat
    from pylearn2.utils.string_utils import preprocess

    folder = preprocess(args.path)
    if not os.path.isdir(folder) and not args.download:
        raise DataNotFoundError(f"{folder} does not exist: download the SVHN format 2 .mat "
                                "files into it first (or pass --download).")
    for which_set in args.sets:
        target = os.path.join(folder, "h5", f"{which_set}_32x32.h5")
        if os.path.isfile(target):
            print(f"{which_set}: {target} already exists, kept")
            continue
        if args.download:
            os.makedirs(folder, exist_ok=True)
            download_mat(folder, MAT_SOURCES[which_set], args.base_url)
        SVHN.make_data(which_set, folder)
        print(f"{which_set}: {SVHN(which_set, path=folder).X.shape[0]} examples -> {target}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
