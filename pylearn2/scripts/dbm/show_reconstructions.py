"""``show_reconstructions.py MODEL --out r.png``: examples beside their reconstructions.

For a DBM, mean-field inference estimates the hidden layers from each example, then one
mean-field pass down from the first hidden layer gives the reconstruction; for an RBM,
the mean of the visible units given the mean of the hidden units. Each example is drawn
beside its reconstruction (and, for a whitened dataset that can map back, beside both
mapped back to image space). The classic tool redrew a window on each key press; this
one writes one PNG of ``--rows`` x ``--cols`` pairs.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from pylearn2.gui.patch_viewer import make_grid, save_png
from pylearn2.scripts._common import add_allow_flag, run_cli
from pylearn2.scripts.dbm import _viewing


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="show_reconstructions.py",
        description="Draw training examples of a saved DBM or RBM beside the model's "
                    "mean-field reconstructions of them (PNG).")
    parser.add_argument("model", metavar="MODEL", help="a saved DBM or RBM")
    parser.add_argument("--out", required=True, metavar="FILE.png", help="the picture")
    parser.add_argument("--rows", type=int, default=5, help="grid rows (default 5)")
    parser.add_argument("--cols", type=int, default=10, help="pairs per row (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the choice of examples")
    add_allow_flag(parser)
    return parser


@torch.no_grad()
def reconstruct(model: Any, X: np.ndarray) -> np.ndarray:
    V = torch.as_tensor(X, dtype=next(model.parameters()).dtype)
    if _viewing.is_dbm(model):
        first = model.hidden_layers[0]
        H = model.mf(V)
        out = model.visible_layer.mf_update(state_above=first.downward_state(H[0]),
                                            layer_above=first)
    else:
        out = model.mean_v_given_h(model.mean_h_given_v(V))
    return out.cpu().numpy()


def run(args: argparse.Namespace) -> int:
    model, dataset = _viewing.load_model_and_dataset(args.model, need_data=True)
    _viewing.require_sampler(model, args.model)
    X = dataset.get_design_matrix()
    count = min(args.rows * args.cols, len(X))
    X = X[np.sort(np.random.default_rng(args.seed).choice(len(X), count, replace=False))]
    if hasattr(model, "set_batch_size"):
        model.set_batch_size(count)
    R = reconstruct(model, X)
    groups = [X, R]
    if hasattr(dataset, "mapback"):
        groups += [dataset.mapback(X), dataset.mapback(R)]
    images = np.stack([_viewing.tiles(g, dataset) for g in groups], axis=1)
    images = images.reshape(-1, *images.shape[2:])
    save_png(make_grid(images, rows=args.rows, cols=len(groups) * args.cols), args.out,
             tile=images.shape[2] + 1)
    error = float(((X.astype(np.float64) - R) ** 2).sum(axis=1).mean())
    print(f"{count} examples and their reconstructions (mean squared error per example "
          f"{error:.4g}) -> {args.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
