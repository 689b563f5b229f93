"""Image expressions."""

from __future__ import annotations

from typing import Any

LUMA_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R BT.601 weights of red, green, blue


def color_to_gray(color: Any) -> Any:
    """Luma ``0.299 R + 0.587 G + 0.114 B`` of a batch of colour images with the channel
    axis last (numpy array or torch tensor, 4-d); the channel axis keeps size 1."""
    w_r, w_g, w_b = LUMA_WEIGHTS
    return w_r * color[..., 0:1] + w_g * color[..., 1:2] + w_b * color[..., 2:3]
