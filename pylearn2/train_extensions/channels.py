"""Extensions that publish or set values by epoch: ChannelSmoother and SharedSetter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pylearn2.monitor import Monitor
from pylearn2.train_extensions.base import TrainExtension
from pylearn2.utils.exc import ConfigError


class ChannelSmoother(TrainExtension):
    """Publish ``channel_to_publish``: the mean of the last ``k`` values of
    ``channel_to_smooth`` (fewer at the start), recorded after every monitor call with
    the same epoch, batch, example and time stamps as the smoothed channel."""

    def __init__(self, channel_to_smooth: str, channel_to_publish: str, k: int = 5) -> None:
        if int(k) < 1:
            raise ConfigError(f"ChannelSmoother: k must be >= 1, got {k}.")
        if channel_to_smooth == channel_to_publish:
            raise ConfigError("ChannelSmoother: channel_to_publish must differ from "
                              "channel_to_smooth.")
        self.channel_to_smooth = channel_to_smooth
        self.channel_to_publish = channel_to_publish
        self.k = int(k)

    def on_monitor(self, model: Any = None, **kwargs: Any) -> None:
        monitor = model.monitor
        source = monitor.channel(self.channel_to_smooth)
        values = source.val_record[-self.k:]
        if not values:
            return
        out = monitor._channel(self.channel_to_publish, source.dataset_name)
        out.val_record.append(sum(values) / len(values))
        now = {"batch_record": monitor.get_batches_seen, "example_record": monitor.get_examples_seen,
               "epoch_record": monitor.get_epochs_seen, "time_record": monitor.seconds_trained}
        for record, current in now.items():
            stamps = getattr(source, record)
            getattr(out, record).append(stamps[-1] if stamps else current())


class SharedSetter(TrainExtension):
    """Set values after given numbers of epochs: ``epoch_updates`` is a list of
    ``[epoch, target, value]``.

    ``target`` names an attribute reachable from ``algorithm``, ``model`` or ``trainer``,
    e.g. ``'algorithm.learning_rate'``, ``'algorithm.learning_rule.momentum'`` or
    ``'model.layers.0.include_prob'`` (numbers index lists). The update for epoch ``e`` is
    applied at the monitor call after ``e`` epochs (``e = 0``: before training), and each
    target holding a number is published as a monitor channel named after it (dots
    become underscores).
    A resumed run re-applies the updates of the epochs already seen.
    """

    ROOTS = ("algorithm", "model", "trainer")

    def __init__(self, epoch_updates: Sequence[Sequence[Any]]) -> None:
        parsed = []
        for update in epoch_updates:
            if not isinstance(update, (list, tuple)) or len(update) != 3:
                raise ConfigError(f"SharedSetter: each update is [epoch, target, value], got "
                                  f"{update!r}.")
            epoch, target, value = update
            if not isinstance(target, str) or target.split(".")[0] not in self.ROOTS:
                raise ConfigError(f"SharedSetter: target {target!r} must be a dotted name "
                                  f"starting with one of {', '.join(self.ROOTS)}.")
            if int(epoch) < 0:
                raise ConfigError(f"SharedSetter: epoch must be >= 0, got {epoch}.")
            parsed.append((int(epoch), target, value))
        self.epoch_updates = [list(u) for u in epoch_updates]
        self._updates = sorted(parsed, key=lambda u: u[0])
        self._applied_through = -1
        self._roots: dict[str, Any] | None = None
        self._pending: int | None = None

    def setup(self, model: Any = None, dataset: Any = None, algorithm: Any = None,
              trainer: Any = None, **kwargs: Any) -> None:
        self._roots = {"algorithm": algorithm, "model": model, "trainer": trainer}
        targets = sorted({t for _, t, _ in self._updates})
        for target in targets:
            self._resolve(target)  # fail now, not after hours of training
        if self._pending is not None:
            self._apply_through(self._pending)
            self._pending = None
        Monitor.get_monitor(model).add_global_channels(self._channels)

    def _resolve(self, target: str) -> tuple[Any, str]:
        parts = target.split(".")
        obj = self._roots[parts[0]]
        for i, part in enumerate(parts[1:-1], start=1):
            try:
                obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
            except (AttributeError, IndexError, TypeError):
                raise ConfigError(f"SharedSetter: cannot reach {'.'.join(parts[:i + 1])!r} "
                                  f"in target {target!r}.") from None
        if not hasattr(obj, parts[-1]):
            raise ConfigError(f"SharedSetter: {'.'.join(parts[:-1])} has no attribute "
                              f"{parts[-1]!r} (target {target!r}).")
        return obj, parts[-1]

    def _channels(self) -> dict[str, float]:
        """Each target's current value (those that are numbers), named with underscores."""
        out = {}
        for target in sorted({t for _, t, _ in self._updates}):
            obj, attr = self._resolve(target)
            try:
                out[target.replace(".", "_")] = float(getattr(obj, attr))
            except (TypeError, ValueError):
                continue
        return out

    def _apply_through(self, epoch: int) -> None:
        for when, target, value in self._updates:
            if self._applied_through < when <= epoch:
                obj, attr = self._resolve(target)
                setattr(obj, attr, value)
        self._applied_through = max(self._applied_through, epoch)

    def on_monitor(self, model: Any = None, **kwargs: Any) -> None:
        self._apply_through(model.monitor.get_epochs_seen())

    def state_dict(self) -> dict[str, Any]:
        return {"applied_through": self._applied_through}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Re-apply, in order, every update up to the saved epoch (now, or at setup)."""
        self._applied_through = -1
        epoch = int(state.get("applied_through", -1))
        if self._roots is None:
            self._pending = epoch
        else:
            self._apply_through(epoch)
