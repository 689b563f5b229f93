"""Per-step overhead on small models, the monitor pass and busy-neighbour robustness.

Each case runs the library and a hand-written PyTorch loop doing the same work in the
same process, epochs alternating (benchmarks/timing.py), and prints per-step times:
- tiny 784-10 softmax regression, batch 20, plain SGD;
- MLP 20-16-3 with momentum, max_col_norm and Dropout, batch 20;
- the monitor pass over 2000 examples against a plain no-grad forward computing the
  same two channels (nll and misclassification), and against a plain loop computing
  all the monitor's channels by hand;
- the tiny model's epoch while a busy-looping process (it stops itself) holds one core.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from timing import alternate

from pylearn2.costs.mlp.dropout import Dropout
from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.mlp import MLP, Sigmoid, Softmax
from pylearn2.termination_criteria import EpochCounter
from pylearn2.train import Train
from pylearn2.training_algorithms.learning_rule import Momentum
from pylearn2.training_algorithms.sgd import SGD

BATCH = 20


def _data(n: int, nvis: int, classes: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return (rng.normal(size=(n, nvis)).astype(np.float32),
            rng.integers(0, classes, size=(n, 1)))


def _train(X, y, classes, model, **sgd) -> Train:
    dataset = DenseDesignMatrix(X=X, y=y, y_labels=classes)
    algorithm = SGD(learning_rate=0.05, batch_size=BATCH, device="cpu",
                    termination_criterion=EpochCounter(max_epochs=10**9), **sgd)
    job = Train(dataset=dataset, model=model, algorithm=algorithm)
    job.setup()
    return job


class _Plain:
    """Hand-written loop: numpy permutation per epoch, rows gathered by index."""

    def __init__(self, X, y, classes, params) -> None:
        self.X = torch.from_numpy(X)
        self.Y = F.one_hot(torch.from_numpy(y[:, 0]), classes).float()
        self.params = [p.detach().clone().requires_grad_(True) for p in params]
        self.rng = np.random.default_rng([2012, 10, 5])

    def epoch(self) -> None:
        order = torch.from_numpy(self.rng.permutation(self.X.shape[0]))
        for start in range(0, len(order), BATCH):
            idx = order[start:start + BATCH]
            self.step(self.X[idx], self.Y[idx])


class PlainSoftmax(_Plain):
    def step(self, x, t) -> None:
        W, b = self.params
        loss = F.cross_entropy(torch.addmm(b, x, W), t)
        grads = torch.autograd.grad(loss, self.params)
        with torch.no_grad():
            torch._foreach_add_(self.params, grads, alpha=-0.05)


class PlainFeatureMLP(_Plain):
    """Momentum 0.5, max column norm 1.0 on both weight matrices, dropout (include 0.5,
    scale 2) on each layer's input, as the library's Dropout cost defaults."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.velocity = [torch.zeros_like(p) for p in self.params]
        self.weights = [self.params[0], self.params[2]]

    def step(self, x, t) -> None:
        W0, b0, W1, b1 = self.params
        x = x * torch.bernoulli(torch.full_like(x, 0.5)) * 2.0
        h = torch.sigmoid(torch.addmm(b0, x, W0))
        h = h * torch.bernoulli(torch.full_like(h, 0.5)) * 2.0
        loss = F.cross_entropy(torch.addmm(b1, h, W1), t)
        grads = torch.autograd.grad(loss, self.params)
        with torch.no_grad():
            torch._foreach_mul_(self.velocity, 0.5)
            torch._foreach_add_(self.velocity, grads, alpha=-0.05)
            torch._foreach_add_(self.params, self.velocity)
            for W in self.weights:
                norms = W.norm(dim=0, keepdim=True)
                W.mul_(torch.clamp(1.0 / (norms + 1e-7), max=1.0))


def _ms_per_step(seconds: float, n: int) -> float:
    return 1000.0 * seconds / (n // BATCH)


def bench_tiny(n: int, repeats: int) -> dict[str, float]:
    X, y = _data(n, 784, 10)
    model = MLP(nvis=784, seed=[1, 2, 3], layers=[Softmax(n_classes=10, layer_name="y", irange=0.05)])
    job = _train(X, y, 10, model)
    plain = PlainSoftmax(X, y, 10, list(model.parameters()))
    return _per_step(f"tiny 784-10, batch {BATCH}", job, plain, n, repeats, 0.05)


def _per_step(label: str, job: Train, plain: _Plain, n: int, repeats: int,
              aim_ms: float) -> dict[str, float]:
    """Alternate library and plain epochs; print and return milliseconds per step."""
    t = alternate({"plain": plain.epoch, "pylearn2": lambda: job.algorithm.train(job.dataset)},
                  repeats)
    out = {k: _ms_per_step(v, n) for k, v in t.items()}
    extra = out["pylearn2"] - out["plain"]
    paired = statistics.median(_ms_per_step(a - b, n) for a, b in
                               zip(t.rounds["pylearn2"], t.rounds["plain"]))
    print(f"{label}: plain {out['plain']:.3f} ms/step, pylearn2 {out['pylearn2']:.3f} ms/step, "
          f"{extra:+.3f} ms ({paired:+.3f} median of the epoch pairs; aim <= +{aim_ms})")
    return {"plain_ms": out["plain"], "pylearn2_ms": out["pylearn2"], "overhead_ms": extra,
            "paired_overhead_ms": paired}


def bench_features(n: int, repeats: int) -> dict[str, float]:
    X, y = _data(n, 20, 3)
    model = MLP(nvis=20, seed=[1, 2, 3], layers=[
        Sigmoid(dim=16, layer_name="h", irange=0.1, max_col_norm=1.0),
        Softmax(n_classes=3, layer_name="y", irange=0.1, max_col_norm=1.0)])
    job = _train(X, y, 3, model, learning_rule=Momentum(0.5), cost=Dropout())
    plain = PlainFeatureMLP(X, y, 3, list(model.parameters()))
    return _per_step(f"MLP 20-16-3 momentum+max_col_norm+Dropout, batch {BATCH}", job, plain,
                     n, repeats, 0.15)


def bench_monitor(n: int, repeats: int) -> dict[str, float]:
    X, y = _data(n, 784, 10)
    dataset = DenseDesignMatrix(X=X, y=y, y_labels=10)

    def monitored(compile: bool) -> Train:
        model = MLP(nvis=784, seed=[1, 2, 3], layers=[
            Sigmoid(dim=100, layer_name="h", irange=0.05),
            Softmax(n_classes=10, layer_name="y", irange=0.05)])
        algorithm = SGD(learning_rate=0.05, batch_size=100, device="cpu", compile=compile,
                        monitoring_dataset=dataset,
                        termination_criterion=EpochCounter(max_epochs=10**9))
        job = Train(dataset=dataset, model=model, algorithm=algorithm)
        job.setup()
        return job

    job = monitored(False)
    model = job.model
    W0, b0, W1, b1 = [p.detach() for p in model.parameters()]
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y[:, 0])

    def plain() -> None:
        with torch.no_grad():
            nll = mis = 0.0
            for start in range(0, n, 100):
                logits = torch.addmm(b1, torch.sigmoid(torch.addmm(b0, Xt[start:start + 100], W0)), W1)
                target = yt[start:start + 100]
                nll += float(F.cross_entropy(logits, target, reduction="sum"))
                mis += float((logits.argmax(1) != target).sum())

    def plain_all() -> dict[str, float]:
        """By hand, every channel the monitor records: per batch the hidden layer's
        twelve activation statistics, the softmax's three max-class statistics, nll and
        misclassification (batch-weighted sums on the device, one read at the end); the
        weight norms once."""
        with torch.no_grad():
            sums = torch.zeros(17, dtype=torch.float64)
            for start in range(0, n, 100):
                x, target = Xt[start:start + 100], yt[start:start + 100]
                h = torch.sigmoid(torch.addmm(b0, x, W0))
                logits = torch.addmm(b1, h, W1)
                low, high = torch.aminmax(h, dim=0)
                per_unit = torch.stack([high, h.mean(0), low, high - low])
                max_prob = torch.softmax(logits, 1).max(1).values
                row = torch.cat([per_unit.amax(1), per_unit.mean(1), per_unit.amin(1),
                                 torch.stack([max_prob.mean(), max_prob.max(), max_prob.min(),
                                              F.cross_entropy(logits, target),
                                              (logits.argmax(1) != target).float().mean()])])
                sums += row.double() * len(x)
            norms = [W.norm(dim=d) for W in (W0, W1) for d in (1, 0)]
            reductions = (torch.amin, torch.mean, torch.amax)
            values = torch.cat([sums / n, torch.stack([f(v) for v in norms
                                                       for f in reductions]).double()])
            names = [f"h_{x}_x_{u}_u" for u in ("max", "mean", "min")
                     for x in ("max", "mean", "min", "range")] + [
                "y_mean_max_class", "y_max_max_class", "y_min_max_class", "y_nll", "y_misclass"] + [
                f"{layer}_{kind}_norms_{f}" for layer in ("h", "y") for kind in ("row", "col")
                for f in ("min", "mean", "max")]
            return dict(zip(names, values.tolist()))

    monitor = job.model.monitor
    monitor()
    by_hand = plain_all()
    worst = max(abs(monitor.last(name) - value) / max(abs(value), 1e-6)
                for name, value in by_hand.items())
    assert worst < 1e-4, f"the hand-written channels differ from the monitor's ({worst:.2g})"
    runs: dict[str, Callable[[], None]] = {"plain": plain, "plain_all": plain_all,
                                           "eager": monitor}
    compile_s = None
    if os.environ.get("BENCH_COMPILE", "1") != "0":
        fast = monitored(True)
        start = time.perf_counter()
        fast.model.monitor()  # compiles the per-batch function
        compile_s = time.perf_counter() - start
        runs["compiled"] = fast.model.monitor
    t = alternate(runs, repeats)
    ratio = t["eager"] / t["plain"]
    print(f"monitor pass, MLP 784-100-10, {n} examples: plain no-grad {t['plain'] * 1000:.1f} ms, "
          f"monitor {t['eager'] * 1000:.1f} ms, ratio {ratio:.2f} eager "
          f"({t.paired_ratio('eager', 'plain'):.2f} paired)")
    print(f"  a plain loop computing the same {len(by_hand)} channels by hand "
          f"{t['plain_all'] * 1000:.1f} ms: the eager monitor is {t['eager'] / t['plain_all']:.2f} "
          f"times that")
    out = {"plain_s": t["plain"], "pylearn2_s": t["eager"], "ratio": ratio,
           "plain_all_channels_s": t["plain_all"],
           "ratio_to_all_channels": t["eager"] / t["plain_all"]}
    if compile_s is not None:
        out.update(compiled_s=t["compiled"], compiled_ratio=t["compiled"] / t["plain"],
                   compiled_paired_ratio=t.paired_ratio("compiled", "plain"), compile_s=compile_s)
        print(f"  compiled monitor (SGD compile: true) {t['compiled'] * 1000:.1f} ms, ratio "
              f"{out['compiled_ratio']:.2f} to the plain eager forward "
              f"({out['compiled_paired_ratio']:.2f} paired; aim <= 1.1); "
              f"compiling took {compile_s:.1f} s")
    return out


BUSY_LOOP = ("import os, time\n"
             "if hasattr(os, 'sched_setaffinity'):  # one core: the last this process may use\n"
             "    os.sched_setaffinity(0, {{max(os.sched_getaffinity(0))}})\n"
             "end = time.time() + {seconds}\nwhile time.time() < end:\n    pass\n")


def bench_busy_neighbour(n: int, repeats: int) -> dict[str, float]:
    X, y = _data(n, 784, 10)
    model = MLP(nvis=784, seed=[1, 2, 3], layers=[Softmax(n_classes=10, layer_name="y", irange=0.05)])
    job = _train(X, y, 10, model)
    epoch = {"epoch": lambda: job.algorithm.train(job.dataset)}
    quiet = alternate(epoch, repeats)["epoch"]
    neighbour = subprocess.Popen([sys.executable, "-c", BUSY_LOOP.format(seconds=120)])
    try:
        busy = alternate(epoch, repeats)["epoch"]
    finally:
        neighbour.kill()
        neighbour.wait()
    ratio = busy / quiet
    print(f"tiny 784-10 epoch ({torch.get_num_threads()} threads): quiet {quiet:.3f} s, with a "
          f"busy neighbour {busy:.3f} s, ratio {ratio:.2f} (aim <= 2)")
    return {"quiet_s": quiet, "busy_s": busy, "ratio": ratio,
            "threads": float(torch.get_num_threads())}


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    return {"tiny_784_10": bench_tiny(args.examples, args.repeats),
            "mlp_momentum_maxnorm_dropout": bench_features(args.examples, args.repeats),
            "monitor_pass": bench_monitor(args.examples, args.repeats),
            "busy_neighbour": bench_busy_neighbour(args.examples, args.repeats)}


if __name__ == "__main__":
    main()
