"""Named activation functions (importable by name from experiment files)."""

from __future__ import annotations

import torch


def identity(x: torch.Tensor) -> torch.Tensor:
    """Returns ``x``."""
    return x


def relu(x: torch.Tensor) -> torch.Tensor:
    """Rectified linear: ``max(0, x)``."""
    return torch.clamp(x, min=0)


def _rescale_softmax(sm: torch.Tensor, min_val: float) -> torch.Tensor:
    n_classes = sm.shape[-1]
    return sm * (1 - n_classes * min_val) + min_val


def rescaled_softmax(x: torch.Tensor, min_val: float = 1e-5) -> torch.Tensor:
    """Softmax squeezed into ``[min_val, 1 - (n - 1) min_val]`` so no probability is 0
    (rows still sum to 1)."""
    return _rescale_softmax(torch.softmax(x, dim=-1), min_val)
