"""``dbm_metrics.py ais MODEL``: the original's DBM metrics script, now the
``pylearn2 ais`` command (:mod:`pylearn2.scripts.ais`); ``estimate_likelihood`` is the
same estimate from Python."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from pylearn2.models.dbm.ais import dbm_ais, variational_lower_bound


def estimate_likelihood(model: Any, trainset: Any, testset: Any, n_runs: int = 100,
                        betas: np.ndarray | None = None, seed: int = 23098
                        ) -> tuple[float, float, float]:
    """``(log Z, its standard error, mean test log-likelihood bound)`` of a DBM."""
    train = np.asarray(trainset.get_design_matrix(), dtype=np.float64)
    (log_z, var), _ = dbm_ais(model, n_runs, betas=betas, data=train, seed=seed)
    test = np.asarray(testset.get_design_matrix(), dtype=np.float64)
    return log_z, float(np.sqrt(var)), float(variational_lower_bound(model, test, log_z).mean())


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] != "ais":
        print("usage: dbm_metrics.py ais MODEL [pylearn2 ais options]", file=sys.stderr)
        return 2
    from pylearn2.scripts import ais

    return ais.main(argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
