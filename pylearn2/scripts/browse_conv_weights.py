"""``browse_conv_weights.py MODEL --out w.png``: every convolutional layer's kernels.

The classic tool was an interactive window (arrow keys moved between layers and units,
showing one unit's kernels over all its input channels). Here each convolutional layer
becomes one PNG: a row per unit (output channel), a column per input channel, so the
kernels of higher layers, with many input channels, can be read as well as the first.
With several convolutional layers the files are ``w_<layer name>.png``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from pylearn2.gui.patch_viewer import make_grid, rescale, save_png
from pylearn2.scripts._common import add_allow_flag, run_cli
from pylearn2.utils.exc import ConfigError

SCALES = ("individual", "unit", "global")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="browse_conv_weights.py",
        description="Write one PNG per convolutional layer of a saved model: row i shows unit "
                    "i's kernel for each input channel, in grey (zero is mid-grey).")
    parser.add_argument("model", nargs="?", metavar="MODEL", help="a saved model file")
    parser.add_argument("-i", "--input", dest="input_option", metavar="MODEL",
                        help="the model file (the original's spelling; same as MODEL)")
    parser.add_argument("--out", required=True, metavar="FILE.png",
                        help="the picture; with several conv layers, FILE_<layer>.png each")
    parser.add_argument("--layer", metavar="NAME", help="only the layer with this layer_name")
    parser.add_argument("--max-units", type=int, default=64, metavar="N",
                        help="draw at most the first N units (rows) of a layer (default 64)")
    parser.add_argument("--max-channels", type=int, default=64, metavar="N",
                        help="draw at most the first N input channels (default 64)")
    parser.add_argument("--rescale", choices=SCALES, default="individual",
                        help="grey scale per kernel (default), per unit, or one for the layer")
    add_allow_flag(parser)
    return parser


def conv_layers(model: Any) -> list[tuple[str, np.ndarray]]:
    """(name, kernels as (units, input channels, rows, cols)) of each convolutional layer,
    bottom to top (every module holding a 4-d weight ``W``)."""
    found = []
    for path, module in model.named_modules():
        W = getattr(module, "_parameters", {}).get("W")
        if W is not None and W.ndim == 4:
            found.append((str(getattr(module, "layer_name", None) or path or "model"),
                          W.detach().cpu().numpy()))
    return found


def kernel_grid(kernels: np.ndarray, mode: str) -> np.ndarray:
    """The picture of (units, channels, rows, cols) kernels: one row of tiles per unit."""
    units, channels, rows, cols = kernels.shape
    k = np.asarray(kernels, dtype=np.float64)
    if mode == "unit":
        peaks = np.abs(k.reshape(units, -1)).max(axis=1)
        k = k / np.where(peaks > 0, peaks, 1.0)[:, None, None, None]
        mode = "none"
    tiles = rescale(k.reshape(units * channels, rows, cols, 1), mode)
    return make_grid(tiles, rows=units, cols=channels)


def output_paths(out: str, names: Sequence[str]) -> list[str]:
    if len(names) == 1:
        return [out]
    stem, ext = os.path.splitext(out)
    return [f"{stem}_{name}{ext or '.png'}" for name in names]


def run(args: argparse.Namespace) -> int:
    from pylearn2.utils import serial

    path = args.model or args.input_option
    if path is None:
        raise ConfigError("name the model file (MODEL or -i MODEL).")
    model = serial.load(path)
    layers = conv_layers(model)
    if args.layer is not None:
        layers = [(n, W) for n, W in layers if n == args.layer]
    if not layers:
        which = f" named {args.layer!r}" if args.layer else ""
        raise ConfigError(f"{path}: {type(model).__name__} has no convolutional layer{which} "
                          f"(found: {[n for n, _ in conv_layers(model)] or 'none'}).")
    for (name, W), out in zip(layers, output_paths(args.out, [n for n, _ in layers])):
        shown = W[: args.max_units, : args.max_channels]
        norms = np.sqrt((W.astype(np.float64) ** 2).sum(axis=(1, 2, 3)))
        print(f"layer {name}: {W.shape[0]} units x {W.shape[1]} input channels of "
              f"{W.shape[2]}x{W.shape[3]} kernels (drawing {shown.shape[0]} x {shown.shape[1]}); "
              f"kernel norms min/mean/max {norms.min():.4g} {norms.mean():.4g} {norms.max():.4g}")
        save_png(kernel_grid(shown, args.rescale), out, tile=W.shape[3] + 1)
        print(f"Wrote {out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
