"""Weight-norm helpers for layers: monitoring channels and max/min-norm constraints."""

from __future__ import annotations

import torch


def norm_channels(W: torch.Tensor) -> dict[str, torch.Tensor]:
    """Min/mean/max of the row norms (per input) and column norms (per unit) of W."""
    rows = W.detach().pow(2).sum(1).sqrt()
    cols = W.detach().pow(2).sum(0).sqrt()
    return {
        "row_norms_min": rows.min(), "row_norms_mean": rows.mean(), "row_norms_max": rows.max(),
        "col_norms_min": cols.min(), "col_norms_mean": cols.mean(), "col_norms_max": cols.max(),
    }


def clip_norms(W: torch.Tensor, dim: int, max_norm: float | None, min_norm: float | None = None):
    """Rescale slices of W (columns for dim=0, rows for dim=1) into [min_norm, max_norm]."""
    norms = W.pow(2).sum(dim, keepdim=True).sqrt()
    target = norms.clamp(min=min_norm or 0.0, max=max_norm if max_norm is not None else float("inf"))
    W.mul_(target / norms.clamp_min(1e-7))
