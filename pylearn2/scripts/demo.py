"""The `make demo` job: train the digits MLP example and report its test error.

The example ships inside the package (``pylearn2/examples/digits_mlp.yaml``), so the demo
works from a checkout and from an installed wheel alike; outputs go to ``--out-dir``
(default ``pylearn2_demo/`` in the current folder), never into the installed package.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EXAMPLE = EXAMPLES / "digits_mlp.yaml"


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pylearn2-demo", description="Train a small MLP on the bundled 8x8 digits and "
                                          "print its test error.")
    parser.add_argument("--out-dir", default="pylearn2_demo", metavar="DIR",
                        help="where the models and CSV go (default: pylearn2_demo/)")
    parser.add_argument("--max-epochs", type=int, default=None, metavar="N",
                        help="stop after N epochs (default: the example's 100, or earlier "
                             "when validation error stops improving)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no per-epoch log lines")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from pylearn2.scripts import train
    from pylearn2.utils import serial

    args = make_parser().parse_args(argv)
    if not EXAMPLE.exists():
        print(f"pylearn2-demo: error: the bundled example {EXAMPLE} is missing; reinstall "
              "pylearn2.", file=sys.stderr)
        return 2
    os.makedirs(args.out_dir, exist_ok=True)
    final_path = os.path.join(args.out_dir, "digits_mlp.pkl")
    model_path = os.path.join(args.out_dir, "digits_mlp_best.pkl")
    overrides = [f"save_path={final_path}", f"extensions[0].save_path={model_path}"]
    if args.max_epochs is not None:
        overrides.append(f"algorithm.termination_criterion.criteria[1].max_epochs={args.max_epochs}")
    started = time.time()
    status = train.main([str(EXAMPLE), *overrides] + (["-q"] if args.quiet else []))
    if status:
        return status
    final = serial.load(final_path).monitor
    best = serial.load(model_path).monitor
    print()
    print(f"Trained {final.get_epochs_seen()} epochs in {time.time() - started:.1f} s; the best "
          f"validation error was at epoch {best.get_epochs_seen()}.")
    print(f"Test error of that model (test_y_misclass): {100 * best.last('test_y_misclass'):.2f}%")
    print(f"Model saved to: {model_path}")
    print(f"Inspect it with: pylearn2 print-monitor {model_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
