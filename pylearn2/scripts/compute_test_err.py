"""``compute_test_err.py MODEL``: a saved classifier's error rate on its test set.

The test set is the one that belongs to the model's training data (rebuilt from the
YAML stored in the model file, then ``get_test_set()``), so a model trained on
MNIST's training set is scored on MNIST's test set with the same options. Prints the
fraction of test examples whose arg-max prediction is not their label.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from pylearn2.scripts._common import add_allow_flag, run_cli
from pylearn2.utils.exc import ConfigError


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="compute_test_err.py",
        description="Print a saved classifier's misclassification rate on the test set of the "
                    "dataset it was trained on.")
    parser.add_argument("model", metavar="MODEL", help="a saved classifier (e.g. an MLP)")
    parser.add_argument("--batch-size", type=int, default=100, metavar="N",
                        help="examples per forward pass (default 100)")
    add_allow_flag(parser)
    return parser


def test_set_of(model: Any, where: str) -> Any:
    from pylearn2.config import yaml_parse

    source = getattr(model, "dataset_yaml_src", None)
    if not source:
        raise ConfigError(f"{where}: the model does not record its training dataset, so its "
                          "test set is unknown.")
    dataset = yaml_parse.load_recorded_dataset(source, where)
    if not hasattr(dataset, "get_test_set"):
        raise ConfigError(f"{where}: {type(dataset).__name__} has no get_test_set(); this "
                          "command needs a dataset with a standard test split.")
    return dataset.get_test_set()


def class_labels(dataset: Any) -> np.ndarray:
    y = np.asarray(dataset.get_targets())
    if getattr(dataset, "y_labels", None) is not None:
        return y.reshape(len(y), -1)[:, 0].astype(np.int64)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)  # one-hot targets
    return y.reshape(-1).astype(np.int64)


@torch.no_grad()
def predictions(model: Any, dataset: Any, batch_size: int) -> np.ndarray:
    space = model.get_input_space()
    batches = dataset.iterator(mode="sequential", batch_size=batch_size,
                               data_specs=(space, "features"))
    dtype = next(model.parameters()).dtype
    return np.concatenate([model.fprop(batch.to(dtype)).argmax(dim=1).cpu().numpy()
                           for batch in batches])


def run(args: argparse.Namespace) -> int:
    from pylearn2.utils import serial

    if args.batch_size < 1:
        raise ConfigError("--batch-size must be positive.")
    model = serial.load(args.model)
    model.eval()
    test = test_set_of(model, args.model)
    labels = class_labels(test)
    predicted = predictions(model, test, args.batch_size)
    wrong = int((predicted != labels).sum())
    print(f"{wrong} of {len(labels)} test examples misclassified")
    print(f"{wrong / len(labels):.6g}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
