"""Shared pieces of the DBM/RBM picture commands: the model and its training data,
Gibbs chains, and turning visible states into image tiles."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from pylearn2.utils.exc import ConfigError


def load_model_and_dataset(path: str, need_data: bool = False) -> tuple[Any, Any]:
    """The saved model and its training dataset (None when it records none)."""
    from pylearn2.config import yaml_parse
    from pylearn2.utils import serial

    model = serial.load(path)
    source = getattr(model, "dataset_yaml_src", None)
    if not source:
        if need_data:
            raise ConfigError(f"{path}: this model does not record its training dataset, which "
                              "this command needs.")
        return model, None
    return model, yaml_parse.load_recorded_dataset(source, path)


def is_dbm(model: Any) -> bool:
    return hasattr(model, "visible_layer") and hasattr(model, "hidden_layers")


def is_rbm(model: Any) -> bool:
    return hasattr(model, "gibbs_step_for_v")


def require_sampler(model: Any, path: str) -> None:
    if not (is_dbm(model) or is_rbm(model)):
        raise ConfigError(f"{path}: a {type(model).__name__} is neither a DBM nor an RBM; this "
                          "command draws Gibbs samples of those.")


def visible_width(model: Any) -> int:
    return int(model.visible_layer.output_dim() if is_dbm(model) else model.nvis)


@torch.no_grad()
def start_chains(model: Any, seed_rows: np.ndarray | None, count: int,
                 gen: torch.Generator) -> Any:
    """Chain states: the visible units at ``seed_rows`` (or drawn from the biases)."""
    dtype = next(model.parameters()).dtype
    if is_dbm(model):
        state = model.make_layer_to_state(count, gen)
        if seed_rows is not None:
            state[model.visible_layer] = torch.as_tensor(seed_rows, dtype=dtype)
        return state
    if seed_rows is not None:
        return torch.as_tensor(seed_rows, dtype=dtype)
    return model.random_visible(count, gen).to(dtype)


@torch.no_grad()
def gibbs(model: Any, state: Any, steps: int, gen: torch.Generator,
          clamp_visible: bool = False) -> Any:
    """``steps`` block-Gibbs sweeps (the visible units held fixed with ``clamp_visible``)."""
    if steps <= 0:
        return state
    if is_dbm(model):
        clamp = {model.visible_layer: True} if clamp_visible else None
        return model.sample(state, gen, layer_to_clamp=clamp, num_steps=steps)
    if clamp_visible:  # an RBM's hidden units depend on the visible units alone
        return state
    for _ in range(steps):
        state, _ = model.gibbs_step_for_v(state, gen)
    return state


def visible_of(model: Any, state: Any) -> np.ndarray:
    v = state[model.visible_layer] if is_dbm(model) else state
    return v.detach().cpu().numpy()


def as_images(rows: np.ndarray, dataset: Any) -> np.ndarray:
    """Design rows -> (N, r, c, ch) images, unscaled, shaped as the dataset's examples
    (square greyscale when there is no dataset)."""
    from pylearn2.space import Conv2DSpace

    rows = np.asarray(rows, dtype=np.float32)
    if dataset is not None and getattr(dataset, "view_converter", None) is not None:
        view = dataset.get_topological_view(rows)
        return Conv2DSpace.convert(view, dataset.view_converter.axes, ("b", 0, 1, "c"))
    side = math.isqrt(rows.shape[1])
    shape = (side, side) if side * side == rows.shape[1] else (1, rows.shape[1])
    return rows.reshape(len(rows), *shape, 1)


def tiles(rows: np.ndarray, dataset: Any) -> np.ndarray:
    """Design rows -> images in [0, 1], scaled as the dataset shows its examples."""
    images = as_images(rows, dataset)
    if dataset is not None and hasattr(dataset, "adjust_for_viewer"):
        images = dataset.adjust_for_viewer(images)
    images = np.asarray(images, dtype=np.float64)
    if images.min() >= 0:  # data in [0, 1] (binary units): black to white
        return np.clip(images / max(1.0, float(images.max())), 0, 1)
    return np.clip((images + 1) / 2, 0, 1)  # adjusted into [-1, 1]: zero is grey


def numbered_paths(out: str, labels: Sequence[str]) -> list[str]:
    """``out`` itself for one picture, else ``<stem>_<label><ext>`` for each."""
    if len(labels) == 1:
        return [out]
    stem, ext = os.path.splitext(out)
    return [f"{stem}_{label}{ext or '.png'}" for label in labels]


def grid_shape(count: int) -> tuple[int, int]:
    rows = max(1, math.isqrt(count))
    return rows, math.ceil(count / rows)
