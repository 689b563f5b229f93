"""Activation statistics that layers publish as monitoring channels."""

from __future__ import annotations

import torch


def activation_channels(H: torch.Tensor) -> dict[str, torch.Tensor]:
    """Statistics of activations: '<over examples>_x_<over units>_u' as the original names them."""
    H = H.detach().reshape(H.shape[0], -1)
    per_unit = {"max": H.max(0).values, "mean": H.mean(0), "min": H.min(0).values}
    per_unit["range"] = per_unit["max"] - per_unit["min"]
    out = {}
    for x_name, v in per_unit.items():
        out[f"{x_name}_x_max_u"] = v.max()
        out[f"{x_name}_x_mean_u"] = v.mean()
        out[f"{x_name}_x_min_u"] = v.min()
    return out
