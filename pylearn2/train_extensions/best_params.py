"""Keeping the best model seen so far, judged by a monitor channel or a cost."""

from __future__ import annotations

import copy
import logging
import math
import os
import socket
from typing import Any

import torch

from pylearn2.monitor import get_channel
from pylearn2.train_extensions import TrainExtension
from pylearn2.utils import distributed, serial
from pylearn2.utils.exc import ConfigError

log = logging.getLogger(__name__)


class MonitorBasedSaveBest(TrainExtension):
    """Save the model whenever ``channel_name`` strictly improves.

    Lower is better unless ``higher_is_better``; nothing is saved before epoch
    ``start_epoch``. ``store_best_model`` also keeps a copy in ``best_model``.
    ``model.tag[tag_key]`` (default ``'MonitorBasedSaveBest'``) records the channel, the
    absolute save path, the host and the best value so far.
    """

    def __init__(self, channel_name: str, save_path: str | None = None,
                 store_best_model: bool = False, start_epoch: int = 0,
                 higher_is_better: bool = False, tag_key: str | None = None) -> None:
        self.channel_name = channel_name
        self.save_path = save_path
        self.store_best_model = store_best_model
        self.start_epoch = int(start_epoch)
        self.higher_is_better = higher_is_better
        self.tag_key = tag_key if tag_key is not None else type(self).__name__
        self.best_cost = -math.inf if higher_is_better else math.inf
        self.best_epoch: int | None = None
        self.best_model = None

    def setup(self, model: Any = None, dataset: Any = None, algorithm: Any = None,
              **kwargs: Any) -> None:
        self._update_tag(model)

    def _update_tag(self, model: Any) -> None:
        tag = getattr(model, "tag", None)
        if tag is None:
            return
        tag[self.tag_key] = {
            "channel_name": self.channel_name,
            "save_path": os.path.abspath(self.save_path) if self.save_path else None,
            "hostname": socket.gethostname(),
            "best_cost": self.best_cost if math.isfinite(self.best_cost) else None,
        }

    def on_monitor(self, model: Any = None, **kwargs: Any) -> None:
        monitor = model.monitor
        if monitor.get_epochs_seen() < self.start_epoch:
            return
        value = monitor.last(self.channel_name)
        better = value > self.best_cost if self.higher_is_better else value < self.best_cost
        if not better:
            return
        self.best_cost = value
        self.best_epoch = monitor.get_epochs_seen()
        self._update_tag(model)
        if self.store_best_model:
            self.best_model = copy.deepcopy(model)
        if self.save_path is not None and distributed.is_main():
            serial.save(self.save_path, model, on_overwrite="backup")
            log.info("New best %s = %.6g at epoch %d: saved %s", self.channel_name, value,
                     self.best_epoch, self.save_path)

    def state_dict(self) -> dict[str, Any]:
        return {"best_cost": self.best_cost, "best_epoch": self.best_epoch}


class KeepBestParams(TrainExtension):
    """Remember the parameters that gave the best value of a cost, and restore them.

    The value is either the cost ``cost`` evaluated on ``monitoring_dataset`` (in
    batches of ``batch_size``) after every monitor call, or, with ``channel_name``, the
    last value of that monitor channel. Lower is better unless ``higher_is_better``.
    :meth:`restore_best_params` puts the best parameters back into the model;
    ``restore_at_end`` does it when training ends (after the final save, so the model
    file holds the last parameters and the model in memory the best ones).
    """

    def __init__(self, model: Any = None, cost: Any = None, monitoring_dataset: Any = None,
                 batch_size: int | None = None, channel_name: str | None = None,
                 higher_is_better: bool = False, restore_at_end: bool = True) -> None:
        if channel_name is None and (cost is None or monitoring_dataset is None):
            raise ConfigError("KeepBestParams needs either channel_name, or cost and "
                              "monitoring_dataset (with batch_size) to evaluate.")
        self.model = model
        self.cost = cost
        self.monitoring_dataset = monitoring_dataset
        self.batch_size = batch_size
        self.channel_name = channel_name
        self.higher_is_better = higher_is_better
        self.restore_at_end = restore_at_end
        self.best_cost = -math.inf if higher_is_better else math.inf
        self.best_params: dict[str, torch.Tensor] | None = None

    def _value(self, model: Any) -> float:
        if self.channel_name is not None:
            return model.monitor.last(self.channel_name)
        batch_size = self.batch_size or self.monitoring_dataset.get_num_examples()
        return get_channel(model, self.monitoring_dataset, "objective", self.cost, batch_size)

    def on_monitor(self, model: Any = None, **kwargs: Any) -> None:
        model = self.model if self.model is not None else model
        value = self._value(model)
        better = value > self.best_cost if self.higher_is_better else value < self.best_cost
        if better:
            self.best_cost = value
            self.best_params = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def restore_best_params(self, model: Any = None) -> None:
        """Load the best parameters seen so far into the model."""
        model = model if model is not None else self.model
        if self.best_params is not None:
            with torch.no_grad():
                model.load_state_dict(self.best_params)

    def on_train_end(self, model: Any = None, **kwargs: Any) -> None:
        if self.restore_at_end:
            self.restore_best_params(self.model if self.model is not None else model)

    def state_dict(self) -> dict[str, Any]:
        return {"best_cost": self.best_cost, "best_params": self.best_params}
