"""Print what a saved model's monitor recorded: ``print_monitor.py model.pkl [...]``."""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence

from pylearn2.scripts._common import add_allow_flag, run_cli
from pylearn2.utils.exc import ModelFileError
from pylearn2.utils.string_order import number_aware_key


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="print_monitor.py",
        description="Print epochs seen, time trained and each monitor channel's final value.")
    parser.add_argument("models", nargs="+", metavar="MODEL", help="saved model file(s)")
    parser.add_argument("-m", "--monitor", default="monitor", metavar="NAME",
                        help="print an earlier stage's monitor that push_monitor kept under "
                             "this name (e.g. monitor_stage_0) instead of the current one")
    parser.add_argument("-c", "--channels", nargs="+", default=None, metavar="PATTERN",
                        help="only channels matching these names or shell-style patterns, "
                             "e.g. 'valid_*' '*misclass'")
    add_allow_flag(parser)
    return parser


def format_monitor(monitor, patterns: Sequence[str] | None = None) -> list[str]:
    lines = [f"epochs seen:  {monitor.get_epochs_seen()}",
             f"time trained:  {_time_trained(monitor):.2f} s"]
    names = sorted(monitor.channels, key=number_aware_key)
    if patterns:
        from pylearn2.scripts.plot_monitor import select_channels

        names = select_channels(monitor, patterns)
    for name in names:
        record = monitor.channels[name].val_record
        if record:
            lines.append(f"{name} : {record[-1]:.10g}")
    return lines


def _time_trained(monitor) -> float:
    times = [t for c in monitor.channels.values() for t in c.time_record if math.isfinite(t)]
    return max(times) if times else 0.0


def run(args: argparse.Namespace) -> int:
    from pylearn2.monitor import Monitor
    from pylearn2.utils import serial

    for path in args.models:
        model = serial.load(path)
        monitor = getattr(model, args.monitor, None)
        if not isinstance(monitor, Monitor):
            if args.monitor == "monitor":
                raise ModelFileError(f"{path}: this model file has no monitor records.")
            kept = list(serial.pushed_monitors(model))
            raise ModelFileError(f"{path}: no monitor called {args.monitor!r}; the file keeps "
                                 f"{', '.join(kept) if kept else 'no earlier stages'}.")
        if len(args.models) > 1:
            print(path)
        print("\n".join(format_monitor(monitor, args.channels)))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
