"""Plot monitor channels of one or more saved models: ``plot_monitor.py MODEL... --out p.png``."""

from __future__ import annotations

import argparse
import fnmatch
import os
import sys
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
                             "channel ending in objective or misclass); channels are grouped "
                             "into panels by kind (objectives, error rates, norms, ...)")
    parser.add_argument("-x", "--x-axis", choices=sorted(X_AXES), default="epoch",
                        help="what the horizontal axis counts (default: epoch)")
    parser.add_argument("--log-y", action="store_true",
                        help="logarithmic vertical axes (linear near zero, so zeros still show)")
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
    if not names:
        return []
    from pylearn2.utils.exc import did_you_mean

    chosen = [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns)]
    if not chosen:
        raise ConfigError(f"No channel matches {list(patterns)}."
                          f"{did_you_mean(patterns[0], names)} Use --list to see them all.")
    for pattern in patterns:
        if not any(fnmatch.fnmatchcase(n, pattern) for n in names):
            print(f"warning: no channel matches {pattern!r}.{did_you_mean(pattern, names)}",
                  file=sys.stderr)
    return chosen


def select_channels(monitor, patterns: Sequence[str] | None) -> list[str]:
    """:func:`select` over a monitor's channels. A pattern may also name the per-dataset
    name of a parameter channel recorded once (``valid_h0_col_norms_max`` for
    ``h0_col_norms_max``); such a name is chosen when no pattern picks its channel."""
    names = sorted(monitor.channels, key=number_aware_key)
    resolves = getattr(monitor, "channel_names", None)
    if patterns is None or resolves is None:
        return select(names, patterns)
    aliases = sorted(resolves() - set(names), key=number_aware_key)
    chosen = select(names + aliases, patterns)
    return [n for n in chosen if n in names or monitor.channels.resolve(n) not in chosen]


def labels_for(paths: Sequence[str]) -> list[str]:
    """Short distinct labels for several model files (their names without the common parts)."""
    names = [os.path.splitext(os.path.basename(p))[0] for p in paths]
    if len(set(names)) == len(names):
        return names
    return list(paths)


def run(args: argparse.Namespace) -> int:
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

    yrange = _parse_range(args.yrange)
    fig, plotted = make_figure(monitors, labels_for(args.models), args.channels, args.x_axis,
                               args.log_y, yrange)
    if args.out:
        fig.savefig(args.out, dpi=100)
        print(f"Wrote {args.out} ({plotted} curves in {len(fig.axes)} panels)")
    else:
        plt.show()
    return 0


# -- panels ----------------------------------------------------------------------------------
KINDS = [  # (title, vertical-axis label, name endings), first match wins
    ("Objectives", "objective (cost)", ("objective", "nll", "cost", "_loss", "reconstruction")),
    ("Error rates", "error rate", ("misclass", "error", "_err")),
    ("Weight and activation norms", "norm", ("norm", "norms_min", "norms_max", "norms_mean")),
    ("Learning rate and momentum", "value", ("learning_rate", "momentum")),
    ("Timing", "seconds", ("seconds", "seconds_this_epoch", "seconds_last_epoch")),
]
LINESTYLES = ["-", "--", ":", "-."]


def kind_of(name: str) -> tuple[str, str]:
    """(panel title, axis label) for a channel name."""
    for title, label, endings in KINDS:
        if any(end in name for end in endings):
            return title, label
    return "Other channels", "value"


def _parse_range(text: str | None) -> tuple[float, float] | None:
    if not text:
        return None
    try:
        lo, hi = (float(v) for v in text.split(":"))
    except ValueError:
        raise ConfigError(f"--yrange must look like LO:HI, got {text!r}.") from None
    return lo, hi


def make_figure(monitors, labels, patterns, x_axis: str = "epoch", log_y: bool = False,
                yrange: tuple[float, float] | None = None):
    """One panel per kind of channel; a channel keeps its colour across models, a model
    keeps its line style across channels. Returns (figure, number of curves)."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    from pylearn2.monitor import records_as_array

    chosen: dict[str, list[str]] = {}
    for monitor in monitors:
        for name in select_channels(monitor, patterns):
            chosen.setdefault(kind_of(name)[0], [])
            if name not in chosen[kind_of(name)[0]]:
                chosen[kind_of(name)[0]].append(name)
    order = [k[0] for k in KINDS] + ["Other channels"]
    panels = [k for k in order if k in chosen]
    if not panels:
        raise ConfigError("Nothing to plot: no selected channel has records.")
    every = [n for k in panels for n in chosen[k]]
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    colour = {name: cycle[i % len(cycle)] for i, name in enumerate(every)}
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 1.2 + 3.2 * len(panels)), squeeze=False)
    plotted = 0
    for ax, panel in zip(axes[:, 0], panels):
        positive = []
        for m, (label, monitor) in enumerate(zip(labels, monitors)):
            for name in chosen[panel]:
                if name not in monitor.channels:
                    continue
                x, y = records_as_array(monitor.channels[name], x_axis)
                if len(x) == 0:
                    continue
                positive.extend(v for v in y if v > 0)
                ax.plot(x, y, color=colour[name], linestyle=LINESTYLES[m % len(LINESTYLES)],
                        marker="." if len(x) < 50 else None,
                        label=name if len(monitors) == 1 else f"{name} ({label})")
                plotted += 1
        title, ylabel = panel, next((lab for t, lab, _ in KINDS if t == panel), "value")
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        ax.set_xlabel(X_AXES[x_axis])
        if log_y:
            # zeros (a perfect training error) stay visible on a linear stretch near 0
            ax.set_yscale("symlog", linthresh=min(positive) if positive else 1e-3)
        if yrange:
            ax.set_ylim(*yrange)
        ax.grid(True, alpha=0.3)
        if len(monitors) == 1:
            ax.legend(fontsize="small")
        else:  # colours name the channels, line styles name the models
            handles = [Line2D([], [], color=colour[n], label=n) for n in chosen[panel]]
            handles += [Line2D([], [], color="black", linestyle=LINESTYLES[m % len(LINESTYLES)],
                               label=label) for m, label in enumerate(labels)]
            ax.legend(handles=handles, fontsize="small")
    fig.tight_layout()
    return fig, plotted


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
