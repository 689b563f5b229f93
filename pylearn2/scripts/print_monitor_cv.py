"""Final channel values over a collection of models, e.g. the folds of a TrainCV run.

``print_monitor_cv.py MODEL [MODEL ...] [-a]``: each MODEL is a collection file written
by TrainCV (all folds) or a single model file (one fold run in its own process). Prints
the number of models, then for the epochs seen, the training time and every channel the
mean and standard deviation (population, ddof 0) over the models; ``--all`` also lists
each model's value.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

from pylearn2.scripts._common import add_allow_flag, run_cli
from pylearn2.scripts.print_monitor import _time_trained
from pylearn2.utils.exc import ModelFileError
from pylearn2.utils.string_order import number_aware_key


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="print_monitor_cv.py",
        description="Mean +/- standard deviation of final monitor values over models "
                    "(TrainCV collection files or single model files).")
    parser.add_argument("models", nargs="+", metavar="MODEL", help="model or collection file(s)")
    parser.add_argument("-a", "--all", action="store_true",
                        help="also print each model's value, not only the mean and spread")
    add_allow_flag(parser)
    return parser


def collect(paths: Sequence[str]) -> tuple[list[int], list[float], dict[str, list[float]]]:
    """Epochs seen, training time and ``{channel: final values}`` of every model in ``paths``."""
    from pylearn2.cross_validation.model_collection import load_models

    epochs: list[int] = []
    times: list[float] = []
    values: dict[str, list[float]] = {}
    for path in paths:
        for model in load_models(path):
            monitor = getattr(model, "monitor", None)
            if monitor is None:
                raise ModelFileError(f"{path}: a model in this file has no monitor records.")
            epochs.append(monitor.get_epochs_seen())
            times.append(_time_trained(monitor))
            for name, channel in monitor.channels.items():
                if channel.val_record:
                    values.setdefault(name, []).append(channel.val_record[-1])
    return epochs, times, values


def format_summary(epochs: list[int], times: list[float], values: dict[str, list[float]],
                   show_all: bool = False) -> list[str]:
    lines = [f"number of models: {len(epochs)}"]
    rows = [("epochs seen", epochs), ("training time", times)]
    rows += [(name, values[name]) for name in sorted(values, key=number_aware_key)]
    for name, vals in rows:
        if len(vals) != len(epochs):
            name = f"{name} (in {len(vals)} of {len(epochs)} models)"
        if len(epochs) == 1:
            lines.append(f"{name}: {vals[0]:.10g}")
            continue
        summary = f"{np.mean(vals):.10g} +/- {np.std(vals):.10g}"
        if show_all:
            lines.append(f"{name}: {summary}  [{', '.join(f'{v:.6g}' for v in vals)}]")
        else:
            lines.append(f"{name}: {summary}")
    return lines


def run(args: argparse.Namespace) -> int:
    epochs, times, values = collect(args.models)
    print("\n".join(format_summary(epochs, times, values, args.all)))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
