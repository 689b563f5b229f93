"""The ``pylearn2`` command: one entry point over every tool.

``pylearn2 train job.yaml``, ``pylearn2 print-monitor model.pkl``, ... Each command is
the same function as its stand-alone script (``train.py``, ``print_monitor.py``, ...).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

COMMANDS = {
    "train": ("pylearn2.scripts.train", "train a model from a YAML experiment file"),
    "convert": ("pylearn2.scripts.convert",
                "convert a model pickled by the original Pylearn2 (read safely)"),
    "print-model": ("pylearn2.scripts.print_model", "print a saved model's description"),
    "num-parameters": ("pylearn2.scripts.num_parameters",
                       "the number of scalar parameters of a saved model"),
    "print-channel-doc": ("pylearn2.scripts.print_channel_doc",
                          "each monitor channel of a saved model with its doc"),
    "diff-monitor": ("pylearn2.scripts.diff_monitor",
                     "where the monitor records of two saved models differ"),
    "print-monitor": ("pylearn2.scripts.print_monitor",
                      "print a saved model's final monitor channel values"),
    "print-monitor-cv": ("pylearn2.scripts.print_monitor_cv",
                         "mean +/- std of final channel values over TrainCV folds"),
    "plot-monitor": ("pylearn2.scripts.plot_monitor", "plot monitor channels of saved models"),
    "summarize-model": ("pylearn2.scripts.summarize_model",
                        "parameter shapes, statistics and totals of a saved model"),
    "show-weights": ("pylearn2.scripts.show_weights", "first-layer filters as an image grid"),
    "show-examples": ("pylearn2.scripts.show_examples", "a grid of examples from a dataset"),
    "predict-csv": ("pylearn2.scripts.predict_csv", "predictions of a saved model on a CSV file"),
    "ais": ("pylearn2.scripts.ais",
            "AIS log partition function and test log-likelihood of an RBM or DBM"),
    "export": ("pylearn2.scripts.export",
               "export a saved model as a state_dict, TorchScript or ONNX file"),
    "demo": ("pylearn2.scripts.demo", "train the bundled digits MLP and print its test error"),
    "svhn-preprocess": ("pylearn2.scripts.svhn_preprocessing",
                        "the maxout paper's SVHN preprocessing (global then local contrast "
                        "normalisation)"),
    "yaml-dryrun": ("pylearn2.scripts.yaml_dryrun",
                    "check a YAML experiment (one batch through everything) without training"),
}


def _usage() -> str:
    width = max(len(c) for c in COMMANDS)
    lines = ["usage: pylearn2 COMMAND [options]   (pylearn2 COMMAND --help for details)", "",
             "commands:"]
    lines += [f"  {name.ljust(width)}  {doc}" for name, (_, doc) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    if argv[0] in ("--version", "version"):
        from pylearn2 import __version__

        print(f"pylearn2 {__version__}")
        return 0
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        from pylearn2.utils.exc import did_you_mean

        print(f"pylearn2: unknown command {command!r}.{did_you_mean(command, COMMANDS)}\n\n"
              f"{_usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[command][0])
    from pylearn2.scripts import _common

    previous, _common.INVOKED_AS = _common.INVOKED_AS, f"pylearn2 {command}"
    try:
        return module.main(rest)
    finally:
        _common.INVOKED_AS = previous


if __name__ == "__main__":
    raise SystemExit(main())
