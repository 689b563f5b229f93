"""Termination criteria: read the monitor after each epoch and say whether to go on.

Each criterion's ``continue_learning(model)`` returns a bool and, when it returns
False, leaves a human-readable ``reason`` that the trainer logs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from pylearn2.utils.exc import ConfigError
from pylearn2.utils.init_args import InitArgsMixin


class TerminationCriterion(InitArgsMixin):
    """Base class; subclasses implement :meth:`continue_learning`."""

    reason: str | None = None

    def continue_learning(self, model: Any) -> bool:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            setattr(self, key, value)


class EpochCounter(TerminationCriterion):
    """Stop after ``max_epochs`` epochs (counted from the first call when ``new_epochs``)."""

    def __init__(self, max_epochs: int, new_epochs: bool = True) -> None:
        self.max_epochs = int(max_epochs)
        self.new_epochs = new_epochs
        self._start: int | None = None

    def continue_learning(self, model: Any) -> bool:
        epochs = model.monitor.get_epochs_seen()
        if self._start is None:
            self._start = epochs if self.new_epochs else 0
        done = epochs - self._start >= self.max_epochs
        if done:
            self.reason = f"max_epochs={self.max_epochs} reached"
        return not done

    def state_dict(self) -> dict[str, Any]:
        return {"_start": self._start}


class MonitorBased(TerminationCriterion):
    """Stop when ``channel_name`` has not dropped below ``(1 - prop_decrease) * best`` for N epochs."""

    def __init__(self, prop_decrease: float = 0.01, N: int = 5,
                 channel_name: str | None = None) -> None:
        self.prop_decrease = float(prop_decrease)
        self.N = int(N)
        self.channel_name = channel_name
        self.countdown = self.N
        self.best_value = math.inf

    def continue_learning(self, model: Any) -> bool:
        name = self.channel_name or "objective"
        value = model.monitor.last(name)
        if value < (1.0 - self.prop_decrease) * self.best_value:
            self.countdown = self.N
        else:
            self.countdown -= 1
        self.best_value = min(self.best_value, value)
        if self.countdown <= 0:
            self.reason = (f"{name} did not improve by {self.prop_decrease:g} of its best "
                           f"({self.best_value:.6g}) for {self.N} epochs")
        return self.countdown > 0

    def state_dict(self) -> dict[str, Any]:
        return {"countdown": self.countdown, "best_value": self.best_value}


class ChannelTarget(TerminationCriterion):
    """Continue while the channel's last value is above ``target``."""

    def __init__(self, channel_name: str, target: float) -> None:
        self.channel_name = channel_name
        self.target = float(target)

    def continue_learning(self, model: Any) -> bool:
        value = model.monitor.last(self.channel_name)
        if value <= self.target:
            self.reason = f"{self.channel_name}={value:.6g} reached the target {self.target:g}"
        return value > self.target


class ChannelInf(TerminationCriterion):
    """Stop when the channel's last value is infinite (or NaN)."""

    def __init__(self, channel_name: str) -> None:
        self.channel_name = channel_name

    def continue_learning(self, model: Any) -> bool:
        value = model.monitor.last(self.channel_name)
        ok = math.isfinite(value)
        if not ok:
            self.reason = f"{self.channel_name} became {value}"
        return ok


class MatchChannel(TerminationCriterion):
    """Continue while the channel is above a previous run's final value of another channel."""

    def __init__(self, channel_name: str, prev_channel_name: str,
                 prev_monitor_name: str) -> None:
        self.channel_name = channel_name
        self.prev_channel_name = prev_channel_name
        self.prev_monitor_name = prev_monitor_name
        self.target: float | None = None

    def continue_learning(self, model: Any) -> bool:
        if self.target is None:
            previous = getattr(model, self.prev_monitor_name, None)
            if previous is None:
                raise ConfigError(f"MatchChannel: the model has no monitor "
                                  f"{self.prev_monitor_name!r} (use push_monitor).")
            self.target = previous.last(self.prev_channel_name)
        value = model.monitor.last(self.channel_name)
        if value <= self.target:
            self.reason = f"{self.channel_name}={value:.6g} matched {self.target:.6g}"
        return value > self.target

    def state_dict(self) -> dict[str, Any]:
        return {"target": self.target}


class _Combination(TerminationCriterion):
    def __init__(self, criteria: Sequence[TerminationCriterion]) -> None:
        if not all(hasattr(c, "continue_learning") for c in criteria):
            raise ConfigError(f"{type(self).__name__} takes a list of termination criteria.")
        self.criteria = list(criteria)

    def _votes(self, model: Any, stop_at: bool) -> list[bool]:
        """Ask the members in order and stop asking at the first vote equal to
        ``stop_at`` (short-circuit, as the original Pylearn2 did, so stateful members
        after it are not consulted on that epoch)."""
        votes = []
        for criterion in self.criteria:
            votes.append(bool(criterion.continue_learning(model)))
            if votes[-1] == stop_at:
                break
        return votes

    def _reasons(self, votes: list[bool]) -> str:
        return "; ".join(c.reason or type(c).__name__ for c, v in zip(self.criteria, votes) if not v)

    def state_dict(self) -> dict[str, Any]:
        return {"criteria": [c.state_dict() for c in self.criteria]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for c, s in zip(self.criteria, state.get("criteria", [])):
            c.load_state_dict(s)


class And(_Combination):
    """Continue only while every criterion says continue; members after the first that
    says stop are not asked."""

    def continue_learning(self, model: Any) -> bool:
        votes = self._votes(model, stop_at=False)
        if not all(votes):
            self.reason = self._reasons(votes)
        return all(votes)


class Or(_Combination):
    """Continue while any criterion says continue; members after the first that says
    continue are not asked."""

    def continue_learning(self, model: Any) -> bool:
        votes = self._votes(model, stop_at=True)
        if not any(votes):
            self.reason = self._reasons(votes)
        return any(votes)
