"""Seconds per epoch of Train+SGD against a hand-written PyTorch loop doing the same work.

MLP 784-1000-1000-10 (ReLU, softmax), batch 128, plain SGD, random MNIST-shaped data.
Both sides shuffle with a numpy permutation per epoch, gather rows by index, use one-hot
targets and update with the same foreach step. Epochs alternate between the two so that
machine noise hits both alike; the ratio is median(pylearn2) / median(plain), printed
with the median of the per-epoch pairs' ratios (each pair ran back to back). With
``--compile`` it also times SGD(compile=True) and the plain loop compiled by hand, whose
speed-up bounds what compiling can give on this machine.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F
from timing import alternate

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.mlp import MLP, RectifiedLinear, Softmax
from pylearn2.termination_criteria import EpochCounter
from pylearn2.train import Train
from pylearn2.training_algorithms.sgd import SGD


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(n, 784)).astype(np.float32)
    y = rng.integers(0, 10, size=(n, 1))
    return X, y


def make_model() -> MLP:
    return MLP(nvis=784, seed=[1, 2, 3], layers=[
        RectifiedLinear(dim=1000, layer_name="h0", irange=0.05),
        RectifiedLinear(dim=1000, layer_name="h1", irange=0.05),
        Softmax(n_classes=10, layer_name="y", irange=0.05),
    ])


class PlainLoop:
    """The reference: what a researcher would write by hand in PyTorch."""

    def __init__(self, X: np.ndarray, y: np.ndarray, batch_size: int, lr: float) -> None:
        model = make_model()
        self.params = [p.detach().clone().requires_grad_(True) for p in model.parameters()]
        self.X = torch.from_numpy(X)
        self.Y = F.one_hot(torch.from_numpy(y[:, 0]), 10).float()
        self.batch_size, self.lr = batch_size, lr
        self.rng = np.random.default_rng([2012, 10, 5])

    @staticmethod
    def loss(params: list[torch.Tensor], x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        W0, b0, W1, b1, W2, b2 = params
        h = torch.relu(torch.addmm(b0, x, W0))
        h = torch.relu(torch.addmm(b1, h, W1))
        return F.cross_entropy(torch.addmm(b2, h, W2), t)

    def epoch(self) -> None:
        order = torch.from_numpy(self.rng.permutation(self.X.shape[0]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            grads = torch.autograd.grad(self.loss(self.params, self.X[idx], self.Y[idx]),
                                        self.params)
            with torch.no_grad():
                torch._foreach_add_(self.params, grads, alpha=-self.lr)


class PlainCompiledLoop(PlainLoop):
    """The same hand-written loop with its forward and loss under ``torch.compile``
    (backward and update as above): what compiling by hand buys on this machine."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.loss = torch.compile(PlainLoop.loss, dynamic=False)  # one graph per batch shape


class Pylearn2Run:
    """The same work through the library: Train + SGD, stepping one epoch per call."""

    def __init__(self, X: np.ndarray, y: np.ndarray, batch_size: int, lr: float,
                 compile: bool = False) -> None:
        dataset = DenseDesignMatrix(X=X, y=y, y_labels=10)
        algorithm = SGD(learning_rate=lr, batch_size=batch_size, device="cpu", compile=compile,
                        termination_criterion=EpochCounter(max_epochs=10**9))
        self.train = Train(dataset=dataset, model=make_model(), algorithm=algorithm)
        self.train.setup()
        self.train.run_callbacks_and_monitoring()

    def epoch(self) -> None:
        self.train.algorithm.train(dataset=self.train.dataset)
        self.train.monitor.report_epoch()
        self.train.run_callbacks_and_monitoring()


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=10000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--compile", action="store_true",
                        help="also time SGD(compile=True); its first epoch (the compile) is "
                             "reported separately")
    args = parser.parse_args(argv)
    X, y = make_data(args.examples)
    runs = {"plain": PlainLoop(X, y, args.batch_size, 0.01),
            "pylearn2": Pylearn2Run(X, y, args.batch_size, 0.01)}
    compile_seconds = None
    if args.compile:
        runs["compiled"] = Pylearn2Run(X, y, args.batch_size, 0.01, compile=True)
        start = time.perf_counter()
        runs["compiled"].epoch()  # the compile happens here
        compile_seconds = time.perf_counter() - start
        runs["plain compiled"] = PlainCompiledLoop(X, y, args.batch_size, 0.01)
        runs["plain compiled"].epoch()
    medians = alternate({name: run.epoch for name, run in runs.items()}, args.epochs)
    plain, ours = medians["plain"], medians["pylearn2"]
    print(f"MLP 784-1000-1000-10, batch {args.batch_size}, {args.examples} examples, "
          f"{torch.get_num_threads()} threads, median of {args.epochs} epochs")
    print(f"  plain PyTorch loop : {plain:.3f} s/epoch")
    print(f"  pylearn2 Train+SGD : {ours:.3f} s/epoch")
    paired = medians.paired_ratio("pylearn2", "plain")
    print(f"  ratio              : {ours / plain:.3f} of the medians, {paired:.3f} median of the "
          f"epoch pairs  (aim: <= 1.02)")
    result = {"plain": plain, "pylearn2": ours, "ratio": ours / plain, "paired_ratio": paired}
    if compile_seconds is not None:
        fast = medians["compiled"]
        speedup = 1 / medians.paired_ratio("compiled", "plain")
        print(f"  compiled SGD       : {fast:.3f} s/epoch, {plain / fast:.2f}x faster than the "
              f"plain eager loop ({speedup:.2f}x paired; aim >= 1.2); first epoch incl. compile "
              f"{compile_seconds:.1f} s")
        by_hand = medians["plain compiled"]
        against_hand = medians.paired_ratio("compiled", "plain compiled")
        print(f"  plain loop compiled by hand: {by_hand:.3f} s/epoch, {plain / by_hand:.2f}x "
              f"faster than eager; compiled SGD takes {against_hand:.3f} of its time (paired)")
        result.update(compiled=fast, compiled_speedup=plain / fast, compiled_paired_speedup=speedup,
                      compile_s=compile_seconds, plain_compiled=by_hand,
                      plain_compiled_speedup=plain / by_hand,
                      compiled_vs_plain_compiled=against_hand)
    return result


if __name__ == "__main__":
    main()
