"""Estimate a saved RBM's or DBM's log partition function and log-likelihood:
``pylearn2 ais MODEL``.

Annealed importance sampling from a base-rate model (visible biases from the training
data's marginals) prints ``log Z`` with its standard error; then the mean log-likelihood
of a dataset (the test set by default: the model's training set with ``which_set``
'test'), exact for RBMs given log Z, a variational lower bound for deeper DBMs. Small
models are also enumerated exactly (``--exact``, automatic when cheap).
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from pylearn2.scripts._common import add_allow_flag, run_cli
from pylearn2.utils.exc import ConfigError


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ais", description="AIS estimate of log Z and of the test-set log-likelihood of "
                                "a saved binary RBM or DBM.")
    parser.add_argument("model", metavar="MODEL", help="a saved model file")
    parser.add_argument("--chains", type=int, default=100, help="AIS particles (default 100)")
    parser.add_argument("--betas", type=int, default=None, metavar="N",
                        help="number of intermediate temperatures (default: the original's "
                             "schedule of 21,000)")
    parser.add_argument("--data", metavar="YAML",
                        help="a YAML file or string building the dataset to score "
                             "(default: the model's training set with which_set 'test')")
    parser.add_argument("--exact", action="store_true",
                        help="also enumerate log Z exactly (refused when too large)")
    parser.add_argument("--seed", type=int, default=23098,
                        help="seed of the AIS chains (default 23098, the original's)")
    add_allow_flag(parser)
    return parser


def schedule(n: int | None) -> np.ndarray | None:
    """The original's three-segment schedule, scaled to about n temperatures."""
    if n is None:
        return None
    if n < 3:
        raise ConfigError("--betas needs at least 3 temperatures.")
    a, b = max(1, n // 21), max(1, (n * 10) // 21)
    return np.unique(np.hstack([np.linspace(0, 0.5, a + 1), np.linspace(0.5, 0.9, b),
                                np.linspace(0.9, 1.0, max(1, n - a - b))]))


def test_set_source(train_src: str) -> str:
    """The training set's YAML turned into its test set (which_set 'test', no slicing)."""
    src = re.sub(r"which_set\s*:\s*['\"]?train['\"]?", "which_set: 'test'", train_src)
    return re.sub(r"\b(start|stop)\s*:\s*\d+\s*,?", "", src)


def _load_dataset(text: str) -> Any:
    import os

    from pylearn2.config import yaml_parse

    if os.path.exists(text):
        with open(text) as f:
            text = f.read()
    return yaml_parse.load(text)


def _design(dataset: Any) -> np.ndarray:
    return np.asarray(dataset.get_design_matrix(), dtype=np.float64)


def estimate(model: Any, chains: int, betas: np.ndarray | None, train: np.ndarray | None,
             exact: bool, seed: int) -> dict[str, Any]:
    """log Z by AIS (and exactly when asked); the functions to score data."""
    from pylearn2 import rbm_tools
    from pylearn2.models.dbm import DBM
    from pylearn2.models.dbm import ais as dbm_ais
    from pylearn2.models.rbm import RBM, GaussianBinaryRBM

    out: dict[str, Any] = {}
    if isinstance(model, DBM):
        (log_z, var), _ = dbm_ais.dbm_ais(model, chains, betas=betas, data=train, seed=seed)
        out["exact"] = dbm_ais.exact_log_z(model) if exact else None
        out["score"] = lambda X, lz: dbm_ais.variational_lower_bound(model, X, lz)
        out["kind"] = ("variational lower bound" if len(model.hidden_layers) > 1
                       else "exact given log Z")
    elif isinstance(model, RBM) and not isinstance(model, GaussianBinaryRBM):
        params = rbm_tools.rbm_params(model)
        (log_z, var), _ = rbm_tools.rbm_ais(params, chains, data=train, betas=betas, seed=seed)
        out["exact"] = rbm_tools.compute_log_z(model) if exact else None
        fe = rbm_tools.free_energy_of(params)
        out["score"] = lambda X, lz: -fe(X) - lz
        out["kind"] = "exact given log Z"
    else:
        raise ConfigError(f"pylearn2 ais needs a binary RBM or a DBM; {type(model).__name__} "
                          "is neither.")
    out["log_z"], out["sd"] = float(log_z), float(np.sqrt(var))
    return out


def run(args: argparse.Namespace) -> int:
    from pylearn2.utils import serial

    model = serial.load(args.model)
    train_src = getattr(model, "dataset_yaml_src", None)
    train = _design(_load_dataset(train_src)) if train_src else None
    nvis = int(np.prod(model.get_input_space().get_total_dimension()
                       if hasattr(model.get_input_space(), "get_total_dimension")
                       else model.get_input_space().dim))
    exact = args.exact or nvis <= 16
    started = time.time()
    result = estimate(model, args.chains, schedule(args.betas), train, exact, args.seed)
    n_betas = 21000 if args.betas is None else len(schedule(args.betas))
    print(f"log Z (AIS, {args.chains} chains, {n_betas} temperatures): "
          f"{result['log_z']:.4f} +/- {result['sd']:.4f} (one standard error; "
          f"{time.time() - started:.1f} s)")
    if result["exact"] is not None:
        print(f"log Z (exact enumeration): {result['exact']:.4f}")
    if args.data:
        data, label = _design(_load_dataset(args.data)), "given dataset"
    elif train_src:
        try:
            data, label = _design(_load_dataset(test_set_source(train_src))), "test set"
        except Exception as err:  # the training set has no test counterpart
            print(f"(no test set from the model's training data: {err}; scoring the "
                  "training set)")
            data, label = train, "training set"
    else:
        print("No dataset to score: the model records no training set; pass --data.")
        return 0
    scores = result["score"](data, result["log_z"])
    print(f"{label} log-likelihood ({len(data)} examples, {result['kind']}): "
          f"{float(np.mean(scores)):.4f}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
