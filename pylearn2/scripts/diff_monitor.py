"""``diff_monitor.py A B``: where the monitor records of two saved models differ."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

from pylearn2.scripts._common import add_allow_flag, run_cli


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="diff_monitor.py",
        description="Compare the monitor channels of two saved models: channels only one "
                    "has, and the first record where a shared channel differs.")
    parser.add_argument("first", metavar="A", help="a saved model file")
    parser.add_argument("second", metavar="B", help="another saved model file")
    parser.add_argument("--rtol", type=float, default=0.0,
                        help="relative tolerance for values to count as equal (default 0)")
    add_allow_flag(parser)
    return parser


def monitor_differences(first, second, rtol: float = 0.0) -> list[str]:
    """One line per difference between two monitors' channels (empty when identical)."""
    a, b = first.channels, second.channels
    lines = [f"only in A: {n}" for n in sorted(set(a) - set(b))]
    lines += [f"only in B: {n}" for n in sorted(set(b) - set(a))]
    for name in sorted(set(a) & set(b)):
        va, vb = np.asarray(a[name].val_record, float), np.asarray(b[name].val_record, float)
        if va.shape != vb.shape:
            lines.append(f"{name}: {va.size} records in A, {vb.size} in B")
            continue
        bad = np.flatnonzero(~np.isclose(va, vb, rtol=rtol, atol=0.0, equal_nan=True))
        if bad.size:
            i = int(bad[0])
            lines.append(f"{name}: record {i} (epoch {a[name].epoch_record[i]}) "
                         f"A={float(va[i])!r} B={float(vb[i])!r}")
    return lines


def run(args: argparse.Namespace) -> int:
    from pylearn2.monitor import Monitor
    from pylearn2.utils import serial

    monitors = [getattr(serial.load(p), "monitor", None) or Monitor()
                for p in (args.first, args.second)]
    lines = monitor_differences(*monitors, rtol=args.rtol)
    print("\n".join(lines) if lines else "the monitors are identical")
    return 1 if lines else 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
