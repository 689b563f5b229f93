"""``show_samples.py MODEL --out s.png``: Gibbs samples of a saved DBM or RBM.

Chains start at a batch of the model's training examples (or, with ``--from-biases``,
at samples of the visible biases), optionally run with the visible units clamped first,
then run freely; the visible states are drawn after each count in ``--steps``. The
classic tool asked for step counts at a prompt and redrew a window; this one writes a
PNG per count (``s_step<k>.png``; exactly ``--out`` for a single count).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np
import torch

from pylearn2.gui.patch_viewer import make_grid, save_png
from pylearn2.scripts._common import add_allow_flag, run_cli
from pylearn2.scripts.dbm import _viewing
from pylearn2.utils.exc import ConfigError


def step_list(text: str) -> list[int]:
    try:
        steps = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--steps takes comma-separated integers, got "
                                         f"{text!r}") from None
    if not steps or min(steps) < 0 or steps != sorted(steps):
        raise argparse.ArgumentTypeError("--steps must be increasing counts >= 0, e.g. 0,1,10")
    return steps


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="show_samples.py",
        description="Run block-Gibbs chains of a saved DBM or RBM and draw the visible units "
                    "as image grids (PNG), after each number of steps in --steps.")
    parser.add_argument("model", metavar="MODEL", help="a saved DBM or RBM")
    parser.add_argument("--out", required=True, metavar="FILE.png",
                        help="the picture (FILE_step<k>.png for each of several counts)")
    parser.add_argument("--rows", type=int, default=10, help="grid rows (default 10)")
    parser.add_argument("--cols", type=int, default=10, help="grid columns (default 10)")
    parser.add_argument("--steps", type=step_list, default=[0, 1, 10, 100], metavar="K,K,...",
                        help="draw after these cumulative free Gibbs steps (default 0,1,10,100; "
                             "0 is the starting batch)")
    parser.add_argument("--clamped-steps", type=int, default=0, metavar="N",
                        help="first run N steps with the visible units clamped to the data "
                             "(default 0)")
    parser.add_argument("--from-biases", action="store_true",
                        help="start from samples of the biases instead of training examples")
    parser.add_argument("--seed", type=int, default=2012 + 9 + 18,
                        help="seed of the chains and of the choice of examples (default 2039)")
    add_allow_flag(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    if args.rows < 1 or args.cols < 1 or args.clamped_steps < 0:
        raise ConfigError("--rows and --cols must be positive and --clamped-steps >= 0.")
    model, dataset = _viewing.load_model_and_dataset(args.model)
    _viewing.require_sampler(model, args.model)
    count = args.rows * args.cols
    seed_rows = None
    if not args.from_biases:
        if dataset is None:
            raise ConfigError(f"{args.model}: the model records no training dataset to start "
                              "the chains from; pass --from-biases.")
        X = dataset.get_design_matrix()
        pick = np.random.default_rng(args.seed).choice(len(X), size=count, replace=len(X) < count)
        seed_rows = X[pick]
    if hasattr(model, "set_batch_size"):
        model.set_batch_size(count)
    gen = torch.Generator().manual_seed(args.seed)
    state = _viewing.start_chains(model, seed_rows, count, gen)
    state = _viewing.gibbs(model, state, args.clamped_steps, gen, clamp_visible=True)
    done = 0
    paths = _viewing.numbered_paths(args.out, [f"step{k}" for k in args.steps])
    for steps, out in zip(args.steps, paths):
        state = _viewing.gibbs(model, state, steps - done, gen)
        done = steps
        visible = _viewing.visible_of(model, state)
        images = _viewing.tiles(visible, dataset)
        save_png(make_grid(images, rows=args.rows, cols=args.cols), out, tile=images.shape[2] + 1)
        print(f"after {steps} Gibbs steps: visible mean {visible.mean():.4g} -> {out}")
        print_labels(model, state, args.cols)
    return 0


def print_labels(model, state, cols: int) -> None:
    """The label layer's states as a grid of class indices (DBMs with a Softmax on top)."""
    if not _viewing.is_dbm(model) or type(model.hidden_layers[-1]).__name__ != "Softmax":
        return
    y = state[model.hidden_layers[-1]].detach().cpu().numpy().argmax(axis=1)
    for start in range(0, len(y), cols):
        print("  labels:", " ".join(str(v) for v in y[start:start + cols]))


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
