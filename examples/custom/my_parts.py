"""Tutorial code: a layer, a dataset and an extension of your own (docs/tutorials/custom_*.md).

Use them from YAML after allowing this module:
    PYTHONPATH=examples/custom pylearn2 train --allow my_parts examples/custom/custom_layer.yaml
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import torch

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.mlp import Layer
from pylearn2.space import Space, VectorSpace
from pylearn2.train_extensions import TrainExtension
from pylearn2.utils.exc import ConfigError


class Gain(Layer):
    """``tanh(g * x)`` with one learned gain ``g`` per unit, kept within ``[0, max_gain]``.

    Parameters
    ----------
    layer_name : str
        Prefix of the layer's channels.
    max_gain : float
        Upper bound the gains are clipped to after every update.
    """

    def __init__(self, layer_name: str, max_gain: float = 3.0) -> None:
        super().__init__()
        if max_gain <= 0:
            raise ConfigError(f"Gain {layer_name!r}: max_gain must be positive, got {max_gain}.")
        self.layer_name = layer_name
        self.max_gain = float(max_gain)

    def set_input_space(self, space: Space) -> None:
        if not isinstance(space, VectorSpace):
            raise ConfigError(f"Gain {self.layer_name!r} needs a vector input, got {space}.")
        self.input_space = self.output_space = space
        self.g = torch.nn.Parameter(torch.ones(space.dim))

    def fprop(self, state_below: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.g * state_below)

    def enforce_constraints(self) -> None:
        self.g.clamp_(0.0, self.max_gain)

    def get_layer_monitoring_channels(self, state_below: Any = None, state: Any = None,
                                      targets: Any = None) -> dict[str, torch.Tensor]:
        return {"gain_mean": self.g.detach().mean(), "gain_max": self.g.detach().max()}


class Spirals(DenseDesignMatrix):
    """Two interleaved spirals in the plane, ``n`` points, labels 0 and 1.

    Parameters
    ----------
    n : int
        Number of points (half per spiral).
    noise : float
        Standard deviation of the Gaussian noise added to each point.
    seed : int
        Seed of the points, so the same arguments always give the same data.
    """

    def __init__(self, n: int = 200, noise: float = 0.05, seed: int = 0) -> None:
        if n < 2:
            raise ConfigError(f"Spirals: n must be at least 2, got {n}.")
        rng = np.random.default_rng(seed)
        t = np.sqrt(rng.uniform(0.05, 1.0, size=n)) * 2 * np.pi
        label = np.arange(n) % 2
        sign = np.where(label == 0, 1.0, -1.0)
        X = np.stack([sign * t * np.cos(t), sign * t * np.sin(t)], axis=1) / (2 * np.pi)
        X += rng.normal(scale=noise, size=X.shape)
        super().__init__(X=X.astype(np.float32), y=label.reshape(-1, 1), y_labels=2)


class StopBelow(TrainExtension):
    """Stop once ``channel`` falls below ``threshold``; write a summary at the end.

    Parameters
    ----------
    channel : str
        Monitor channel to watch, e.g. ``valid_y_misclass``.
    threshold : float
        Stop after the first monitor call that records a lower value.
    summary_path : str, optional
        JSON file written by ``on_train_end`` (also after an error): best value, epochs
        and why training stopped.
    """

    def __init__(self, channel: str, threshold: float, summary_path: str | None = None) -> None:
        self.channel = channel
        self.threshold = float(threshold)
        self.summary_path = summary_path
        self.best = float("inf")
        self.batches = 0

    def setup(self, model: Any = None, **kwargs: Any) -> None:
        self.batches_at_start = self.batches

    def on_batch_end(self, batch_size: int = 0, **kwargs: Any) -> None:
        self.batches += 1

    def on_monitor(self, model: Any = None, train: Any = None, **kwargs: Any) -> None:
        value = model.monitor.last(self.channel)
        self.best = min(self.best, value)
        if value < self.threshold:
            train.request_stop(f"{self.channel} = {value:.4g} < {self.threshold:g}")

    def on_train_end(self, model: Any = None, stop_reason: Any = None, **kwargs: Any) -> None:
        if self.summary_path:
            with open(self.summary_path, "w") as handle:
                json.dump({"best": self.best, "epochs": model.monitor.get_epochs_seen(),
                           "batches": self.batches, "stop_kind": getattr(stop_reason, "kind", None),
                           "stop_reason": str(stop_reason)}, handle)

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "batches": self.batches}
