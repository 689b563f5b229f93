"""Predict with a saved model on rows of a CSV file: ``predict_csv.py MODEL in.csv out.csv``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np
import torch

from pylearn2.scripts._common import add_allow_flag, run_cli
from pylearn2.space import VectorSpace
from pylearn2.utils.exc import ConfigError, ShapeError


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="predict_csv.py",
        description="Run a saved model on each row of a CSV file and write its predictions.")
    parser.add_argument("model", metavar="MODEL", help="a saved model file")
    parser.add_argument("input", metavar="IN.csv", help="rows of input features")
    parser.add_argument("output", metavar="OUT.csv", help="where to write the predictions")
    parser.add_argument("-P", "--prediction-type", "--prediction_type",
                        choices=("classification", "regression"),
                        default="classification",
                        help="classification writes the arg-max class, regression the outputs")
    parser.add_argument("-T", "--output-type", "--output_type", choices=("int", "float"), default=None,
                        help="number format of the output (default: int for classification)")
    parser.add_argument("-H", "--has-headers", "--has_headers", action="store_true",
                        help="skip the first line of the input")
    parser.add_argument("-L", "--has-row-label", "--has_row_label", action="store_true",
                        help="the first column of the input is a row label, not a feature")
    parser.add_argument("-D", "--delimiter", default=",", help="column separator (default ,)")
    parser.add_argument("--batch-size", type=int, default=1000, help="rows per forward pass")
    add_allow_flag(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from pylearn2.utils import serial

    model = serial.load(args.model)
    try:
        X = np.loadtxt(args.input, delimiter=args.delimiter, skiprows=int(args.has_headers),
                       ndmin=2, dtype=np.float32)
    except (ValueError, OSError) as err:
        raise ConfigError(f"{args.input}: cannot read numbers ({err}); check --delimiter and "
                          "--has-headers.") from err
    if args.has_row_label:
        X = X[:, 1:]
    expected = model.get_input_space().get_total_dimension()
    if X.shape[1] != expected:
        raise ShapeError(f"{args.input}: rows have {X.shape[1]} values but the model expects "
                         f"{expected}; use --has-row-label if the first column is an id.")
    outputs = []
    with torch.no_grad():
        for start in range(0, len(X), args.batch_size):
            batch = torch.from_numpy(X[start:start + args.batch_size])
            batch = VectorSpace(expected).format_as(batch, model.get_input_space())
            outputs.append(model.fprop(batch).cpu().numpy())
    Y = np.concatenate(outputs)
    output_type = args.output_type or ("int" if args.prediction_type == "classification" else "float")
    if args.prediction_type == "classification":
        Y = Y.argmax(axis=1)[:, None]
    np.savetxt(args.output, Y, fmt="%d" if output_type == "int" else "%f", delimiter=args.delimiter)
    print(f"Wrote {len(Y)} predictions to {args.output}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
