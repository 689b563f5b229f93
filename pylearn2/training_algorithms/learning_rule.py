"""Learning rules: how a gradient becomes a parameter update.

A rule is set up once with the named parameters it updates and then called every step
as ``rule.apply(params, grads, learning_rate, lr_scalers)``; it updates the parameters
in place (under ``torch.no_grad``) and keeps its own state (velocities, averages) in
:meth:`state_dict` so a resumed run continues exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from pylearn2.train_extensions import TrainExtension
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.init_args import InitArgsMixin


class LearningRule(InitArgsMixin):
    """Base class. Subclasses implement :meth:`apply` and keep state in ``self.state``."""

    def setup(self, named_params: Sequence[tuple[str, torch.nn.Parameter]]) -> None:
        self.param_names = [name for name, _ in named_params]
        self.state: dict[str, dict[str, torch.Tensor]] = {}

    def apply(self, params: list[torch.nn.Parameter], grads: list[torch.Tensor],
              learning_rate: float, lr_scalers: list[float]) -> None:
        raise NotImplementedError

    def add_channels_to_monitor(self, monitor: Any, monitoring_dataset: Any = None) -> None:
        """Add the rule's own channels (e.g. ``momentum``)."""

    def state_dict(self) -> dict[str, Any]:
        return {"state": {k: dict(v) for k, v in self.state.items()}, "hyper": self._hyper()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.state = {k: dict(v) for k, v in state.get("state", {}).items()}
        for key, value in state.get("hyper", {}).items():
            setattr(self, key, value)

    def _hyper(self) -> dict[str, Any]:
        """Hyperparameters that extensions may change during training (saved for resume)."""
        return {}

    def _buffers(self, name: str, params: list[torch.nn.Parameter]) -> list[torch.Tensor]:
        """Per-parameter state tensor ``name``, created as zeros on first use."""
        out = []
        for pname, p in zip(self.param_names, params):
            slot = self.state.setdefault(pname, {})
            if name not in slot or slot[name].device != p.device:
                slot[name] = torch.zeros_like(p) if name not in slot else slot[name].to(p.device)
            out.append(slot[name])
        return out


def scaled_steps(grads: list[torch.Tensor], learning_rate: float,
                 lr_scalers: list[float]) -> list[torch.Tensor]:
    """``-lr * scale * g`` for each gradient."""
    if all(s == 1.0 for s in lr_scalers):
        return torch._foreach_mul(grads, -learning_rate)
    return torch._foreach_mul(grads, [-learning_rate * s for s in lr_scalers])


class PlainSGD(LearningRule):
    """``param -= lr * scale * grad`` (what SGD does without a learning rule)."""

    def apply(self, params, grads, learning_rate, lr_scalers):
        if all(s == 1.0 for s in lr_scalers):
            torch._foreach_add_(params, grads, alpha=-learning_rate)
        else:
            torch._foreach_add_(params, scaled_steps(grads, learning_rate, lr_scalers))


class Momentum(LearningRule):
    """Classical or Nesterov momentum.

    ``vel = m * vel - lr * scale * grad``; the parameter moves by ``vel`` (classical) or
    by ``m * vel - lr * scale * grad`` (Nesterov, with the new velocity).
    """

    def __init__(self, init_momentum: float, nesterov_momentum: bool = False) -> None:
        if not 0.0 <= init_momentum < 1.0:
            raise ConfigError(f"Momentum: init_momentum must be in [0, 1), got {init_momentum}.")
        self.init_momentum = init_momentum
        self.momentum = float(init_momentum)
        self.nesterov_momentum = nesterov_momentum

    def apply(self, params, grads, learning_rate, lr_scalers):
        velocities = self._buffers("velocity", params)
        steps = scaled_steps(grads, learning_rate, lr_scalers)
        torch._foreach_mul_(velocities, self.momentum)
        torch._foreach_add_(velocities, steps)
        if self.nesterov_momentum:
            torch._foreach_add_(params, torch._foreach_mul(velocities, self.momentum))
            torch._foreach_add_(params, steps)
        else:
            torch._foreach_add_(params, velocities)

    def add_channels_to_monitor(self, monitor: Any, monitoring_dataset: Any = None) -> None:
        monitor.add_global_channels(lambda: {"momentum": self.momentum})

    def _hyper(self) -> dict[str, Any]:
        return {"momentum": self.momentum}


class MomentumAdjustor(TrainExtension):
    """Move the momentum linearly from its initial value at epoch ``start`` to
    ``final_momentum`` at epoch ``saturate`` (then hold it). Counts epochs seen, so a
    resumed run picks up the schedule where it was."""

    def __init__(self, final_momentum: float, start: int, saturate: int) -> None:
        if saturate < start:
            raise ConfigError(f"MomentumAdjustor: saturate ({saturate}) must be >= start ({start}).")
        self.final_momentum = float(final_momentum)
        self.start = int(start)
        self.saturate = int(saturate)
        self._initial: float | None = None

    def setup(self, model: Any = None, dataset: Any = None, algorithm: Any = None,
              **kwargs: Any) -> None:
        rule = getattr(algorithm, "learning_rule", None)
        if not isinstance(rule, Momentum):
            raise ConfigError("MomentumAdjustor needs the algorithm's learning_rule to be "
                              "!obj:pylearn2.training_algorithms.learning_rule.Momentum.")
        self._rule = rule
        if self._initial is None:
            self._initial = rule.init_momentum
        self._apply(model.monitor.get_epochs_seen())

    def on_monitor(self, model: Any = None, **kwargs: Any) -> None:
        self._apply(model.monitor.get_epochs_seen())

    def _apply(self, epoch: int) -> None:
        self._rule.momentum = self.current_momentum(epoch)

    def current_momentum(self, epoch: int) -> float:
        if epoch <= self.start:
            return self._initial
        if epoch >= self.saturate or self.saturate == self.start:
            return self.final_momentum
        alpha = (epoch - self.start) / (self.saturate - self.start)
        return (1 - alpha) * self._initial + alpha * self.final_momentum

    def state_dict(self) -> dict[str, Any]:
        return {"_initial": self._initial}
