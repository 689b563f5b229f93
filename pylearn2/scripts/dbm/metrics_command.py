"""``pylearn2 dbm-metrics ais MODEL [options]``: the classic ``dbm_metrics.py`` under its
own name as a ``pylearn2`` subcommand; the metric it offers is ``ais``, which is
``pylearn2 ais`` (see ``pylearn2 ais --help`` for its options)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dbm_metrics.py",
        description="DBM/RBM metrics: 'ais MODEL [options]' estimates log Z by annealed "
                    "importance sampling and the test-set log-likelihood (the options are "
                    "those of `pylearn2 ais`).")
    parser.add_argument("metric", choices=("ais",), help="the metric to compute")
    parser.add_argument("arguments", nargs=argparse.REMAINDER, metavar="...",
                        help="MODEL and the options of `pylearn2 ais`")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from pylearn2.scripts.dbm import dbm_metrics

    args = make_parser().parse_args(argv)
    return dbm_metrics.main([args.metric, *args.arguments])


if __name__ == "__main__":
    raise SystemExit(main())
