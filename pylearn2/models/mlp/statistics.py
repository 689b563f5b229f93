"""Activation statistics that layers publish as monitoring channels."""

from __future__ import annotations

import torch


def activation_channels(H: torch.Tensor, dotted: bool = False) -> dict[str, torch.Tensor]:
    """Statistics of activations: '<over examples>_x_<over units>_u' as the original names them.

    Rows of ``H`` are examples, the rest are units. ``dotted`` gives the spelling the
    original's maxout layers used ('max_x.mean_u')."""
    H = H.detach().reshape(H.shape[0], -1)
    per_unit = {"max": H.max(0).values, "mean": H.mean(0), "min": H.min(0).values}
    per_unit["range"] = per_unit["max"] - per_unit["min"]
    sep = "." if dotted else "_"
    out = {}
    for x_name, v in per_unit.items():
        out[f"{x_name}_x{sep}max_u"] = v.max()
        out[f"{x_name}_x{sep}mean_u"] = v.mean()
        out[f"{x_name}_x{sep}min_u"] = v.min()
    return out
