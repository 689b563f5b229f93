"""SGD helpers of the original's ``sgd`` module: EpochMonitor (progress and monitoring
within an epoch) and PatienceBasedTermCrit (stop when patience runs out)."""

from __future__ import annotations

import logging
import math
from typing import Any

from pylearn2.utils.exc import ConfigError
from pylearn2.utils.init_args import InitArgsMixin

log = logging.getLogger(__name__)


class EpochMonitor(InitArgsMixin):
    """An SGD update callback: every ``tick_rate`` batches it logs how far the epoch has
    come; every ``monitor_rate`` batches it runs the monitor (recording channels mid-epoch).

    Parameters
    ----------
    model : the model being trained (its monitor is run).
    tick_rate, monitor_rate : batches between progress lines / monitor runs (None: never).
    """

    def __init__(self, model: Any, tick_rate: int | None = None,
                 monitor_rate: int | None = None) -> None:
        self.model, self.tick_rate, self.monitor_rate = model, tick_rate, monitor_rate
        self._count = 0
        self._epoch = None

    def __call__(self, algorithm: Any) -> None:
        monitor = self.model.monitor
        epoch = monitor.get_epochs_seen()
        if epoch != self._epoch:
            self._epoch, self._count = epoch, 0
        self._count += 1
        if self.tick_rate and self._count % self.tick_rate == 0:
            total = getattr(getattr(algorithm, "_iterator", None), "num_batches", None)
            share = f"{100.0 * self._count / total:.2f} %" if total else f"{self._count} batches"
            log.info("Epoch %d progress: %s", epoch, share)
        if self.monitor_rate and self._count % self.monitor_rate == 0:
            monitor()

    def state_dict(self) -> dict[str, Any]:
        return {"count": self._count, "epoch": self._epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._count, self._epoch = int(state["count"]), state["epoch"]


class PatienceBasedTermCrit(InitArgsMixin):
    """Early stopping with patience: train while the number of monitor records is below
    the patience; a record below ``best * (1 - prop_decrease)`` becomes the best and
    raises the patience to at least ``records * patience_increase``.

    Called as ``criterion(model)``, it returns whether to continue (it is also usable as
    a termination criterion through :meth:`continue_learning`).

    Parameters
    ----------
    prop_decrease : relative improvement that counts.
    initial_patience : number of records to wait at first.
    patience_increase : factor applied to the number of records at each improvement.
    channel_name : the channel watched (default 'objective', which must then exist).
    """

    def __init__(self, prop_decrease: float, initial_patience: int,
                 patience_increase: float = 2.0, channel_name: str | None = None) -> None:
        if not 0.0 <= float(prop_decrease) < 1.0:
            raise ConfigError(f"PatienceBasedTermCrit: prop_decrease must be in [0, 1), got "
                              f"{prop_decrease}.")
        self.prop_decrease, self.initial_patience = float(prop_decrease), initial_patience
        self.patience_increase, self.channel_name = float(patience_increase), channel_name
        self.patience = float(initial_patience)
        self.best_value = math.inf

    def __call__(self, model: Any) -> bool:
        channels = model.monitor.channels
        name = self.channel_name or "objective"
        if name not in channels:
            raise ConfigError(f"PatienceBasedTermCrit watches channel {name!r}, which the "
                              f"monitor lacks; give channel_name (one of {sorted(channels)}).")
        record = channels[name].val_record
        if record and record[-1] < self.best_value * (1.0 - self.prop_decrease):
            self.patience = max(self.patience, len(record) * self.patience_increase)
            self.best_value = record[-1]
        return len(record) < self.patience

    continue_learning = __call__

    def state_dict(self) -> dict[str, Any]:
        return {"patience": self.patience, "best_value": self.best_value}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.patience, self.best_value = float(state["patience"]), float(state["best_value"])


__all__ = ["EpochMonitor", "PatienceBasedTermCrit"]
