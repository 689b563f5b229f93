"""Summarise a saved model's parameters: ``summarize_model.py MODEL``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

from pylearn2.scripts._common import add_allow_flag, run_cli


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="summarize_model.py",
        description="Print each parameter's shape, size and statistics, the total number of "
                    "parameters, and how far training got.")
    parser.add_argument("model", metavar="MODEL", help="a saved model file")
    add_allow_flag(parser)
    return parser


def summarize(model) -> list[str]:
    lines, total = [], 0
    for name, tensor in list(model.named_parameters()) + list(model.named_buffers()):
        value = tensor.detach().cpu().double().numpy()
        total += value.size if name in dict(model.named_parameters()) else 0
        lines.append(f"{name}: shape {tuple(value.shape)}, {value.size} values")
        if value.size == 0 or value.dtype == np.bool_:
            continue
        lines.append(f"\tmin {value.min():.6g}  mean {value.mean():.6g}  max {value.max():.6g}  "
                     f"std {value.std():.6g}")
        lines.append(f"\tabs min {np.abs(value).min():.6g}  abs mean {np.abs(value).mean():.6g}  "
                     f"abs max {np.abs(value).max():.6g}  L2 norm {np.linalg.norm(value):.6g}")
        if value.ndim == 2:
            rows, cols = np.linalg.norm(value, axis=1), np.linalg.norm(value, axis=0)
            lines.append(f"\trow norms min/mean/max {rows.min():.6g} {rows.mean():.6g} "
                         f"{rows.max():.6g}")
            lines.append(f"\tcol norms min/mean/max {cols.min():.6g} {cols.mean():.6g} "
                         f"{cols.max():.6g}")
    lines.append(f"total trainable parameters: {total}")
    monitor = getattr(model, "monitor", None)
    if monitor is not None:
        lines.append(f"examples seen: {monitor.get_examples_seen()}")
        lines.append(f"batches seen: {monitor.get_batches_seen()}")
        lines.append(f"epochs seen: {monitor.get_epochs_seen()}")
        lines.append(f"hours trained: {monitor.seconds_trained() / 3600.0:.4f}")
        lines.append("Training succeeded" if monitor.training_succeeded else
                     "Training was not yet completed (or was stopped by its time budget).")
    return lines


def run(args: argparse.Namespace) -> int:
    from pylearn2.utils import serial

    print("\n".join(summarize(serial.load(args.model))))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
