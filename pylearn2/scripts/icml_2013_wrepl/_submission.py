"""The contests' submission files: a saved classifier's arg-max prediction for each
example of its dataset's public test set, one line each, in the contest's format."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence

from pylearn2.scripts._common import add_allow_flag, run_cli
from pylearn2.utils.exc import ConfigError


def make_parser(prog: str, contest: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=f"Write the {contest} contest's submission file: the predicted class of "
                    "each public test example of the model's dataset, one per line. An "
                    "existing OUT is never overwritten.")
    parser.add_argument("model", metavar="MODEL", help="a trained classifier (e.g. an MLP)")
    parser.add_argument("out", metavar="OUT.csv", help="the submission file to create")
    parser.add_argument("--batch-size", type=int, default=100, metavar="N",
                        help="examples per forward pass (default 100)")
    add_allow_flag(parser)
    return parser


def submission_main(prog: str, contest: str, line: Callable[[int], str]
                    ) -> Callable[[Sequence[str] | None], int]:
    """``main(argv)`` of a submission command; ``line(label)`` formats one prediction."""
    def run(args: argparse.Namespace) -> int:
        from pylearn2.scripts.compute_test_err import predictions, test_set_of
        from pylearn2.utils import serial

        if os.path.exists(args.out):
            raise ConfigError(f"{args.out} already exists; it is not overwritten, to be safe. "
                              "Remove it or name another file.")
        if args.batch_size < 1:
            raise ConfigError("--batch-size must be positive.")
        model = serial.load(args.model)
        model.eval()
        labels = predictions(model, test_set_of(model, args.model), args.batch_size)
        with open(args.out, "x") as handle:
            handle.writelines(line(int(y)) + "\n" for y in labels)
        print(f"Wrote {len(labels)} predictions to {args.out}")
        return 0

    def main(argv: Sequence[str] | None = None) -> int:
        return run_cli(lambda: make_parser(prog, contest), run, argv)

    return main
