"""Devices and dtypes: where an algorithm puts its model, and moving batches there."""

from __future__ import annotations

import os
from typing import Any

import torch

from pylearn2.utils.exc import ConfigError


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``device`` argument, else ``PYLEARN2_DEVICE``, else CUDA when available, else CPU."""
    name = device or os.environ.get("PYLEARN2_DEVICE")
    if name is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(name)
    except RuntimeError as err:
        raise ConfigError(f"Unknown device {name!r}: use 'cpu', 'cuda' or 'cuda:N'.") from err
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"Device {name!r} requested but CUDA is not available; use 'cpu'.")
    return resolved


def to_device(batch: Any, device: torch.device, dtype: torch.dtype | None = None) -> Any:
    """Move tensors to ``device``; floating tensors also take ``dtype`` (the model's)."""
    if isinstance(batch, tuple):
        return tuple(to_device(b, device, dtype) for b in batch)
    if isinstance(batch, torch.Tensor):
        if dtype is not None and batch.is_floating_point() and batch.dtype != dtype:
            return batch.to(device, dtype, non_blocking=True)
        if batch.device != device:
            return batch.to(device, non_blocking=True)
    return batch


def model_dtype(model: Any) -> torch.dtype | None:
    """The dtype of the model's first floating-point parameter (None when it has none)."""
    for param in model.parameters():
        if param.is_floating_point():
            return param.dtype
    return None
