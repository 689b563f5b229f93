"""Keeping the best model seen so far, judged by a monitor channel."""

from __future__ import annotations

import copy
import logging
import math
import os
import socket
from typing import Any

import torch

from pylearn2.train_extensions import TrainExtension
from pylearn2.utils import distributed, serial

log = logging.getLogger(__name__)


class MonitorBasedSaveBest(TrainExtension):
    """Save the model whenever ``channel_name`` strictly improves.

    Lower is better unless ``higher_is_better``; nothing is saved before epoch
    ``start_epoch``. ``store_best_model`` also keeps a copy in ``best_model``.
    ``tag_key`` records the channel, path, host and best value in ``model.tag``.
    """

    def __init__(self, channel_name: str, save_path: str | None = None,
                 store_best_model: bool = False, start_epoch: int = 0,
                 higher_is_better: bool = False, tag_key: str | None = None) -> None:
        self.channel_name = channel_name
        self.save_path = save_path
        self.store_best_model = store_best_model
        self.start_epoch = int(start_epoch)
        self.higher_is_better = higher_is_better
        self.tag_key = tag_key
        self.best_cost = -math.inf if higher_is_better else math.inf
        self.best_epoch: int | None = None
        self.best_model = None

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
        if self.tag_key is not None:
            model.tag[self.tag_key] = {
                "channel_name": self.channel_name, "best_cost": value,
                "save_path": os.path.abspath(self.save_path) if self.save_path else None,
                "hostname": socket.gethostname(),
            }
        if self.store_best_model:
            self.best_model = copy.deepcopy(model)
        if self.save_path is not None and distributed.is_main():
            serial.save(self.save_path, model, on_overwrite="backup")
            log.info("New best %s = %.6g at epoch %d: saved %s", self.channel_name, value,
                     self.best_epoch, self.save_path)

    def state_dict(self) -> dict[str, Any]:
        return {"best_cost": self.best_cost, "best_epoch": self.best_epoch}


class KeepBestParams(TrainExtension):
    """Track the parameters that gave the lowest ``channel_name`` and restore them at the end."""

    def __init__(self, channel_name: str, higher_is_better: bool = False,
                 restore_at_end: bool = True) -> None:
        self.channel_name = channel_name
        self.higher_is_better = higher_is_better
        self.restore_at_end = restore_at_end
        self.best_cost = -math.inf if higher_is_better else math.inf
        self.best_params: dict[str, torch.Tensor] | None = None

    def on_monitor(self, model: Any = None, **kwargs: Any) -> None:
        value = model.monitor.last(self.channel_name)
        better = value > self.best_cost if self.higher_is_better else value < self.best_cost
        if better:
            self.best_cost = value
            self.best_params = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def on_train_end(self, model: Any = None, **kwargs: Any) -> None:
        if self.restore_at_end and self.best_params is not None:
            with torch.no_grad():
                model.load_state_dict(self.best_params)

    def state_dict(self) -> dict[str, Any]:
        return {"best_cost": self.best_cost, "best_params": self.best_params}
