"""``svhn_preprocessing.py``: the maxout paper's SVHN preprocessing.

Reads the ``splitted_train``, ``valid`` and ``test`` HDF5 files of
``<source>/h5/`` (made from the distributed ``.mat`` files by
:meth:`pylearn2.datasets.svhn.SVHN.make_data` when missing), applies global contrast
normalisation (each example minus its mean, divided by its norm) and then LeCun's local
contrast normalisation (7x7 Gaussian window, threshold 1e-4) to every colour channel of
every 32x32 image, and writes ``<output>/h5/<set>_32x32.h5`` in the same layout, so
``SVHN(which_set, path=<output>)`` reads them. The output folder defaults to
``${PYLEARN2_LOCAL_DATA_PATH}/gcn_lcn/``, where the maxout paper's YAML looks.

Both steps act on one example at a time, so the files are processed in chunks of
``--batch-size`` rows and nothing needs fitting; memory stays bounded for the 598,388
training images. Each output is written to a temporary file and renamed when complete,
and existing outputs are refused unless ``--overwrite``. The classic library's helper
returned after the first channel inside its per-channel loop, leaving the green and blue
channels unnormalised; all three are normalised by default here, and
``--lcn-channels 0`` reproduces the classic output.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

import numpy as np

from pylearn2.scripts._common import run_cli
from pylearn2.utils.exc import ConfigError, NoDataPathError

SETS = ("splitted_train", "valid", "test")
IMAGE = (32, 32, 3)
DEFAULT_SOURCE = "${PYLEARN2_DATA_PATH}/SVHN/format2/"


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="svhn_preprocessing.py",
        description="Global then local contrast normalisation of the SVHN splitted_train, "
                    "valid and test sets (the maxout paper's preprocessing).")
    parser.add_argument("--source", default=DEFAULT_SOURCE, metavar="DIR",
                        help="folder holding h5/<set>_32x32.h5 or the SVHN .mat files "
                             "(default %(default)s)")
    parser.add_argument("--output", default=None, metavar="DIR",
                        help="where h5/<set>_32x32.h5 are written "
                             "(default ${PYLEARN2_LOCAL_DATA_PATH}/gcn_lcn/)")
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS,
                        help="which sets to process (default: all three)")
    parser.add_argument("--batch-size", type=int, default=5000, metavar="N",
                        help="examples processed at a time (default %(default)s)")
    parser.add_argument("--kernel-size", type=int, default=7, metavar="K",
                        help="side of the Gaussian window of the local normalisation")
    parser.add_argument("--threshold", type=float, default=1e-4,
                        help="smallest divisor of the local normalisation")
    parser.add_argument("--lcn-channels", type=int, nargs="+", default=[0, 1, 2],
                        metavar="C", help="colour channels to normalise locally (default all)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace output files that already exist")
    return parser


def output_folder(output: str | None) -> str:
    """``output`` (with ``${VAR}`` expanded), or ``${PYLEARN2_LOCAL_DATA_PATH}/gcn_lcn/``."""
    from pylearn2.utils.string_utils import preprocess

    if output is not None:
        return preprocess(output)
    if not os.environ.get("PYLEARN2_LOCAL_DATA_PATH"):
        raise NoDataPathError("svhn_preprocessing.py writes to ${PYLEARN2_LOCAL_DATA_PATH}/"
                              "gcn_lcn/ by default: set PYLEARN2_LOCAL_DATA_PATH or give "
                              "--output DIR.")
    return preprocess("${PYLEARN2_LOCAL_DATA_PATH}/gcn_lcn/")


def normalise(X: np.ndarray, kernel_size: int = 7, threshold: float = 1e-4,
              channels: Sequence[int] = (0, 1, 2)) -> np.ndarray:
    """GCN then per-channel LCN of SVHN rows ((N, 3072), channel-major as stored)."""
    from pylearn2.datasets.preprocessing.lcn import lecun_lcn
    from pylearn2.expr.preprocessing import global_contrast_normalize

    rows = global_contrast_normalize(np.asarray(X, dtype=np.float64))
    rows_, cols, nchan = IMAGE
    images = rows.reshape(len(rows), nchan, rows_, cols)  # stored channel, row, column
    for c in channels:
        images[:, c] = lecun_lcn(images[:, c], (rows_, cols), kernel_size, threshold)
    return images.reshape(len(rows), -1).astype(np.float32)


def _source_file(source: str, which_set: str) -> str:
    path = os.path.join(source, "h5", f"{which_set}_32x32.h5")
    if not os.path.isfile(path):
        from pylearn2.datasets.svhn import SVHN

        print(f"{path} is missing: making it from the .mat files in {source}")
        SVHN.make_data(which_set, source)
    return path


def preprocess_file(src: str, dest: str, batch_size: int = 5000, **options) -> int:
    """Write ``dest`` (the library's HDF5 layout) as ``src`` normalised; returns the rows."""
    from pylearn2.datasets.hdf5_arrays import ensure_tables

    h5py = ensure_tables()
    tmp = dest + ".part"
    os.makedirs(os.path.dirname(os.path.abspath(dest)), exist_ok=True)
    try:
        with h5py.File(src, "r") as inp, h5py.File(tmp, "w") as out:
            if "Data" not in inp or "X" not in inp["Data"] or "y" not in inp["Data"]:
                raise ConfigError(f"{src}: expected /Data/X and /Data/y (the SVHN HDF5 layout).")
            X, y = inp["Data"]["X"], inp["Data"]["y"]
            if X.ndim != 2 or X.shape[1] != int(np.prod(IMAGE)) or y.shape[0] != X.shape[0]:
                raise ConfigError(f"{src}: /Data/X must be (N, 3072) with N rows of /Data/y; "
                                  f"got {X.shape} and {y.shape}.")
            group = out.create_group("Data")
            new_X = group.create_dataset("X", shape=X.shape, dtype="float32")
            group.create_dataset("y", data=np.asarray(y, dtype=np.float32))
            for start in range(0, X.shape[0], batch_size):
                new_X[start:start + batch_size] = normalise(X[start:start + batch_size],
                                                            **options)
        os.replace(tmp, dest)
    except OSError as err:
        raise ConfigError(f"{src}: not a readable HDF5 file ({err}); remake it from the .mat "
                          "files (delete it and run again).") from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return int(X.shape[0])


def run(args: argparse.Namespace) -> int:
    from pylearn2.utils.string_utils import preprocess

    if args.batch_size < 1:
        raise ConfigError(f"--batch-size must be positive, got {args.batch_size}.")
    if any(c not in (0, 1, 2) for c in args.lcn_channels):
        raise ConfigError(f"--lcn-channels are SVHN's colour channels 0, 1 and 2; got "
                          f"{args.lcn_channels}.")
    source = preprocess(args.source)
    out_dir = os.path.join(output_folder(args.output), "h5")
    targets = {s: os.path.join(out_dir, f"{s}_32x32.h5") for s in args.sets}
    existing = [p for p in targets.values() if os.path.exists(p)]
    if existing and not args.overwrite:
        raise ConfigError(f"{existing[0]} already exists: delete it or pass --overwrite.")
    options = {"kernel_size": args.kernel_size, "threshold": args.threshold,
               "channels": args.lcn_channels}
    for which_set, dest in targets.items():
        n = preprocess_file(_source_file(source, which_set), dest, args.batch_size, **options)
        print(f"{which_set}: {n} examples -> {dest}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
