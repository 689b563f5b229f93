"""Learning-rate schedules for SGD: per-minibatch callbacks and per-epoch extensions.

Callbacks (``update_callbacks``) count minibatches; extensions count epochs seen, so a
resumed run continues the schedule exactly. All are importable from
``pylearn2.training_algorithms.sgd``, where experiment files name them.

Epoch schedules are evaluated at each monitor call with the count ``c = epochs_seen + 1``:
the rate set after epoch ``e`` (and before training starts, ``e = 0``) is the one used
while training epoch ``c``. So ``start: 1`` changes the rate already during the first
epoch, as existing experiment files expect.
"""

from __future__ import annotations

from typing import Any

from pylearn2.train_extensions import TrainExtension
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.init_args import InitArgsMixin


class UpdateCallback(InitArgsMixin):
    """Called as ``callback(algorithm)`` after every minibatch update.

    Schedules subclass it and implement :meth:`rate`: the learning rate after ``t``
    minibatches given the initial rate (read from the algorithm at the first call).
    """

    _count = 0
    _base_lr: float | None = None

    def __call__(self, algorithm: Any) -> None:
        if self._base_lr is None:
            self._base_lr = algorithm.learning_rate
        self._count += 1
        algorithm.learning_rate = self.rate(self._base_lr, self._count)

    def rate(self, lr0: float, t: int) -> float:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        return {"_count": self._count, "_base_lr": self._base_lr}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            setattr(self, key, value)


class ExponentialDecay(UpdateCallback):
    """``lr_t = lr_0 / decay_factor ** t`` (t counts minibatches), never below ``min_lr``."""

    def __init__(self, decay_factor: float, min_lr: float) -> None:
        if decay_factor < 1.0:
            raise ConfigError(f"ExponentialDecay: decay_factor must be >= 1, got {decay_factor}.")
        self.decay_factor = float(decay_factor)
        self.min_lr = float(min_lr)

    def rate(self, lr0: float, t: int) -> float:
        try:
            return max(self.min_lr, lr0 / self.decay_factor ** t)
        except OverflowError:  # decay_factor ** t beyond float range: long past min_lr
            return self.min_lr


class LinearDecay(UpdateCallback):
    """Linear decay over minibatches ``start``..``saturate`` down to ``lr_0 * decay_factor``."""

    def __init__(self, start: int, saturate: int, decay_factor: float) -> None:
        if not 0 < start <= saturate:
            raise ConfigError(f"LinearDecay needs 0 < start <= saturate, got {start}, {saturate}.")
        self.start, self.saturate = int(start), int(saturate)
        self.decay_factor = float(decay_factor)

    def rate(self, lr0: float, t: int) -> float:
        return linear_decay(lr0, t, self.start, self.saturate, self.decay_factor)


class AnnealedLearningRate(UpdateCallback):
    """``lr_t = lr_0 * min(1, anneal_start / t)`` (t counts minibatches)."""

    def __init__(self, anneal_start: int) -> None:
        self.anneal_start = int(anneal_start)

    def rate(self, lr0: float, t: int) -> float:
        return lr0 * min(1.0, self.anneal_start / t)


def linear_decay(lr0: float, t: int, start: int, saturate: int, decay_factor: float) -> float:
    """The linear schedule: unchanged before ``start``, ``lr0 * decay_factor``
    from ``saturate`` on, and equal steps of ``(lr0 - lr0*decay_factor)/(saturate-start+1)``
    in between."""
    if t < start:
        return lr0
    if t >= saturate:
        return lr0 * decay_factor
    step = (lr0 - lr0 * decay_factor) / (saturate - start + 1)
    return lr0 - step * (t - start + 1)


class _EpochSchedule(TrainExtension):
    """Sets ``algorithm.learning_rate`` from the epochs seen at each monitor call.

    :meth:`rate` takes the count ``c``: ``epochs_seen`` at setup, ``epochs_seen + 1`` at
    each monitor call (the number of the epoch about to be trained).
    """

    def __init__(self) -> None:
        self._base_lr: float | None = None

    def setup(self, model: Any = None, dataset: Any = None, algorithm: Any = None,
              **kwargs: Any) -> None:
        if not hasattr(algorithm, "learning_rate"):
            raise ConfigError(f"{type(self).__name__} needs an algorithm with a learning_rate (SGD).")
        if self._base_lr is None:
            self._base_lr = algorithm.learning_rate
        algorithm.learning_rate = self.rate(self._base_lr, model.monitor.get_epochs_seen())

    def on_monitor(self, model: Any = None, algorithm: Any = None, **kwargs: Any) -> None:
        algorithm.learning_rate = self.rate(self._base_lr, model.monitor.get_epochs_seen() + 1)

    def rate(self, lr0: float, count: int) -> float:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        return {"_base_lr": self._base_lr}


class OneOverEpoch(_EpochSchedule):
    """``lr = lr0 * half_life / (half_life + c - start)`` from count ``start`` on, >= min_lr.

    ``half_life`` (default ``start + 1``) is the number of epochs after ``start`` at which
    the rate has halved.
    """

    def __init__(self, start: int, half_life: int | None = None, min_lr: float = 1e-6) -> None:
        super().__init__()
        if start < 0:
            raise ConfigError(f"OneOverEpoch: start must be >= 0, got {start}.")
        if half_life is not None and half_life <= 0:
            raise ConfigError(f"OneOverEpoch: half_life must be positive, got {half_life}.")
        self.start = int(start)
        self.half_life = int(half_life) if half_life is not None else self.start + 1
        self.min_lr = float(min_lr)

    def setup(self, model: Any = None, dataset: Any = None, algorithm: Any = None,
              **kwargs: Any) -> None:
        lr = getattr(algorithm, "learning_rate", None)
        if self._base_lr is None and lr is not None and lr < self.min_lr:
            raise ConfigError(f"OneOverEpoch: the learning rate {lr:g} is already below "
                              f"min_lr={self.min_lr:g}; lower min_lr.")
        super().setup(model=model, dataset=dataset, algorithm=algorithm)

    def rate(self, lr0: float, count: int) -> float:
        if count < self.start:
            return lr0
        return max(self.min_lr, lr0 * self.half_life / (self.half_life + count - self.start))


class LinearDecayOverEpoch(_EpochSchedule):
    """Linear decay over epochs ``start``..``saturate`` down to ``lr0 * decay_factor``."""

    def __init__(self, start: int, saturate: int, decay_factor: float) -> None:
        super().__init__()
        if not 0 < start <= saturate:
            raise ConfigError(f"LinearDecayOverEpoch needs 0 < start <= saturate, got {start}, "
                              f"{saturate}.")
        self.start, self.saturate = int(start), int(saturate)
        self.decay_factor = float(decay_factor)

    def rate(self, lr0: float, count: int) -> float:
        return linear_decay(lr0, count, self.start, self.saturate, self.decay_factor)


class MonitorBasedLRAdjuster(TrainExtension):
    """Shrink the learning rate when a channel rises, grow it when it falls steadily.

    After each epoch, with v the channel's last value and v0 the previous one: if the
    channel went up (``v > high_trigger * v0``) the rate is multiplied by ``shrink_amt``;
    otherwise, if it fell by less than a factor ``low_trigger`` (``v > low_trigger * v0``),
    training is safe but slow and the rate is multiplied by ``grow_amt``. The result is
    clipped to [min_lr, max_lr]. The default channel is the one ending in 'objective'.
    """

    def __init__(self, high_trigger: float = 1.0, shrink_amt: float = 0.99,
                 low_trigger: float = 0.99, grow_amt: float = 1.01, min_lr: float = 1e-7,
                 max_lr: float = 1.0, dataset_name: str | None = None,
                 channel_name: str | None = None) -> None:
        self.high_trigger, self.shrink_amt = high_trigger, shrink_amt
        self.low_trigger, self.grow_amt = low_trigger, grow_amt
        self.min_lr, self.max_lr = min_lr, max_lr
        self.dataset_name, self.channel_name = dataset_name, channel_name

    def _channel(self, monitor: Any) -> str:
        if self.channel_name is not None:
            return self.channel_name
        prefix = f"{self.dataset_name}_" if self.dataset_name else ""
        candidates = [n for n in monitor.channels if n.startswith(prefix) and n.endswith("objective")]
        if len(candidates) != 1:
            raise ConfigError("MonitorBasedLRAdjuster: give channel_name (found objective channels "
                              f"{sorted(candidates)}).")
        return candidates[0]

    def on_monitor(self, model: Any = None, algorithm: Any = None, **kwargs: Any) -> None:
        record = model.monitor.channel(self._channel(model.monitor)).val_record
        if len(record) < 2:
            return
        v0, v = record[-2], record[-1]
        lr = algorithm.learning_rate
        if v > self.high_trigger * v0:
            lr *= self.shrink_amt
        elif v > self.low_trigger * v0:
            lr *= self.grow_amt
        algorithm.learning_rate = min(self.max_lr, max(self.min_lr, lr))
