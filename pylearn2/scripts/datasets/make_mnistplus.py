"""``make_mnistplus.py [--azimuth] [--elevation] [--rotation] [--texture]``: MNIST-Plus.

Each of MNIST's 70,000 digits (train then test) is optionally rotated by a random angle,
enlarged from 28x28 to 48x48, optionally pasted (where the digit is brighter than 0.1)
onto a random patch of a Brodatz texture (``$PYLEARN2_DATA_PATH/textures/brodatz/
D<id>.gif``), then embossed: lit from a light source at an azimuth (random with
``--azimuth``, else 45 degrees) and elevation (random in [0, 60) with ``--elevation``,
else 18). The result, with the labels and the factors drawn, goes to
``$PYLEARN2_DATA_PATH/mnistplus/mnistplus[_azi][_rot][_tex].pkl``, the file
:class:`pylearn2.datasets.mnistplus.MNISTPlus` reads (a pickle of plain arrays, which
the reader opens without running code).

Two deliberate differences from the classic script: without ``--textid`` every image
gets its own random texture (as that script's help said; its code kept the first one
drawn), and every random draw comes from the one seeded generator.
"""

from __future__ import annotations

import argparse
import os
import pickle
from collections.abc import Sequence
from typing import Any

import numpy as np

from pylearn2.scripts._common import run_cli
from pylearn2.utils.exc import ConfigError, DataNotFoundError

OUTPUT_SIZE = 48
MISSING_TEXTURE = 14  # the Brodatz album has no D14


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="make_mnistplus.py",
        description="Generate MNIST-Plus (48x48 embossed MNIST digits with optional random "
                    "light direction, rotation and textured background) into "
                    "$PYLEARN2_DATA_PATH/mnistplus.")
    parser.add_argument("--azimuth", action="store_true",
                        help="random azimuth of the light source (else 45 degrees)")
    parser.add_argument("--elevation", action="store_true",
                        help="random elevation of the light source in [0, 60) (else 18)")
    parser.add_argument("--rotation", action="store_true",
                        help="rotate each digit by a random angle first")
    parser.add_argument("--texture", action="store_true",
                        help="paste each digit onto a random patch of a Brodatz texture")
    parser.add_argument("--textid", type=int, default=None,
                        help="use Brodatz texture D<TEXTID> for every image")
    parser.add_argument("--output_size", "--output-size", dest="output_size", type=int,
                        default=OUTPUT_SIZE, help=f"side of the images (default {OUTPUT_SIZE})")
    parser.add_argument("--downsample", type=int, default=1,
                        help="shrink the textures by this factor first (default 1)")
    parser.add_argument("--seed", type=int, default=2313, help="seed of every draw")
    parser.add_argument("--max-examples", type=int, default=None, metavar="N",
                        help="only the first N digits (for a quick look)")
    parser.add_argument("--out", metavar="FILE.pkl",
                        help="write here instead of $PYLEARN2_DATA_PATH/mnistplus/")
    return parser


def emboss(image: np.ndarray, azimuth: float = 45.0, elevation: float = 18.0,
           depth: float = 2.0) -> np.ndarray:
    """Light a height map ``image`` (values in [0, 1]) from (azimuth, elevation) degrees;
    ``depth`` (0..100) scales the relief. Returns uint8 brightness, as GIMP's emboss."""
    azi, ele = np.deg2rad(azimuth), np.deg2rad(elevation)
    light = np.array([np.cos(ele) * np.cos(azi), np.cos(ele) * np.sin(azi), np.sin(ele)])
    grad_rows, grad_cols = np.gradient(np.asarray(image, dtype=np.float64) * 255.0)
    grad_rows, grad_cols = grad_rows * depth / 100.0, grad_cols * depth / 100.0
    length = np.sqrt(grad_rows ** 2 + grad_cols ** 2 + 1.0)
    shade = (light[0] * grad_rows + light[1] * grad_cols + light[2]) / length
    return np.clip(255.0 * shade, 0, 255).astype(np.uint8)


def texture_patch(textid: int, size: int, downsample: int, rng: np.random.Generator
                  ) -> tuple[np.ndarray, tuple[int, int]]:
    """A random ``size`` x ``size`` crop of Brodatz texture ``textid``, values in [0, 1]."""
    from PIL import Image

    from pylearn2.utils.string_utils import preprocess

    path = preprocess(f"${{PYLEARN2_DATA_PATH}}/textures/brodatz/D{textid}.gif")
    if not os.path.isfile(path):
        raise DataNotFoundError(f"{path} not found; put the Brodatz textures (D1.gif ... "
                                "D112.gif) in $PYLEARN2_DATA_PATH/textures/brodatz/.")
    texture = Image.open(path).convert("L")
    if downsample > 1:
        texture = texture.resize((texture.size[0] // downsample,
                                  texture.size[1] // downsample), Image.BILINEAR)
    if texture.size[0] <= size or texture.size[1] <= size:
        raise ConfigError(f"{path}: the texture ({texture.size}) is not larger than the "
                          f"{size}x{size} images.")
    x = int(rng.integers(0, texture.size[0] - size))
    y = int(rng.integers(0, texture.size[1] - size))
    patch = texture.crop((x, y, x + size, y + size))
    return np.asarray(patch, dtype=np.float64) / 255.0, (x, y)


def make_example(digit: np.ndarray, args: argparse.Namespace, rng: np.random.Generator
                 ) -> tuple[np.ndarray, dict[str, Any]]:
    """One MNIST-Plus image (flat, in [0, 1]) from a 28x28 digit in [0, 1], and the
    factors drawn for it."""
    from PIL import Image

    size, factors = args.output_size, {}
    image = Image.fromarray((np.asarray(digit) * 255.0).astype(np.float32), mode="F")
    if args.rotation:
        factors["rotation"] = int(rng.integers(0, 360))
        image = image.rotate(factors["rotation"], Image.BILINEAR)
    relief = np.asarray(image.resize((size, size), Image.BILINEAR), dtype=np.float64) / 255.0
    if args.texture:
        textid = args.textid
        while textid is None or textid == MISSING_TEXTURE:
            textid = int(rng.integers(1, 113))
        patch, position = texture_patch(textid, size, args.downsample, rng)
        digit_pixels = relief > 0.1
        patch[digit_pixels] = relief[digit_pixels]
        relief = patch
        factors["texture_id"], factors["texture_pos"] = textid, position
    azimuth = int(rng.integers(0, 360)) if args.azimuth else 45
    elevation = int(rng.integers(0, 60)) if args.elevation else 18.0
    if args.azimuth:
        factors["azimuth"] = azimuth
    if args.elevation:
        factors["elevation"] = elevation
    return emboss(relief, azimuth, elevation).reshape(-1) / 255.0, factors


def run(args: argparse.Namespace) -> int:
    from pylearn2.datasets.mnist import MNIST

    if args.output_size < 2 or args.downsample < 1:
        raise ConfigError("--output_size must be at least 2 and --downsample positive.")
    rng = np.random.default_rng(args.seed)
    train, test = MNIST("train"), MNIST("test")
    X = np.concatenate([train.X, test.X])[: args.max_examples]
    labels = np.concatenate([train.y, test.y]).reshape(-1)[: len(X)]
    out: dict[str, np.ndarray] = {"data": np.zeros((len(X), args.output_size ** 2)),
                                  "label": labels.astype(np.float64)}
    columns = {"azimuth": args.azimuth, "elevation": args.elevation,
               "rotation": args.rotation, "texture_id": args.texture}
    for name, wanted in columns.items():
        if wanted:
            out[name] = np.zeros(len(X))
    if args.texture:
        out["texture_pos"] = np.zeros((len(X), 2))
    for i, row in enumerate(X):
        out["data"][i], factors = make_example(row.reshape(28, 28), args, rng)
        for name, value in factors.items():
            out[name][i] = value
        if (i + 1) % 10000 == 0:
            print(f"{i + 1} of {len(X)} images")
    suffix = "_azi" * args.azimuth + "_rot" * args.rotation + "_tex" * args.texture
    path = args.out or _default_path(f"mnistplus{suffix}.pkl")
    with open(path, "wb") as handle:  # plain arrays only: MNISTPlus reads it without code
        pickle.dump(out, handle, protocol=2)
    print(f"Wrote {len(X)} images of {args.output_size}x{args.output_size} -> {path}")
    return 0


def _default_path(name: str) -> str:
    from pylearn2.scripts.datasets._prepare import data_path

    folder = os.path.join(data_path(), "mnistplus")
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, name)


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
