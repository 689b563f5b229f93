"""Divergence checks on the parameters: NaN/Inf (always) and, opt-in, a norm bound.

One host sync per call: the flags (and norms) of every parameter are stacked on the
device and copied back together; the per-parameter loop runs only once something is
wrong, to name the first offending parameter. SGD calls this once before training and
after every epoch, never per step; BGD also after each batch's line searches (which sync
with the host anyway).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from pylearn2.utils.exc import ConfigError, DivergenceError


def checked_max_norm(algorithm: str, max_param_norm: Any) -> float | None:
    """``max_param_norm`` as a float (None: no bound), refusing anything but a positive
    number with a message naming ``algorithm``."""
    if max_param_norm is None:
        return None
    try:
        bound = float(max_param_norm)
    except (TypeError, ValueError):
        bound = float("nan")
    if not bound > 0:
        raise ConfigError(f"{algorithm} max_param_norm must be a positive number, got "
                          f"{max_param_norm!r}.")
    return bound


def parameter_label(model: Any, name: str) -> str:
    """``name`` from ``named_parameters`` with the layer's own name where the model has one:
    ``'layers.0.W'`` on an MLP whose first layer is ``h0`` -> ``"h0.W (layers.0.W)"``."""
    parts = name.split(".")
    layers = getattr(model, "layers", None)
    if len(parts) >= 3 and parts[0] == "layers" and parts[1].isdigit() and layers is not None:
        try:
            layer_name = getattr(layers[int(parts[1])], "layer_name", None)
        except (IndexError, TypeError):
            layer_name = None
        if layer_name:
            return f"{layer_name}.{'.'.join(parts[2:])} ({name})"
    return name


def check_parameters(model: Any, named: Sequence[tuple[str, torch.Tensor]], where: str,
                     max_norm: float | None = None) -> None:
    """Raise DivergenceError naming the first parameter that holds NaN/Inf or (with
    ``max_norm``) whose L2 norm exceeds ``max_norm``; ``where`` says when (epoch, batches)."""
    if not named:
        return
    with torch.no_grad():
        tensors = [p.detach() for _, p in named]
        norms = (torch.stack([torch.linalg.vector_norm(t.float()) for t in tensors])
                 if max_norm is not None else None)

        def all_ok(finite: torch.Tensor) -> bool:
            return bool(finite.all()) if norms is None else \
                bool(finite.all() & (norms <= max_norm).all())

        # a sum is finite when every term is (one read, no temporaries); a huge but finite
        # parameter whose sum overflows only sends the check to the exact test
        finite = torch.stack([t.sum() for t in tensors]).isfinite()
        if all_ok(finite):
            return
        finite = torch.stack([t.isfinite().all() for t in tensors])
        if all_ok(finite):
            return
    finite_list = finite.tolist()
    fix = "lower the learning rate (or add gradient clipping / a norm constraint) or check the data"
    for i, (name, _) in enumerate(named):
        if not finite_list[i]:
            raise DivergenceError(f"Training diverged {where}: parameter "
                                  f"{parameter_label(model, name)} holds NaN or Inf; {fix}.")
    assert norms is not None
    norm_list = norms.tolist()
    for i, (name, _) in enumerate(named):
        if norm_list[i] > max_norm:
            raise DivergenceError(
                f"Training diverged {where}: parameter {parameter_label(model, name)} has norm "
                f"{norm_list[i]:.4g}, above max_param_norm={max_norm:g}; {fix}, or raise "
                "max_param_norm.")
