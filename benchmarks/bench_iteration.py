"""Batches per second of a shuffled_sequential pass over MNIST-sized data, against plain
tensor indexing with a numpy permutation measured in the same run (ratio >= 0.9 is the aim).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.space import CompositeSpace, VectorSpace


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=60000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(args.examples, 784)).astype(np.float32)
    y = rng.integers(0, 10, size=(args.examples, 1))
    dataset = DenseDesignMatrix(X=X, y=y, y_labels=10)
    specs = (CompositeSpace([VectorSpace(784), VectorSpace(10)]), ("features", "targets"))
    X_t = torch.from_numpy(X)
    Y_t = torch.nn.functional.one_hot(torch.from_numpy(y[:, 0]), 10).float()

    def plain() -> int:
        order = torch.from_numpy(np.random.default_rng(1).permutation(args.examples))
        count = 0
        for start in range(0, args.examples, args.batch_size):
            idx = order[start:start + args.batch_size]
            X_t[idx], Y_t[idx]
            count += 1
        return count

    def ours() -> int:
        return sum(1 for _ in dataset.iterator(mode="shuffled_sequential",
                                               batch_size=args.batch_size, rng=[1],
                                               data_specs=specs))

    rates: dict[str, list[float]] = {"plain": [], "pylearn2": []}
    for _ in range(args.repeats):
        for name, fn in (("plain", plain), ("pylearn2", ours)):
            start = time.perf_counter()
            batches = fn()
            rates[name].append(batches / (time.perf_counter() - start))
    plain_rate, our_rate = max(rates["plain"]), max(rates["pylearn2"])  # best of the passes
    print(f"shuffled_sequential, {args.examples} x 784, batch {args.batch_size}, "
          f"best of {args.repeats} passes")
    print(f"  plain tensor indexing : {plain_rate:9.0f} batches/s")
    print(f"  pylearn2 iterator     : {our_rate:9.0f} batches/s")
    print(f"  ratio                 : {our_rate / plain_rate:.3f}  (aim: >= 0.9)")
    return {"plain": plain_rate, "pylearn2": our_rate, "ratio": our_rate / plain_rate}


if __name__ == "__main__":
    main()
