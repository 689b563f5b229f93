"""Batch gradient descent and nonlinear conjugate gradient with a line search.

The objective ``f(params)`` is evaluated on a fixed batch. Each step picks a direction
(steepest descent, or Polak-Ribiere conjugate gradient with automatic restarts) and
moves along it to the point where the directional derivative vanishes: a bracketing
line search refined by secant steps on the derivative, safeguarded by bisection. On a
quadratic one secant step is exact, so conjugate gradient converges in at most n steps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

Closure = Callable[[], torch.Tensor]


@dataclass
class StepStats:
    step_size: float
    grad_size: float
    grad_mult: float


class BatchGradientDescent:
    """Minimise ``objective()`` (a closure over ``params``) by line-searched descent.

    ``line_search_mode``: None searches to a loose tolerance (derivative reduced 10x),
    ``'exhaustive'`` to a tight one (1e-6). ``conjugate`` turns on nonlinear CG;
    ``reset_conjugate`` restarts it at every ``minimize`` call. ``init_alpha`` is the
    first trial step (relative to the direction), remembered between steps unless
    ``reset_alpha``.
    """

    def __init__(self, params: Sequence[torch.Tensor], objective: Closure,
                 conjugate: bool = False, line_search_mode: str | None = None,
                 reset_alpha: bool = True, reset_conjugate: bool = True,
                 init_alpha: float = 1.0, min_init_alpha: float = 1e-3,
                 scale_step: float = 1.0, max_line_search_iters: int = 20) -> None:
        if line_search_mode not in (None, "exhaustive"):
            raise ValueError(f"line_search_mode must be None or 'exhaustive', got {line_search_mode!r}")
        self.params = list(params)
        self.objective = objective
        self.conjugate = conjugate
        self.tolerance = 1e-6 if line_search_mode == "exhaustive" else 0.1
        self.reset_alpha, self.reset_conjugate = reset_alpha, reset_conjugate
        self.init_alpha, self.min_init_alpha = float(init_alpha), float(min_init_alpha)
        self.scale_step = float(scale_step)
        self.max_line_search_iters = max_line_search_iters
        self.alpha = self.init_alpha
        self._prev_grad: list[torch.Tensor] | None = None
        self._prev_dir: list[torch.Tensor] | None = None

    # -- helpers on lists of tensors ---------------------------------------------------------
    def _value_and_grad(self) -> tuple[float, list[torch.Tensor]]:
        with torch.enable_grad():
            value = self.objective()
            grads = torch.autograd.grad(value, self.params, allow_unused=True)
        grads = [g if g is not None else torch.zeros_like(p) for p, g in zip(self.params, grads)]
        return float(value.detach()), grads

    @staticmethod
    def _dot(a: list[torch.Tensor], b: list[torch.Tensor]) -> float:
        return float(sum((x * y).sum() for x, y in zip(a, b)))

    def _move(self, direction: list[torch.Tensor], amount: float) -> None:
        with torch.no_grad():
            torch._foreach_add_(self.params, direction, alpha=amount)

    # -- the optimiser -------------------------------------------------------------------------
    def minimize(self, steps: int) -> list[StepStats]:
        """Take up to ``steps`` line-searched steps; returns per-step statistics."""
        if self.reset_conjugate:
            self._prev_grad = self._prev_dir = None
        if self.reset_alpha:
            self.alpha = self.init_alpha
        stats = []
        for _ in range(steps):
            value, grad = self._value_and_grad()
            grad_size = self._dot(grad, grad) ** 0.5
            if grad_size == 0.0:
                break
            direction = self._direction(grad)
            slope = self._dot(grad, direction)
            if slope >= 0:  # not a descent direction: restart with steepest descent
                direction = [-g for g in grad]
                self._prev_dir = None
                slope = -grad_size ** 2
            alpha = self._line_search(direction, value, slope)
            self._move(direction, alpha * (self.scale_step - 1.0))  # scale_step shrinks/grows
            taken = alpha * self.scale_step
            self._prev_grad, self._prev_dir = grad, direction
            if not self.reset_alpha:
                self.alpha = max(taken, self.min_init_alpha)
            dir_size = self._dot(direction, direction) ** 0.5
            stats.append(StepStats(taken * dir_size, grad_size, taken * dir_size / grad_size))
        return stats

    def _direction(self, grad: list[torch.Tensor]) -> list[torch.Tensor]:
        if not self.conjugate or self._prev_grad is None or self._prev_dir is None:
            return [-g for g in grad]
        diff = [g - p for g, p in zip(grad, self._prev_grad)]
        beta = max(0.0, self._dot(grad, diff) / max(self._dot(self._prev_grad, self._prev_grad),
                                                     1e-300))
        return [-g + beta * d for g, d in zip(grad, self._prev_dir)]

    def _line_search(self, direction: list[torch.Tensor], value0: float, slope0: float) -> float:
        """Move params to (approximately) the minimiser along ``direction``; return the step."""
        at = 0.0

        def go(alpha: float) -> tuple[float, float]:
            nonlocal at
            self._move(direction, alpha - at)
            at = alpha
            value, grad = self._value_and_grad()
            return value, self._dot(grad, direction)

        lo, slope_lo = 0.0, slope0
        hi = self.alpha if self.alpha > 0 else self.init_alpha
        value, slope = go(hi)
        for _ in range(60):  # expand until the minimum is bracketed
            if slope >= 0 or value > value0 + 1e-4 * hi * slope0 and value > value0:
                break
            lo, slope_lo = hi, slope
            hi *= 2.0
            value, slope = go(hi)
        slope_hi = slope
        for _ in range(self.max_line_search_iters):
            if abs(slope) <= self.tolerance * abs(slope0):
                break
            if slope_hi > slope_lo:
                trial = lo - slope_lo * (hi - lo) / (slope_hi - slope_lo)
            else:
                trial = 0.5 * (lo + hi)
            if not lo < trial < hi or min(trial - lo, hi - trial) < 1e-3 * (hi - lo):
                trial = 0.5 * (lo + hi)
            value, slope = go(trial)
            if slope < 0:
                lo, slope_lo = trial, slope
            else:
                hi, slope_hi = trial, slope
        if value > value0:  # never accept a worse point
            self._move(direction, -at)
            return 0.0
        return at
