"""Averaging the predictions of the sub-networks that dropout trains.

A dropout mask over the inputs of an MLP's layers is an integer: bit ``k`` keeps (1) or
drops (0) input unit ``k``, counting the input units of the masked layers from the bottom
layer up (unit 0 of the first masked layer is the least significant bit). Kept inputs are
multiplied by the layer's scale, as in training with dropout.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from pylearn2.models.mlp.layer import apply_dropout
from pylearn2.utils.exc import ConfigError

MAX_EXHAUSTIVE_BITS = 20


def _numpy_rng(rng: Any) -> Any:
    if hasattr(rng, "uniform"):
        return rng
    return np.random.default_rng([int(s) for s in np.atleast_1d(rng)])


def _masked_layers(mlp: Any, masked_input_layers: Sequence[str] | None) -> list[Any]:
    names = [layer.layer_name for layer in mlp.layers]
    if masked_input_layers is None:
        return list(mlp.layers)
    unknown = sorted(set(masked_input_layers) - set(names))
    if unknown:
        raise ConfigError(f"masked_input_layers names unknown layers {unknown}; layers: {names}.")
    return [layer for layer in mlp.layers if layer.layer_name in set(masked_input_layers)]


def total_masked_inputs(mlp: Any, masked_input_layers: Sequence[str] | None = None) -> int:
    """Number of mask bits: the input units of the masked layers."""
    return sum(layer.get_input_space().get_total_dimension()
               for layer in _masked_layers(mlp, masked_input_layers))


def generate_dropout_mask(mlp: Any, default_include_prob: float = 0.5,
                          input_include_probs: dict[str, float] | None = None,
                          rng: Any = (2013, 5, 17)) -> int:
    """Draw one dropout mask over the inputs of every layer of ``mlp`` (see the module doc)."""
    probs = input_include_probs or {}
    rng = _numpy_rng(rng)
    mask, bit = 0, 0
    for layer in mlp.layers:
        p = probs.get(layer.layer_name, default_include_prob)
        for _ in range(layer.get_input_space().get_total_dimension()):
            mask |= int(rng.uniform() < p) << bit
            bit += 1
    return mask


def masked_fprop(mlp: Any, state_below: torch.Tensor, mask: int,
                 masked_input_layers: Sequence[str] | None = None,
                 default_input_scale: float = 2.0,
                 input_scales: dict[str, float] | None = None) -> torch.Tensor:
    """fprop of the sub-network that ``mask`` selects."""
    layers = _masked_layers(mlp, masked_input_layers)
    n_bits = total_masked_inputs(mlp, masked_input_layers)
    if not 0 <= int(mask) < 2 ** n_bits:
        raise ConfigError(f"Dropout mask {mask} is outside [0, 2**{n_bits}).")
    scales = input_scales or {}
    mask = int(mask)
    for layer in mlp.layers:
        if layer in layers:
            n = layer.get_input_space().get_total_dimension()
            bits = [(mask >> j) & 1 for j in range(n)]
            mask >>= n
            keep = torch.tensor(bits, dtype=state_below.dtype, device=state_below.device)
            scale = scales.get(layer.layer_name, default_input_scale)
            flat = state_below.reshape(state_below.shape[0], -1)
            state_below = (flat * keep * scale).reshape(state_below.shape)
        state_below = layer.fprop(state_below)
    return state_below


def geometric_mean_prediction(forward_props: Sequence[torch.Tensor]) -> torch.Tensor:
    """Renormalised geometric mean of several softmax predictions:
    ``softmax(mean_k log p_k)`` per example."""
    if not forward_props:
        raise ConfigError("geometric_mean_prediction needs at least one prediction.")
    log_p = torch.stack([p.clamp_min(torch.finfo(p.dtype).tiny).log() for p in forward_props])
    return torch.softmax(log_p.mean(0), dim=-1)


def exhaustive_dropout_average(mlp: Any, inputs: torch.Tensor,
                               masked_input_layers: Sequence[str] | None = None,
                               default_input_scale: float = 2.0,
                               input_scales: dict[str, float] | None = None) -> torch.Tensor:
    """Geometric mean of the predictions of every one of the 2**n dropout sub-networks."""
    n_bits = total_masked_inputs(mlp, masked_input_layers)
    if n_bits > MAX_EXHAUSTIVE_BITS:
        raise ConfigError(f"exhaustive_dropout_average would run 2**{n_bits} sub-networks; "
                          f"use sampled_dropout_average (or mask fewer layers).")
    outputs = [masked_fprop(mlp, inputs, m, masked_input_layers, default_input_scale, input_scales)
               for m in range(2 ** n_bits)]
    return geometric_mean_prediction(outputs)


def sampled_dropout_average(mlp: Any, inputs: torch.Tensor, num_masks: int,
                            default_input_include_prob: float = 0.5,
                            input_include_probs: dict[str, float] | None = None,
                            default_input_scale: float = 2.0,
                            input_scales: dict[str, float] | None = None,
                            rng: Any = (2013, 5, 17), per_example: bool = False) -> torch.Tensor:
    """Geometric mean of the predictions of ``num_masks`` randomly drawn sub-networks."""
    seed = [int(s) for s in np.atleast_1d(rng)] if not hasattr(rng, "integers") else \
        [int(rng.integers(2 ** 31))]
    gen = torch.Generator(device=inputs.device)
    gen.manual_seed(int(np.random.SeedSequence(seed).generate_state(1)[0]))
    probs, scales = input_include_probs or {}, input_scales or {}
    outputs = []
    for _ in range(int(num_masks)):
        state = inputs
        for layer in mlp.layers:
            p = probs.get(layer.layer_name, default_input_include_prob)
            scale = scales.get(layer.layer_name, default_input_scale)
            state = layer.fprop(apply_dropout(state, p, scale, per_example, gen))
        outputs.append(state)
    return geometric_mean_prediction(outputs)


__all__ = ["exhaustive_dropout_average", "generate_dropout_mask", "geometric_mean_prediction",
           "masked_fprop", "sampled_dropout_average", "total_masked_inputs"]
