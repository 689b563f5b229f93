"""Shared plumbing for the command-line tools: logging, errors, the --allow flag."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from pylearn2.utils.allowlist import allow_module
from pylearn2.utils.exc import Pylearn2Error
from pylearn2.utils.limits import quote


class _MaxLevel(logging.Filter):
    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < self.level


def setup_logging(verbose: bool = False, quiet: bool = False, timestamp: bool = False,
                  level_name: bool = False) -> None:
    """INFO (DEBUG with verbose) to stdout, WARNING and above to stderr."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    fmt = ("%(asctime)s " if timestamp else "") + ("%(levelname)s " if level_name else "") + \
        "%(message)s"
    out = logging.StreamHandler(sys.stdout)
    out.addFilter(_MaxLevel(logging.WARNING))
    err = logging.StreamHandler(sys.stderr)
    err.setLevel(logging.WARNING)
    for handler in (out, err):
        handler.setFormatter(logging.Formatter(fmt, "%H:%M:%S"))
        root.addHandler(handler)
    root.setLevel(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)
    for noisy in ("matplotlib", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def add_allow_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow", action="append", default=[], metavar="MODULE",
        help="also allow classes and functions defined in MODULE (repeatable) in YAML and "
             "model files; same as listing it in PYLEARN2_ALLOW_MODULES",
    )


INVOKED_AS: str | None = None  # set by the `pylearn2` command: "pylearn2 train", ...


def command_name(default: str) -> str:
    """The command the user actually typed ("pylearn2 train", "pylearn2-train", "train.py")."""
    import os

    if INVOKED_AS:
        return INVOKED_AS
    typed = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return typed if typed.startswith("pylearn2") or typed == default else default


def run_cli(make_parser: Callable[[], argparse.ArgumentParser],
            run: Callable[[argparse.Namespace], int | None],
            argv: Sequence[str] | None = None) -> int:
    """Parse, run, and turn user errors into one line on stderr with exit status 2."""
    parser = make_parser()
    parser.prog = command_name(parser.prog)
    if "-V" not in parser._option_string_actions:  # every tool can show a traceback on request
        parser.add_argument("-V", "--verbose-logging", action="store_true",
                            help="on an unexpected internal error, show the full traceback")
    # experiment commands take PATH=VALUE overrides anywhere among their flags
    parse = parser.parse_intermixed_args if getattr(parser, "intermixed", False) \
        else parser.parse_args
    args = parse(argv)
    args.command_line = [*parser.prog.split(), *(sys.argv[1:] if argv is None else argv)]
    for module in getattr(args, "allow", []) or []:
        allow_module(module)
    try:
        return int(run(args) or 0)
    except Pylearn2Error as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return 2
    except FileNotFoundError as err:
        print(f"{parser.prog}: error: {err.strerror}: {err.filename}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted; the last completed save is intact.", file=sys.stderr)
        return 130
    except Exception as err:  # the last line of defence: one line, traceback only on request
        if getattr(args, "verbose_logging", False) or getattr(args, "verbose", False):
            raise
        print(f"{parser.prog}: internal error: {type(err).__name__}: {quote(str(err), 200)}. "
              f"Rerun with -V (or --verbose-logging) to see the traceback, and please report it.",
              file=sys.stderr)
        return 1


def has_display() -> bool:
    import os

    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def show_or_require_out(picture, out: str | None, title: str = "", tile: int | None = None) -> None:
    """Save ``picture`` (uint8 RGB) to ``out``, or show it in a window when a display exists
    (``tile``: the width of one tile, so the PNG is enlarged until tiles are readable)."""
    from pylearn2.gui.patch_viewer import save_png
    from pylearn2.utils.exc import ConfigError

    if out:
        save_png(picture, out, tile=tile)
        print(f"Wrote {out}")
        return
    if not has_display():
        raise ConfigError("No display is available; pass --out FILE.png to write a picture.")
    import matplotlib.pyplot as plt

    plt.figure(title)
    plt.imshow(picture, interpolation="nearest")
    plt.axis("off")
    plt.show()
