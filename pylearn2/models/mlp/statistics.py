"""Activation statistics that layers publish as monitoring channels."""

from __future__ import annotations

import torch

_OVER_EXAMPLES = ("max", "mean", "min", "range")  # per unit, over the batch's examples
_OVER_UNITS = ("max", "mean", "min")  # then over the units


def activation_channels(H: torch.Tensor, dotted: bool = False) -> dict[str, torch.Tensor]:
    """Statistics of activations: '<over examples>_x_<over units>_u' as the original names them.

    Rows of ``H`` are examples, the rest are units. ``dotted`` gives the spelling the
    original's maxout layers used ('max_x.mean_u'). The twelve values come from one
    table of reductions (a few operations per batch, not one per channel)."""
    H = H.detach().reshape(H.shape[0], -1)
    low, high = torch.aminmax(H, dim=0)
    per_unit = torch.stack([high, H.mean(0), low, high - low])  # rows: _OVER_EXAMPLES
    unit_low, unit_high = torch.aminmax(per_unit, dim=1)
    table = torch.stack([unit_high, per_unit.mean(1), unit_low], dim=1)  # columns: _OVER_UNITS
    sep = "." if dotted else "_"
    names = [f"{x}_x{sep}{u}_u" for x in _OVER_EXAMPLES for u in _OVER_UNITS]
    return dict(zip(names, table.flatten().unbind()))
