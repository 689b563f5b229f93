"""Extensions that adapt BGD's ``scale_step`` from the monitor: ScaleStep (a fixed
schedule), StepShrinker and BacktrackingStepShrinker (shrink when a channel gets worse;
the latter also returns to the parameters before the bad step)."""

from __future__ import annotations

import logging
from typing import Any

import torch

from pylearn2.train_extensions import TrainExtension
from pylearn2.utils.exc import ConfigError

log = logging.getLogger(__name__)


def set_scale_step(algorithm: Any, value: float) -> None:
    """Set ``scale_step`` on the algorithm and on the optimiser it has built."""
    algorithm.scale_step = float(value)
    optimizer = getattr(algorithm, "optimizer", None)
    if optimizer is not None and hasattr(optimizer, "scale_step"):
        optimizer.scale_step = float(value)


class ScaleStep(TrainExtension):
    """Multiply ``scale_step`` by ``scale`` at each monitor, never below ``min_value``."""

    def __init__(self, scale: float, min_value: float) -> None:
        self.scale, self.min_value = float(scale), float(min_value)

    def on_monitor(self, model: Any = None, dataset: Any = None, algorithm: Any = None,
                   **kwargs: Any) -> None:
        set_scale_step(algorithm, max(self.min_value, algorithm.scale_step * self.scale))


class StepShrinker(TrainExtension):
    """When ``channel`` did not improve on its previous value, multiply ``scale_step`` by
    ``scale``; below ``giveup_after`` training stops. When it improved and
    ``scale_up != 1``, grow the step up to ``max_scale``. Also a termination criterion
    (``continue_learning``); the current step is the ``scale_step`` channel.
    """

    def __init__(self, channel: str, scale: float, giveup_after: float, scale_up: float = 1.0,
                 max_scale: float = 1.0) -> None:
        if not 0.0 < float(scale) < 1.0:
            raise ConfigError(f"{type(self).__name__}: scale must be in (0, 1), got {scale}.")
        self.channel, self.scale, self.giveup_after = channel, float(scale), float(giveup_after)
        self.scale_up, self.max_scale = float(scale_up), float(max_scale)
        self._continue = True
        self._algorithm: Any = None

    def setup(self, model: Any = None, dataset: Any = None, algorithm: Any = None,
              **kwargs: Any) -> None:
        self._algorithm = algorithm
        model.monitor.add_global_channels(lambda: {"scale_step": float(algorithm.scale_step)})

    def _record(self, model: Any) -> list[float]:
        channels = model.monitor.channels
        if self.channel not in channels:
            raise ConfigError(f"{type(self).__name__} watches channel {self.channel!r}, which "
                              f"the monitor lacks; known: {sorted(channels)}.")
        return channels[self.channel].val_record

    def on_monitor(self, model: Any = None, dataset: Any = None, algorithm: Any = None,
                   **kwargs: Any) -> None:
        record = self._record(model)
        if len(record) < 2:
            return
        latest, previous = record[-1], record[-2]
        cur = algorithm.scale_step
        if latest >= previous:
            cur *= self.scale
            self.on_worse(model)
            if cur < self.giveup_after:
                log.info("%s: step scale fell below %g; stopping.", type(self).__name__,
                         self.giveup_after)
                self._continue, cur = False, self.giveup_after
        elif self.scale_up != 1.0:
            cur = min(cur * self.scale_up, self.max_scale)
        set_scale_step(algorithm, cur)

    def on_worse(self, model: Any) -> None:
        """Hook for subclasses: the watched channel just got worse."""

    def continue_learning(self, model: Any) -> bool:
        return self._continue

    def state_dict(self) -> dict[str, Any]:
        return {"continue": self._continue}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._continue = bool(state["continue"])


class BacktrackingStepShrinker(StepShrinker):
    """A StepShrinker that, when the channel gets worse, also puts back the parameters
    the model had at the previous monitor (undoing the bad step)."""

    def __init__(self, channel: str, scale: float, giveup_after: float, scale_up: float = 1.0,
                 max_scale: float = 1.0) -> None:
        super().__init__(channel, scale, giveup_after, scale_up, max_scale)
        self._previous: list[torch.Tensor] | None = None
        self._current: list[torch.Tensor] | None = None

    def on_monitor(self, model: Any = None, dataset: Any = None, algorithm: Any = None,
                   **kwargs: Any) -> None:
        self._previous, self._current = self._current, [p.detach().clone() for p in model.parameters()]
        super().on_monitor(model, dataset, algorithm)

    @torch.no_grad()
    def on_worse(self, model: Any) -> None:
        if self._previous is None:
            return
        for p, saved in zip(model.parameters(), self._previous):
            p.copy_(saved)
        self._current = self._previous


__all__ = ["BacktrackingStepShrinker", "ScaleStep", "StepShrinker", "set_scale_step"]
