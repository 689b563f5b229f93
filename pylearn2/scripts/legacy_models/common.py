"""Helpers every family converter shares: reading recorded hyperparameters and spaces,
and copying arrays into this library's parameters with a shape check."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from pylearn2.utils.exc import ModelFileError
from pylearn2.utils.legacy.unpickler import Recorded, shared_value

__all__ = ["Recorded", "shared_value", "options", "set_param", "copy_named", "space_dim",
           "convert_space", "require", "weights_of"]


def options(state: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The named hyperparameters the original stored (and did not leave at None)."""
    return {n: state[n] for n in names if n in state and state[n] is not None}


def require(obj: Recorded, key: str) -> Any:
    """``obj.state[key]``, or a clear error naming the class and the missing attribute."""
    state = obj.state if isinstance(obj.state, dict) else {}
    if key not in state:
        raise ModelFileError(f"the pickled {obj.legacy_global} has no {key!r} attribute; the "
                             "file is damaged or from a version the converter does not know.")
    return state[key]


def set_param(param: torch.Tensor, value: np.ndarray, where: str) -> None:
    """Copy ``value`` into ``param`` (same shape required)."""
    value = np.asarray(value)
    if tuple(param.shape) != value.shape:
        raise ModelFileError(f"{where}: the pickle holds shape {value.shape}, the converted "
                             f"model expects {tuple(param.shape)}.")
    with torch.no_grad():
        param.copy_(torch.as_tensor(value, dtype=param.dtype))


def copy_named(model: Any, sources: dict[str, np.ndarray]) -> None:
    """Copy arrays into the model's parameters/buffers named by their state-dict keys."""
    params = dict(model.named_parameters()) | dict(model.named_buffers())
    for key, value in sources.items():
        if key not in params:
            raise ModelFileError(f"the converted {type(model).__name__} has no {key!r}.")
        set_param(params[key], value, key)


def space_dim(space: Any) -> int:
    if isinstance(space, Recorded) and space.legacy_name == "VectorSpace":
        return int(space.get("dim"))
    raise ModelFileError(f"unsupported input space {space!r} (only VectorSpace inputs here).")


def convert_space(space: Any) -> Any:
    """This library's space for a recorded VectorSpace, Conv2DSpace or CompositeSpace."""
    from pylearn2.space import CompositeSpace, Conv2DSpace, VectorSpace

    name = space.legacy_name if isinstance(space, Recorded) else None
    if name == "VectorSpace":
        return VectorSpace(dim=int(space.get("dim")))
    if name == "Conv2DSpace":
        return Conv2DSpace(shape=tuple(int(s) for s in space.get("shape")),
                           num_channels=int(space.get("num_channels")),
                           axes=tuple(space.get("axes")))
    if name == "CompositeSpace":
        return CompositeSpace([convert_space(c) for c in space.get("components")])
    raise ModelFileError(f"unsupported space {space!r}.")


def weights_of(layer: Recorded) -> np.ndarray:
    """A dense layer's weight matrix: its MatrixMul's ``_W`` or a plain ``W``."""
    transformer = layer.get("transformer")
    if transformer is not None:
        return shared_value(transformer.get("_W"))
    return shared_value(layer.get("W"))
