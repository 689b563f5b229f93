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


def apply_to_subset(rule: LearningRule, params: list[torch.nn.Parameter],
                    grads: list[torch.Tensor], learning_rate: float, lr_scalers: list[float],
                    chosen: list[bool]) -> None:
    """``rule.apply`` on the chosen parameters only (their state stays keyed by name), so
    parameters a cost gave no gradient for are not moved and their state does not change."""
    names = rule.param_names
    keep = [i for i, c in enumerate(chosen) if c]
    rule.param_names = [names[i] for i in keep]
    try:
        if keep:
            rule.apply([params[i] for i in keep], [grads[i] for i in keep], learning_rate,
                       [lr_scalers[i] for i in keep])
    finally:
        rule.param_names = names


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
        torch._foreach_mul_(velocities, self.momentum)
        if not self.nesterov_momentum and all(s == 1.0 for s in lr_scalers):
            torch._foreach_add_(velocities, grads, alpha=-learning_rate)  # no temporaries
            torch._foreach_add_(params, velocities)
            return
        steps = scaled_steps(grads, learning_rate, lr_scalers)
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


class AdaDelta(LearningRule):
    """AdaDelta (Zeiler, 2012) with decay ``decay``.

    Deliberately, so that existing experiment files keep their meaning, the learning rate
    (times the parameter's scale) plays the role of AdaDelta's epsilon inside both square
    roots: ``delta = -sqrt(E[dx^2] + lr) / sqrt(E[g^2] + lr) * g``. It is not a step size.
    """

    def __init__(self, decay: float = 0.95) -> None:
        if not 0.0 <= decay < 1.0:
            raise ConfigError(f"AdaDelta: decay must be in [0, 1), got {decay}.")
        self.decay = float(decay)

    def apply(self, params, grads, learning_rate, lr_scalers):
        msg = self._buffers("mean_square_grad", params)
        msdx = self._buffers("mean_square_dx", params)
        d = self.decay
        for p, g, ms_g, ms_dx, scale in zip(params, grads, msg, msdx, lr_scalers):
            eps = learning_rate * scale
            ms_g.mul_(d).addcmul_(g, g, value=1 - d)
            delta = -(ms_dx + eps).sqrt() / (ms_g + eps).sqrt() * g
            ms_dx.mul_(d).addcmul_(delta, delta, value=1 - d)
            p.add_(delta)


class AdaGrad(LearningRule):
    """``delta = -lr * scale * g / max(sqrt(sum of past g^2), 1 / max_scaling)``."""

    def __init__(self, max_scaling: float = 1e5) -> None:
        if max_scaling <= 0:
            raise ConfigError(f"AdaGrad: max_scaling must be positive, got {max_scaling}.")
        self.max_scaling = float(max_scaling)

    def apply(self, params, grads, learning_rate, lr_scalers):
        sums = self._buffers("sum_square_grad", params)
        torch._foreach_addcmul_(sums, grads, grads)
        denominators = torch._foreach_clamp_min(torch._foreach_sqrt(sums), 1.0 / self.max_scaling)
        torch._foreach_add_(params, torch._foreach_div(
            scaled_steps(grads, learning_rate, lr_scalers), denominators))


class RMSProp(LearningRule):
    """``ms = decay * ms + (1 - decay) * g^2``; ``delta = -lr * scale * g / max(sqrt(ms), 1/max_scaling)``.

    Adds ``mean_square_grad_<param>_{min,max,mean}`` monitor channels.
    """

    def __init__(self, decay: float = 0.9, max_scaling: float = 1e5) -> None:
        if not 0.0 <= decay < 1.0:
            raise ConfigError(f"RMSProp: decay must be in [0, 1), got {decay}.")
        if max_scaling <= 0:
            raise ConfigError(f"RMSProp: max_scaling must be positive, got {max_scaling}.")
        self.decay = float(decay)
        self.max_scaling = float(max_scaling)

    def apply(self, params, grads, learning_rate, lr_scalers):
        squares = self._buffers("mean_square_grad", params)
        torch._foreach_mul_(squares, self.decay)
        torch._foreach_addcmul_(squares, grads, grads, value=1 - self.decay)
        denominators = torch._foreach_clamp_min(torch._foreach_sqrt(squares),
                                                1.0 / self.max_scaling)
        torch._foreach_add_(params, torch._foreach_div(
            scaled_steps(grads, learning_rate, lr_scalers), denominators))

    def add_channels_to_monitor(self, monitor: Any, monitoring_dataset: Any = None) -> None:
        def channels() -> dict[str, float]:
            out: dict[str, float] = {}
            for name in self.param_names:
                ms = self.state.get(name, {}).get("mean_square_grad")
                if ms is None:
                    continue
                key = name.replace(".", "_")
                out[f"mean_square_grad_{key}_min"] = float(ms.min())
                out[f"mean_square_grad_{key}_max"] = float(ms.max())
                out[f"mean_square_grad_{key}_mean"] = float(ms.mean())
            return out
        monitor.add_global_channels(channels)


class Adam(LearningRule):
    """Adam (Kingma and Ba, 2015) with bias correction; the step is ``lr * scale``."""

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8) -> None:
        for name, value in (("beta1", beta1), ("beta2", beta2)):
            if not 0.0 <= value < 1.0:
                raise ConfigError(f"Adam: {name} must be in [0, 1), got {value}.")
        self.beta1, self.beta2, self.epsilon = float(beta1), float(beta2), float(epsilon)
        self.step = 0

    def apply(self, params, grads, learning_rate, lr_scalers):
        m = self._buffers("m", params)
        v = self._buffers("v", params)
        self.step += 1
        torch._foreach_mul_(m, self.beta1)
        torch._foreach_add_(m, grads, alpha=1 - self.beta1)
        torch._foreach_mul_(v, self.beta2)
        torch._foreach_addcmul_(v, grads, grads, value=1 - self.beta2)
        c1 = 1 - self.beta1 ** self.step
        c2 = 1 - self.beta2 ** self.step
        denominators = torch._foreach_add(torch._foreach_sqrt(torch._foreach_div(v, c2)),
                                          self.epsilon)
        steps = torch._foreach_div(torch._foreach_div(m, c1), denominators)
        torch._foreach_add_(params, scaled_steps(steps, learning_rate, lr_scalers))

    def _hyper(self) -> dict[str, Any]:
        return {"step": self.step}


class MomentumAdjustor(TrainExtension):
    """Move the momentum linearly from its initial value to ``final_momentum``.

    At each monitor call the count is ``c = epochs_seen + 1`` (the epoch about to be
    trained); the momentum is ``init`` for ``c <= start``, ``final_momentum`` for
    ``c >= saturate`` and linear in between. ``saturate == start`` jumps straight to
    ``final_momentum`` at ``start``. The count comes from the monitor, so a resumed run
    picks up the schedule where it was.
    """

    def __init__(self, final_momentum: float, start: int, saturate: int) -> None:
        if saturate < start:
            raise ConfigError(f"MomentumAdjustor: saturate ({saturate}) must be >= start ({start}): "
                              "momentum cannot reach its final value before it starts moving.")
        if not 0.0 <= final_momentum < 1.0:
            raise ConfigError(f"MomentumAdjustor: final_momentum must be in [0, 1), got "
                              f"{final_momentum}.")
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
            self._initial = rule.momentum
        rule.momentum = self.current_momentum(model.monitor.get_epochs_seen())

    def on_monitor(self, model: Any = None, **kwargs: Any) -> None:
        self._rule.momentum = self.current_momentum(model.monitor.get_epochs_seen() + 1)

    def current_momentum(self, count: int) -> float:
        """The momentum for count ``count`` (see the class docstring)."""
        width = self.saturate - self.start
        if width == 0:
            return self.final_momentum if count >= self.start else self._initial
        alpha = min(1.0, max(0.0, (count - self.start) / width))
        return self._initial * (1 - alpha) + alpha * self.final_momentum

    def state_dict(self) -> dict[str, Any]:
        return {"_initial": self._initial}
