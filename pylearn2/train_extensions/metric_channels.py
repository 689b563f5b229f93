"""Channels computed from a model's outputs on a whole monitoring dataset.

Some scores (ROC AUC, weighted errors) are not means over examples, so averaging them
over monitoring batches would give a different number. :class:`DatasetMetricChannel`
runs the model over each monitoring dataset once per monitor call, gathers all
predictions and targets, and records ``metric(y_true, y_pred)`` as the channel
``<dataset name>_<suffix>`` (just ``<suffix>`` for an unnamed dataset), stamped like
the monitor's own channels of that call.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from pylearn2.space import CompositeSpace
from pylearn2.train_extensions import TrainExtension
from pylearn2.utils.exc import ConfigError


def monitoring_datasets(algorithm: Any) -> dict[str, Any]:
    """``{name: dataset}`` of the algorithm's monitoring dataset(s)."""
    datasets = getattr(algorithm, "monitoring_dataset", None)
    if datasets is None:
        return {}
    return dict(datasets) if isinstance(datasets, dict) else {"": datasets}


@torch.no_grad()
def predictions_and_targets(model: Any, dataset: Any, batch_size: int = 1000
                            ) -> tuple[np.ndarray, np.ndarray]:
    """The model's outputs and the targets on all of ``dataset``, as float64 arrays."""
    space = CompositeSpace([model.get_input_space(), model.get_target_space()])
    specs = (space, (model.get_input_source(), model.get_target_source()))
    param = next(iter(model.parameters()), None)
    outputs, targets = [], []
    for X, Y in dataset.iterator(mode="sequential", batch_size=batch_size, data_specs=specs,
                                 return_tuple=True):
        if param is not None:
            X = X.to(param.device, param.dtype)
        outputs.append(model.fprop(X).detach().to("cpu", torch.float64).numpy())
        targets.append(Y.detach().to("cpu", torch.float64).numpy())
    return np.concatenate(outputs), np.concatenate(targets)


def record(monitor: Any, name: str, value: float, dataset_name: str | None) -> None:
    """Append ``value`` to channel ``name`` with the monitor's current stamps."""
    channel = monitor._channel(name, dataset_name)
    channel.val_record.append(float(value))
    channel.batch_record.append(monitor.get_batches_seen())
    channel.example_record.append(monitor.get_examples_seen())
    channel.epoch_record.append(monitor.get_epochs_seen())
    channel.time_record.append(monitor.seconds_trained())


class DatasetMetricChannel(TrainExtension):
    """Base class: subclasses define ``metric(y_true, y_pred) -> float`` on full arrays."""

    channel_name_suffix = "metric"

    def metric(self, y_true: np.ndarray, y_pred: np.ndarray) -> float:
        raise NotImplementedError

    def channel_name(self, dataset_name: str) -> str:
        suffix = self.channel_name_suffix
        return f"{dataset_name}_{suffix}" if dataset_name else suffix

    def setup(self, model: Any = None, dataset: Any = None, algorithm: Any = None,
              **kwargs: Any) -> None:
        if not monitoring_datasets(algorithm):
            raise ConfigError(f"{type(self).__name__} needs the algorithm to have a "
                              "monitoring_dataset to compute its channel on.")

    def on_monitor(self, model: Any = None, dataset: Any = None, algorithm: Any = None,
                   **kwargs: Any) -> None:
        was_training = model.training
        model.eval()
        try:
            for name, ds in monitoring_datasets(algorithm).items():
                y_pred, y_true = predictions_and_targets(model, ds)
                record(model.monitor, self.channel_name(name), self.metric(y_true, y_pred), name)
        finally:
            model.train(was_training)
