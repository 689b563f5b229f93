"""``show_negative_chains.py FILE --out chains.png``: the persistent negative chains.

An RBM trained by SML keeps its chains in the model file; a DBM's chains live in its
training cost, so they are read from a checkpoint (``<save_path>.ckpt``), where the
cost's state is saved. The visible states are drawn as one grid, shaped like the
training data.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import numpy as np

from pylearn2.gui.patch_viewer import make_grid, save_png
from pylearn2.scripts._common import add_allow_flag, run_cli
from pylearn2.scripts.dbm import _viewing
from pylearn2.utils.exc import ConfigError


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="show_negative_chains.py",
        description="Draw the visible states of the persistent negative chains of a saved RBM "
                    "(model file) or DBM (training checkpoint) as an image grid (PNG).")
    parser.add_argument("path", metavar="FILE", help="a saved RBM, or a DBM's checkpoint")
    parser.add_argument("--out", required=True, metavar="FILE.png", help="the picture")
    add_allow_flag(parser)
    return parser


def find_chains(state: Any) -> np.ndarray | None:
    """The visible chains in a saved training state: the first entry of a ``chains`` list."""
    stack = [state]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            chains = node.get("chains")
            if isinstance(chains, (list, tuple)) and chains and hasattr(chains[0], "shape"):
                return np.asarray(chains[0])
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
    return None


def load_chains(path: str) -> tuple[Any, np.ndarray]:
    import zipfile

    from pylearn2.utils import serial

    if zipfile.is_zipfile(path) and "state.json" in zipfile.ZipFile(path).namelist():
        model, state = serial.load_checkpoint(path)
        chains = find_chains(state)
    else:
        model, chains = serial.load(path), None
    if chains is None and getattr(model, "sml_chains", None) is not None:
        chains = model.sml_chains.detach().cpu().numpy()
    if chains is None:
        raise ConfigError(f"{path}: no negative chains found. An RBM keeps them in its model "
                          "file; for a DBM trained with persistent chains, pass its training "
                          "checkpoint (<save_path>.ckpt).")
    return model, np.asarray(chains, dtype=np.float32)


def run(args: argparse.Namespace) -> int:
    from pylearn2.config import yaml_parse

    model, chains = load_chains(args.path)
    source = getattr(model, "dataset_yaml_src", None)
    dataset = yaml_parse.load_recorded_dataset(source, args.path) if source else None
    images = _viewing.tiles(chains, dataset)
    rows, cols = _viewing.grid_shape(len(images))
    save_png(make_grid(images, rows=rows, cols=cols), args.out, tile=images.shape[2] + 1)
    print(f"{len(chains)} chains of {chains.shape[1]} visible units (mean {chains.mean():.4g}) "
          f"-> {args.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
