"""Plot monitor channels of one or more saved models: ``plot_monitor.py MODEL... --out p.png``."""

from __future__ import annotations

import argparse
import fnmatch
import os
from collections.abc import Sequence

from pylearn2.scripts._common import add_allow_flag, has_display, run_cli
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.string_order import number_aware_key

X_AXES = {"epoch": "epochs", "batch": "batches", "example": "examples", "second": "seconds"}


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plot_monitor.py",
        description="Plot monitor channels recorded in saved models. Channels are chosen by "
                    "name or shell-style pattern; several models are overlaid.")
    parser.add_argument("models", nargs="+", metavar="MODEL", help="saved model file(s)")
    parser.add_argument("-c", "--channels", nargs="+", default=None, metavar="NAME",
                        help="channel names or patterns such as '*_y_misclass' (default: every "
                             "channel ending in objective or misclass)")
    parser.add_argument("-x", "--x-axis", choices=sorted(X_AXES), default="epoch",
                        help="what the horizontal axis counts (default: epoch)")
    parser.add_argument("--log-y", action="store_true", help="logarithmic vertical axis")
    parser.add_argument("--yrange", metavar="LO:HI", default=None,
                        help="vertical range, e.g. 0:0.1")
    parser.add_argument("--out", metavar="FILE.png",
                        help="write a PNG (default: open a window when a display exists)")
    parser.add_argument("--list", action="store_true", help="only list the channel names")
    add_allow_flag(parser)
    return parser


def select(names: Sequence[str], patterns: Sequence[str] | None) -> list[str]:
    if patterns is None:
        return [n for n in names if n.endswith(("objective", "misclass"))]
    chosen = [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns)]
    if not chosen:
        from pylearn2.utils.exc import did_you_mean

        raise ConfigError(f"No channel matches {list(patterns)}."
                          f"{did_you_mean(patterns[0], names)} Use --list to see them all.")
    return chosen


def labels_for(paths: Sequence[str]) -> list[str]:
    """Short distinct labels for several model files (their names without the common parts)."""
    names = [os.path.splitext(os.path.basename(p))[0] for p in paths]
    if len(set(names)) == len(names):
        return names
    return list(paths)


def run(args: argparse.Namespace) -> int:
    from pylearn2.monitor import records_as_array
    from pylearn2.utils import serial

    monitors = [serial.load(path).monitor for path in args.models]
    if any(m is None for m in monitors):
        raise ConfigError("A model file has no monitor records to plot.")
    if args.list:
        for path, monitor in zip(args.models, monitors):
            print(f"{path}:")
            for name in sorted(monitor.channels, key=number_aware_key):
                print(f"  {name}")
        return 0
    if not args.out and not has_display():
        raise ConfigError("No display is available; pass --out FILE.png to write the plot.")
    import matplotlib

    if args.out:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5.5))
    labels = labels_for(args.models)
    plotted = 0
    for label, monitor in zip(labels, monitors):
        names = sorted(monitor.channels, key=number_aware_key)
        for name in select(names, args.channels):
            x, y = records_as_array(monitor.channels[name], args.x_axis)
            ax.plot(x, y, marker="." if len(x) < 50 else None,
                    label=name if len(monitors) == 1 else f"{name}:{label}")
            plotted += 1
    if plotted == 0:
        raise ConfigError("Nothing to plot: no selected channel has records.")
    ax.set_xlabel(X_AXES[args.x_axis])
    if args.log_y:
        ax.set_yscale("log")
    if args.yrange:
        try:
            lo, hi = (float(v) for v in args.yrange.split(":"))
        except ValueError:
            raise ConfigError(f"--yrange must look like LO:HI, got {args.yrange!r}.") from None
        ax.set_ylim(lo, hi)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    if args.out:
        fig.savefig(args.out, dpi=100)
        print(f"Wrote {args.out} ({plotted} curves)")
    else:
        plt.show()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
