"""``black_box_learn_zca.py``: fit ZCA whitening (filter bias 0.1) on the black box
contest's unlabelled extra data and save it as ``zca.pkl`` (a model file that ``!pkl:``
reads, e.g. as a dataset's preprocessor)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from pylearn2.scripts._common import run_cli


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="black_box_learn_zca.py",
        description="Fit ZCA (filter_bias 0.1) on the black box contest's extra unlabelled "
                    "data and save it (default zca.pkl in the current folder).")
    parser.add_argument("--out", default="zca.pkl", metavar="FILE.pkl",
                        help="where to save the fitted ZCA (default zca.pkl)")
    return parser


def run(args: argparse.Namespace) -> int:
    from pylearn2.datasets.dataset_file import save_fitted_preprocessor
    from pylearn2.datasets.icml_2013 import BlackBoxDataset
    from pylearn2.datasets.preprocessing import ZCA

    extra = BlackBoxDataset("extra")
    zca = ZCA(filter_bias=0.1)
    zca.fit(extra.X)
    save_fitted_preprocessor(args.out, zca)
    print(f"ZCA fitted on {extra.X.shape[0]} examples of {extra.X.shape[1]} features -> "
          f"{args.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
