"""``step_through_norb_foveated.py --which_set test --start 0 --out pairs.png``: the
foveated small NORB's stereo pairs in order, with their labels.

The images are decoded from the retina code and centred; each pair is scaled by its
own peak and drawn second eye first, as the classic tool drew them. That tool showed
one pair per key press; this one writes ``--count`` pairs from ``--start`` to a PNG and
prints each pair's category and instance.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

from pylearn2.gui.patch_viewer import rescale, save_png
from pylearn2.scripts._common import run_cli
from pylearn2.scripts.datasets.browse_norb import pair_grid
from pylearn2.utils.exc import ConfigError

CATEGORIES = ("animal", "human", "airplane", "truck", "car")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="step_through_norb_foveated.py",
        description="Draw the foveated small NORB's stereo pairs in order (PNG) and print "
                    "their labels.")
    parser.add_argument("--which_set", "--which-set", choices=("train", "test"),
                        default="train", help="which set (default train)")
    parser.add_argument("--start", type=int, default=0, help="the first pair (default 0)")
    parser.add_argument("--count", type=int, default=10, help="pairs to draw (default 10)")
    parser.add_argument("--cols", type=int, default=5, help="pairs per row (default 5)")
    parser.add_argument("--out", required=True, metavar="FILE.png", help="the picture")
    return parser


def run(args: argparse.Namespace) -> int:
    from pylearn2.datasets.norb_small import FoveatedNORB

    if args.start < 0 or args.count < 1 or args.cols < 1:
        raise ConfigError("--start must be >= 0 and --count, --cols positive.")
    dataset = FoveatedNORB(which_set=args.which_set, center=True)
    n = dataset.get_num_examples()
    if args.start >= n:
        raise ConfigError(f"--start {args.start}: the {args.which_set} set has {n} pairs.")
    rows = np.arange(args.start, min(n, args.start + args.count))
    topo = dataset.get_topological_view(dataset.X[rows]).astype(np.float64)
    peaks = np.abs(topo).reshape(len(rows), -1).max(axis=1)
    topo /= np.where(peaks > 0, peaks, 1.0)[:, None, None, None]
    pairs = topo[..., ::-1].transpose(0, 3, 1, 2)  # (N, eye, rows, cols): channel 1 first
    for index in rows:
        category = int(np.asarray(dataset.y[index]).reshape(-1).argmax()) \
            if dataset.y.shape[1] > 1 else int(dataset.y[index, 0])
        print(f"#{index}: category {CATEGORIES[category] if category < 5 else category}, "
              f"instance {int(dataset.instance[index])}")
    save_png(pair_grid(rescale(pairs, "none"), cols=min(args.cols, len(rows))), args.out,
             tile=topo.shape[2] + 1)
    print(f"{len(rows)} pairs -> {args.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
