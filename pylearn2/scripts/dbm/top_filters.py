"""``top_filters.py MODEL OUT_PREFIX``: how a DBM's second layer uses its first.

Writes ``OUT_PREFIX_prod.png``, the product of the first two layers' weights drawn as
one image per second-layer unit, and ``OUT_PREFIX.png``, a grid whose row i belongs to
the second-layer unit with the i-th largest weight norm and shows, left to right, the
first-layer filters with the largest connections into it. Each filter sits in a frame
whose colour gives the connection's sign (yellow excitatory, magenta inhibitory) and
whose brightness its strength relative to the row's strongest.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

from pylearn2.gui.patch_viewer import make_grid, rescale, save_png
from pylearn2.scripts._common import add_allow_flag, run_cli
from pylearn2.scripts.dbm import _viewing
from pylearn2.utils.exc import ConfigError

MASS = 0.9  # show enough filters to cover this share of a unit's absolute weight
MAX_SHOWN, MAX_ROWS = 10, 100


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="top_filters.py",
        description="Draw a DBM's second-layer units through their strongest first-layer "
                    "filters (OUT_PREFIX.png) and the product of the two weight matrices "
                    "(OUT_PREFIX_prod.png).")
    parser.add_argument("model", metavar="MODEL", help="a saved DBM with two hidden layers")
    parser.add_argument("out_prefix", metavar="OUT_PREFIX", help="prefix of the two PNG files")
    add_allow_flag(parser)
    return parser


def filters_needed(W2: np.ndarray) -> int:
    """Most first-layer filters any unit needs to reach MASS of its weight (at most 10)."""
    a = np.sort(np.abs(W2), axis=0)[::-1]
    shares = np.cumsum(a, axis=0) / np.maximum(a.sum(axis=0), 1e-30)
    needed = (shares < MASS).sum(axis=0) + 1
    print(f"{needed.mean():.3g} filters on average carry {MASS:.0%} of a unit's weight; the "
          f"most needed is {needed.max()} of {W2.shape[0]}")
    return int(min(needed.max(), MAX_SHOWN, W2.shape[0]))


def framed(image: np.ndarray, strength: float) -> np.ndarray:
    """``image`` (r, c, 3) in [0, 1] inside a 1-pixel frame: yellow for strength > 0,
    magenta for < 0, as bright as |strength| (in [-1, 1])."""
    colour = np.array([1.0, 1.0, 0.0] if strength > 0 else [1.0, 0.0, 1.0]) * abs(strength)
    out = np.empty((image.shape[0] + 2, image.shape[1] + 2, 3))
    out[:] = colour
    out[1:-1, 1:-1] = image
    return out


def run(args: argparse.Namespace) -> int:
    model, dataset = _viewing.load_model_and_dataset(args.model)
    if not _viewing.is_dbm(model) or len(model.hidden_layers) < 2:
        raise ConfigError(f"{args.model}: top_filters needs a DBM with at least two hidden "
                          "layers.")
    W1 = np.asarray(model.hidden_layers[0].get_weights(), dtype=np.float64)  # (vis, h1)
    W2 = np.asarray(model.hidden_layers[1].get_weights(), dtype=np.float64)  # (h1, h2)
    print(f"W1 {W1.shape}, W2 {W2.shape}")
    shown = rescale(_viewing.as_images((W1 @ W2).T, dataset), "individual")
    save_png(make_grid(shown), f"{args.out_prefix}_prod.png", tile=shown.shape[2] + 1)
    order = np.argsort(-(W2 ** 2).sum(axis=0), kind="stable")[:MAX_ROWS]
    count = filters_needed(W2[:, order])
    filters = rescale(_viewing.as_images(W1.T, dataset), "individual")
    cells = []
    for unit in order:
        w = W2[:, unit] / max(np.abs(W2[:, unit]).max(), 1e-30)
        for j in np.argsort(-np.abs(w), kind="stable")[:count]:
            cells.append(framed(np.repeat(filters[j], 3 // filters.shape[3], axis=2), w[j]))
    save_png(make_grid(np.stack(cells), rows=len(order), cols=count), f"{args.out_prefix}.png",
             tile=cells[0].shape[1] + 1)
    print(f"Wrote {args.out_prefix}_prod.png and {args.out_prefix}.png ({len(order)} units x "
          f"{count} filters)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
