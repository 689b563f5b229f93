"""Tiny shared builders for tests: datasets, models and jobs that train in milliseconds.

Import from a test as ``from helpers import classification_data, classifier, small_job``
(pytest puts tests/ on the path).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.mlp import MLP, Linear, RectifiedLinear, Softmax


def classification_data(n: int = 60, nvis: int = 5, seed: int = 0) -> DenseDesignMatrix:
    """Four classes given by the signs of the first two of ``nvis`` Gaussian features."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, nvis)).astype(np.float32)
    y = (X[:, :1] > 0).astype(np.int64) + 2 * (X[:, 1:2] > 0)
    return DenseDesignMatrix(X=X, y=y, y_labels=4)


def regression_data(n: int = 10, nvis: int = 3, nout: int = 2, seed: int = 0) -> DenseDesignMatrix:
    """Gaussian inputs and unrelated Gaussian targets."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, nvis)).astype(np.float32)
    y = rng.normal(size=(n, nout)).astype(np.float32)
    return DenseDesignMatrix(X=X, y=y)


def classifier(nvis: int = 5, seed: Sequence[int] = (4, 5, 6), hidden: int = 8,
               hidden_irange: float = 0.3, out_irange: float = 0.1,
               max_col_norm: float | None = None) -> MLP:
    """A one-hidden-layer ReLU + softmax MLP over four classes."""
    return MLP(nvis=nvis, seed=list(seed), layers=[
        RectifiedLinear(dim=hidden, layer_name="h0", irange=hidden_irange,
                        max_col_norm=max_col_norm),
        Softmax(n_classes=4, layer_name="y", irange=out_irange, max_col_norm=max_col_norm),
    ])


def linear_model(nvis: int = 3, nout: int = 2) -> MLP:
    """One Linear layer (squared-error cost)."""
    return MLP(nvis=nvis, layers=[Linear(dim=nout, layer_name="out", irange=0.5)])


def small_job(save_path: Any = None, epochs: int = 2, extensions: Sequence[Any] = (),
              update_callbacks: Any = None, **train_args: Any) -> Any:
    """A Train job: ``classifier()`` on ``classification_data()`` with SGD, batch size 10,
    a monitored 'valid' set and an EpochCounter."""
    from pylearn2.termination_criteria import EpochCounter
    from pylearn2.train import Train
    from pylearn2.training_algorithms.sgd import SGD

    algorithm = SGD(learning_rate=0.05, batch_size=10,
                    monitoring_dataset={"valid": classification_data(n=20, seed=1)},
                    termination_criterion=EpochCounter(epochs), update_callbacks=update_callbacks)
    return Train(dataset=classification_data(), model=classifier(), algorithm=algorithm,
                 save_path=None if save_path is None else str(save_path),
                 save_freq=1 if save_path is not None else 0, extensions=list(extensions),
                 **train_args)


def write_fake_mnist(data_dir: Any, train: int = 120, test: int = 40) -> None:
    """MNIST IDX files (gzipped) under ``data_dir/mnist`` with learnable labels: each
    image's label row lights up. Clears the MNIST reader's cache so they are read."""
    import gzip
    import struct
    from pathlib import Path

    from pylearn2.utils import mnist_ubyte

    folder = Path(data_dir) / "mnist"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", train), ("t10k", test)):
        labels = rng.integers(0, 10, size=n).astype(np.uint8)
        images = rng.integers(0, 60, size=(n, 28, 28)).astype(np.uint8)
        images[np.arange(n), labels, :] = 255
        with gzip.open(folder / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
            f.write(struct.pack(">iiii", 2051, n, 28, 28) + images.tobytes())
        with gzip.open(folder / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(struct.pack(">ii", 2049, n) + labels.tobytes())
    mnist_ubyte._cached.cache_clear()


CSV_TIMING_COLUMNS = frozenset({"seconds", "training_seconds_this_epoch",
                                "total_seconds_last_epoch"})


def csv_rows_without_timing(path: Any) -> list[list[str]]:
    """The rows of a CSV log (header first) without its wall-clock columns, which differ
    between any two runs; everything else must match between a run and its resumed twin."""
    import csv

    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    keep = [i for i, name in enumerate(rows[0]) if name not in CSV_TIMING_COLUMNS]
    return [[row[i] for i in keep] for row in rows]
