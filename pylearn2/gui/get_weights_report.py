"""First-layer weights of a model as a stack of images shaped like its input data."""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np

from pylearn2.space import Conv2DSpace
from pylearn2.utils.exc import ConfigError

log = logging.getLogger(__name__)


def _conv_kernels(model: Any) -> np.ndarray | None:
    """(out, rows, cols, channels) kernels of the first convolutional layer, if any."""
    for _, param in model.named_parameters():
        if param.ndim == 4:
            W = param.detach().cpu().numpy()
            return W.transpose(0, 2, 3, 1)  # torch (out, in, kr, kc) -> b01c
        if param.ndim == 2:
            return None
    return None


def view_shape_from_dataset(yaml_src: str | None) -> tuple[int, int, int] | None:
    """(rows, cols, channels) of the training data, rebuilt from the stored dataset YAML."""
    if not yaml_src:
        return None
    from pylearn2.config import yaml_parse

    try:
        dataset = yaml_parse.load_recorded_dataset(yaml_src, "the model file")
        return tuple(dataset.view_shape())
    except Exception as err:  # the data may be unavailable here; fall back to guessing
        log.warning("Could not rebuild the training dataset to learn the image shape (%s).", err)
        return None


def first_layer_images(model: Any) -> np.ndarray:
    """Images (N, rows, cols, channels) of the first layer's filters, one per unit."""
    kernels = _conv_kernels(model)
    if kernels is not None:
        return kernels
    try:
        W = np.asarray(model.get_weights())
    except NotImplementedError as err:
        raise ConfigError(f"{type(model).__name__} has no first-layer weights to show.") from err
    if model.get_weights_format() == ("v", "h"):
        W = W.T  # one row per unit
    input_space = getattr(model, "input_space", None)
    if isinstance(input_space, Conv2DSpace):  # vector order of a Conv2DSpace is b01c
        rows, cols = input_space.shape
        return W.reshape(len(W), rows, cols, input_space.num_channels)
    shape = view_shape_from_dataset(getattr(model, "dataset_yaml_src", None))
    if shape is not None and int(np.prod(shape)) == W.shape[1]:
        rows, cols, channels = shape  # design rows are stored channel-major (c01)
        return W.reshape(len(W), channels, rows, cols).transpose(0, 2, 3, 1)
    side = int(math.isqrt(W.shape[1]))
    if side * side == W.shape[1]:
        return W.reshape(len(W), side, side, 1)
    if W.shape[1] % 3 == 0 and math.isqrt(W.shape[1] // 3) ** 2 == W.shape[1] // 3:
        side = math.isqrt(W.shape[1] // 3)
        return W.reshape(len(W), 3, side, side).transpose(0, 2, 3, 1)
    return W.reshape(len(W), 1, W.shape[1], 1)
