"""Polyak-Ruppert averaging of the parameters over the updates after epoch ``start``."""

from __future__ import annotations

from typing import Any

import torch

from pylearn2.train_extensions import TrainExtension
from pylearn2.utils import distributed, serial
from pylearn2.utils.exc import ConfigError


class PolyakAveraging(TrainExtension):
    """Keep the running mean of every parameter over all updates made after epoch ``start``.

    The average is updated after every minibatch (as an SGD update callback). Every
    ``save_freq`` epochs the model with averaged parameters is written to ``save_path``;
    :meth:`averaged_state` gives the averaged parameters at any time.
    """

    def __init__(self, start: int, save_path: str | None = None, save_freq: int = 1) -> None:
        self.start = int(start)
        self.save_path = save_path
        self.save_freq = int(save_freq)
        self.count = 0
        self.average: dict[str, torch.Tensor] = {}
        self._active = False

    def setup(self, model: Any = None, dataset: Any = None, algorithm: Any = None,
              **kwargs: Any) -> None:
        if not hasattr(algorithm, "update_callbacks"):
            raise ConfigError("PolyakAveraging needs an algorithm with update_callbacks (SGD); "
                              "BGD makes no minibatch updates to average.")
        self._model = model
        algorithm.update_callbacks.append(self._after_update)
        self._active = model.monitor.get_epochs_seen() >= self.start

    @torch.no_grad()
    def _after_update(self, algorithm: Any) -> None:
        if not self._active:
            return
        self.count += 1
        for name, param in self._model.named_parameters():
            if name not in self.average:
                self.average[name] = param.detach().clone()
            else:
                self.average[name].add_(param.detach() - self.average[name], alpha=1.0 / self.count)

    def on_monitor(self, model: Any = None, **kwargs: Any) -> None:
        epoch = model.monitor.get_epochs_seen()
        self._active = epoch >= self.start
        if self.save_path and self.average and epoch % self.save_freq == 0 and \
                distributed.is_main():
            with self.swapped(model):
                serial.save(self.save_path, model, on_overwrite="backup")

    def averaged_state(self) -> dict[str, torch.Tensor]:
        return {k: v.clone() for k, v in self.average.items()}

    def swapped(self, model: Any) -> _Swap:
        """Context manager: the model holds the averaged parameters inside the block."""
        return _Swap(model, self.average)

    def state_dict(self) -> dict[str, Any]:
        return {"count": self.count, "average": dict(self.average), "_active": self._active}


class _Swap:
    def __init__(self, model: Any, average: dict[str, torch.Tensor]) -> None:
        self.model, self.average = model, average

    def __enter__(self) -> None:
        params = dict(self.model.named_parameters())
        self.saved = {k: params[k].detach().clone() for k in self.average}
        with torch.no_grad():
            for k, v in self.average.items():
                params[k].copy_(v)

    def __exit__(self, *exc: Any) -> None:
        params = dict(self.model.named_parameters())
        with torch.no_grad():
            for k, v in self.saved.items():
                params[k].copy_(v)
