"""Batch gradient descent and nonlinear conjugate gradient with a line search.

The objective ``f(params)`` is evaluated on a fixed batch. Each step picks a direction
(steepest descent, or Polak-Ribiere conjugate gradient with automatic restarts) and
moves along it to the point where the directional derivative vanishes: a bracketing
line search refined by cubic interpolation of the values and slopes at the bracket's
ends (the secant on the slopes when the cubic fails), safeguarded by bisection. On a
quadratic the first interpolation is exact, so conjugate gradient converges in at most
n steps.

Two formulas for the conjugate direction ``d = -g + beta * d_prev`` are offered:

- ``'polak_ribiere'`` (default): ``beta = max(0, g.(g - g_prev) / |g_prev|^2)``, true
  conjugate gradient on a quadratic with exact line searches;
- ``'previous_direction'``: ``beta = max(0, g.(g + d_prev) / |d_prev|^2)``, the update of
  the classic Pylearn2 BGD, which measures the new gradient against the previous search
  direction. Since ``|d_prev| >= |g_prev|`` it damps the conjugate term towards steepest
  descent; it is not conjugate on a quadratic, but on minibatch objectives (BGD over
  10,000-example batches) it follows a smoother path than full conjugacy, which jumps
  towards each batch's own minimum.

The gradient at the accepted point of one line search is the gradient the next step
starts from, so a step that needs k trial points costs k gradient evaluations.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from pylearn2.utils.exc import ConfigError

log = logging.getLogger(__name__)

CONJUGATE_BETAS = ("polak_ribiere", "previous_direction")
Closure = Callable[[], torch.Tensor]
ValueAndGrad = Callable[[], tuple[float, list[torch.Tensor]]]
Combine = Callable[[float, list[torch.Tensor]], tuple[float, list[torch.Tensor]]]


@dataclass
class StepStats:
    """One line-searched step: its length, the gradient's norm, and their ratio."""

    step_size: float
    grad_size: float
    grad_mult: float
    evaluations: int = 0


class BatchGradientDescent:
    """Minimise ``objective()`` (a closure over ``params``) by line-searched descent.

    ``line_search_mode``: None searches to a loose tolerance (directional derivative
    reduced 10x), ``'exhaustive'`` to a tight one (reduced 100x, or until the bracket
    is as narrow as the arithmetic allows). ``conjugate`` turns on nonlinear CG;
    ``reset_conjugate`` restarts it at every :meth:`minimize` call; ``conjugate_beta``
    picks the formula (see the module docstring). ``init_alpha`` is the
    first trial step along the first direction of a call (a sequence counts as its
    largest element); later steps start from the previous step scaled by the ratio of
    directional derivatives, never below ``min_init_alpha``. With ``reset_alpha`` False
    the step carries over to the next call. ``scale_step`` multiplies every accepted
    step. ``value_and_grad`` replaces autodiff of ``objective`` (for costs that supply
    their own gradients); it returns the value and one gradient per parameter.
    ``combine(value, grads)``, when set, post-processes every evaluation (BGD uses it to
    average over processes under torchrun). ``lr_scalers`` (one per parameter) scale each
    parameter's move along the search direction, and ``param_constrainers`` (callables
    that project the parameters in place) run at every point the line search tries, as
    in the original.

    The original's remaining arguments: ``inputs`` (names, or a count, of the values
    ``minimize(*values)`` passes on to ``objective(*values)``); ``max_iter`` (steps when
    ``minimize`` is given none; -1 runs until converged); ``tol`` (stop once a step moves
    the parameters less than this; default 1e-6 in float32, 3e-7 in float64);
    ``gradients`` (a dict parameter -> callable returning its gradient at the current
    point, used instead of autodiff for those parameters); ``gradient_updates`` (a dict
    tensor -> callable giving its new value, or a callable, run each time the gradient is
    computed); ``accumulate`` (``minimize(*batches)``, each batch a sequence of input
    values: the objective and gradients are the batch-size-weighted mean over the
    batches). ``theano_function_mode`` only chose how the original compiled its
    functions; it is accepted and has no effect (logged once).
    """

    def __init__(self, params: Sequence[torch.Tensor], objective: Closure,
                 conjugate: bool = False, line_search_mode: str | None = None,
                 conjugate_beta: str = "polak_ribiere",
                 reset_alpha: bool = True, reset_conjugate: bool = True,
                 init_alpha: float | Sequence[float] = 1.0, min_init_alpha: float = 1e-3,
                 scale_step: float = 1.0, max_line_search_iters: int = 30,
                 value_and_grad: ValueAndGrad | None = None, verbose: bool = False,
                 combine: Combine | None = None, lr_scalers: Sequence[float] | None = None,
                 param_constrainers: Sequence[Any] | None = None, inputs: Any = None,
                 max_iter: int = -1, tol: float | None = None,
                 gradients: dict[Any, Callable[..., torch.Tensor]] | None = None,
                 gradient_updates: Any = None, accumulate: bool = False,
                 theano_function_mode: Any = None) -> None:
        if line_search_mode not in (None, "exhaustive"):
            raise ConfigError(f"line_search_mode must be None or 'exhaustive', got "
                              f"{line_search_mode!r}.")
        if conjugate_beta not in CONJUGATE_BETAS:
            raise ConfigError(f"conjugate_beta must be one of {', '.join(CONJUGATE_BETAS)}, got "
                              f"{conjugate_beta!r}.")
        self.conjugate_beta = conjugate_beta
        self.params = list(params)
        self.lr_scalers = None if lr_scalers is None or all(float(s) == 1.0 for s in lr_scalers) \
            else [float(s) for s in lr_scalers]
        if self.lr_scalers is not None and len(self.lr_scalers) != len(self.params):
            raise ConfigError(f"lr_scalers has {len(self.lr_scalers)} entries for "
                              f"{len(self.params)} parameters.")
        self.param_constrainers = list(param_constrainers or [])
        self.objective = objective
        self.value_and_grad = value_and_grad
        self.combine = combine
        self.conjugate = conjugate
        self.tolerance = 1e-2 if line_search_mode == "exhaustive" else 0.1
        self.reset_alpha, self.reset_conjugate = reset_alpha, reset_conjugate
        if isinstance(init_alpha, (list, tuple)):
            init_alpha = max(float(a) for a in init_alpha)
        if not init_alpha > 0:
            raise ConfigError(f"init_alpha must be positive, got {init_alpha}.")
        self.init_alpha, self.min_init_alpha = float(init_alpha), float(min_init_alpha)
        self.scale_step = float(scale_step)
        self.max_line_search_iters = int(max_line_search_iters)
        self.verbose = verbose
        self.alpha = self.init_alpha
        self.inputs, self.accumulate = inputs, bool(accumulate)
        if self.accumulate and inputs is None:
            raise ConfigError("accumulate=True averages over batches of inputs: give inputs.")
        self.max_iter = int(max_iter)
        if self.max_iter == 0 or self.max_iter < -1:
            raise ConfigError(f"max_iter must be -1 (until converged) or positive, got {max_iter}.")
        if tol is None:
            tol = 1e-6 if all(p.dtype != torch.float64 for p in self.params) else 3e-7
        self.tol = float(tol)
        self.gradients = dict(gradients or {})
        unknown = [k for k in self.gradients if not any(k is p for p in self.params)]
        if unknown:
            raise ConfigError(f"gradients has {len(unknown)} keys that are not among params.")
        self.gradient_updates = gradient_updates
        self.theano_function_mode = theano_function_mode
        if theano_function_mode is not None:
            log.info("BatchGradientDescent: theano_function_mode=%r has no effect here (it "
                     "chose how the original compiled its functions).", theano_function_mode)
        self._values: tuple = ()
        self._prev_grad: list[torch.Tensor] | None = None
        self._prev_dir: list[torch.Tensor] | None = None
        self._prev_slope: float | None = None
        self._cache: tuple[float, list[torch.Tensor]] | None = None
        self.evaluations = 0

    def state_dict(self) -> dict[str, Any]:
        """The step size and the previous gradient, direction and slope (what conjugate
        gradient and a carried-over step size need to continue exactly)."""
        return {"alpha": self.alpha, "prev_grad": self._prev_grad, "prev_dir": self._prev_dir,
                "prev_slope": self._prev_slope}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.alpha = state["alpha"]
        self._prev_grad = state["prev_grad"]
        self._prev_dir = state["prev_dir"]
        self._prev_slope = state.get("prev_slope")

    # -- helpers on lists of tensors ---------------------------------------------------------
    def _value_and_grad(self) -> tuple[float, list[torch.Tensor]]:
        self.evaluations += 1
        pending = self._pending_gradient_updates()
        if self.accumulate:
            sizes = [len(batch[0]) for batch in self._values]
            total = float(sum(sizes))
            value, grads = 0.0, [torch.zeros_like(p) for p in self.params]
            for batch, size in zip(self._values, sizes):
                v, g = self._evaluate(tuple(batch))
                value += v * size / total
                grads = [a + b * (size / total) for a, b in zip(grads, g)]
        else:
            value, grads = self._evaluate(self._values)
        self._apply_gradient_updates(pending)
        return self.combine(value, grads) if self.combine is not None else (value, grads)

    def _evaluate(self, values: tuple) -> tuple[float, list[torch.Tensor]]:
        """Objective and gradients at the current point, for one set of input values."""
        if self.value_and_grad is not None:
            value, grads = self.value_and_grad(*values)
        else:
            autodiff = [p for p in self.params if not any(p is k for k in self.gradients)]
            with torch.enable_grad():
                out = self.objective(*values)
                found = iter(torch.autograd.grad(out, autodiff, allow_unused=True)
                             if autodiff else ())
            value = float(out.detach())
            grads = [self._given_gradient(p, values) if any(p is k for k in self.gradients)
                     else next(found) for p in self.params]
        grads = [g.detach() if g is not None else torch.zeros_like(p)
                 for p, g in zip(self.params, grads)]
        return value, grads

    def _given_gradient(self, param: torch.Tensor, values: tuple) -> torch.Tensor:
        (fn,) = [f for k, f in self.gradients.items() if k is param]
        with torch.no_grad():
            return torch.as_tensor(fn(*values), dtype=param.dtype, device=param.device)

    def _pending_gradient_updates(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """The new values of ``gradient_updates``, computed from the point before any is
        applied (the original ran them together with the gradient)."""
        updates = self.gradient_updates
        if updates is None or callable(updates):
            return []
        with torch.no_grad():
            return [(target, torch.as_tensor(fn())) for target, fn in updates.items()]

    def _apply_gradient_updates(self, pending: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
        if callable(self.gradient_updates):
            self.gradient_updates()
        with torch.no_grad():
            for target, value in pending:
                target.copy_(value)

    @staticmethod
    def _dot(a: list[torch.Tensor], b: list[torch.Tensor]) -> float:
        return float(torch.stack([(x * y).sum() for x, y in zip(a, b)]).sum())

    def _move(self, direction: list[torch.Tensor], amount: float) -> None:
        if amount:
            with torch.no_grad():
                torch._foreach_add_(self.params, direction, alpha=amount)
            self._constrain()

    def _constrain(self) -> None:
        """Project the parameters back into their constraints (the original applied its
        ``param_constrainers`` at every point the line search tried)."""
        if self.param_constrainers:
            with torch.no_grad():
                for constrain in self.param_constrainers:
                    constrain()

    def _scaled(self, direction: list[torch.Tensor]) -> list[torch.Tensor]:
        """The direction each parameter actually moves along: times its lr scaler."""
        if self.lr_scalers is None:
            return direction
        return [s * d for s, d in zip(self.lr_scalers, direction)]

    def _set(self, origin: list[torch.Tensor], direction: list[torch.Tensor],
             alpha: float) -> None:
        """params = origin + alpha * direction (exactly origin when alpha is 0)."""
        with torch.no_grad():
            torch._foreach_copy_(self.params, origin)
            if alpha:
                torch._foreach_add_(self.params, direction, alpha=alpha)
        if alpha:
            self._constrain()

    # -- the optimiser -------------------------------------------------------------------------
    def minimize(self, *args: Any, steps: int | None = None) -> list[StepStats]:
        """Take up to ``steps`` line-searched steps (default ``max_iter``); returns
        per-step statistics. With ``inputs`` the positional arguments are the input values
        (with ``accumulate``, batches of them); without, the one positional argument may be
        ``steps``."""
        if self.inputs is None:
            if len(args) > 1:
                raise ConfigError("minimize takes at most one positional argument (steps) "
                                  "when the optimiser has no inputs.")
            if args:
                steps = int(args[0])
            self._values = ()
        else:
            expected = self.inputs if isinstance(self.inputs, int) else len(self.inputs)
            if not self.accumulate and len(args) != expected:
                raise ConfigError(f"minimize needs {expected} input values, got {len(args)}.")
            if self.accumulate and not args:
                raise ConfigError("accumulate=True: minimize needs at least one batch.")
            self._values = tuple(args)
        if steps is None:
            steps = self.max_iter
        self._cache = None  # the objective (its batch) may have changed since the last call
        if self.reset_conjugate:
            self._prev_grad = self._prev_dir = self._prev_slope = None
        if self.reset_alpha:
            self.alpha = self.init_alpha
            self._prev_slope = None
        stats: list[StepStats] = []
        iteration = 0
        while iteration != steps:  # steps -1: until one of the convergence tests breaks
            iteration += 1
            before = self.evaluations
            value, grad = self._cache if self._cache is not None else self._value_and_grad()
            self._cache = None
            grad_size = self._dot(grad, grad) ** 0.5
            if grad_size == 0.0 or not math.isfinite(value):
                break
            direction, steepest = self._direction(grad)
            slope = self._dot(grad, direction)
            moves = self._scaled(direction)
            if moves is not direction:
                slope = self._dot(grad, moves)
            if slope >= 0:  # not a descent direction: restart with steepest descent
                direction, steepest = [-g for g in grad], True
                moves = self._scaled(direction)
                slope = self._dot(grad, moves)
            if self._prev_slope is not None:  # expect a step of similar effect to the last
                self.alpha = max(self.alpha * self._prev_slope / slope, self.min_init_alpha)
            alpha = self._line_search(moves, value, slope)
            if alpha == 0.0:  # no decrease found along this direction; params unchanged
                self._cache = (value, grad)
                self._prev_grad = self._prev_dir = self._prev_slope = None
                if steepest:
                    break  # not even steepest descent decreases f: converged to precision
                continue
            if self.scale_step != 1.0:
                self._move(moves, alpha * (self.scale_step - 1.0))
                self._cache = None
            taken = alpha * self.scale_step
            self._prev_grad, self._prev_dir, self._prev_slope = grad, direction, slope
            self.alpha = max(taken, self.min_init_alpha)
            dir_size = self._dot(moves, moves) ** 0.5
            stats.append(StepStats(taken * dir_size, grad_size, taken * dir_size / grad_size,
                                   self.evaluations - before))
            if self.verbose:
                log.info("BGD step: objective %.8g, step %.4g, |grad| %.4g, %d evaluations",
                         value, taken * dir_size, grad_size, self.evaluations - before)
            if taken * dir_size < self.tol:
                break  # the steps have become smaller than tol: converged
        return stats

    def _direction(self, grad: list[torch.Tensor]) -> tuple[list[torch.Tensor], bool]:
        """The search direction and whether it is plain steepest descent."""
        if not self.conjugate or self._prev_grad is None or self._prev_dir is None:
            return [-g for g in grad], True
        if self.conjugate_beta == "previous_direction":
            against = [-d for d in self._prev_dir]
        else:
            against = self._prev_grad
        diff = [g - a for g, a in zip(grad, against)]
        beta = max(0.0, self._dot(grad, diff) / max(self._dot(against, against), 1e-300))
        return [-g + beta * d for g, d in zip(grad, self._prev_dir)], beta == 0.0

    def _line_search(self, direction: list[torch.Tensor], value0: float, slope0: float) -> float:
        """Move params to (approximately) the minimiser along ``direction``; return the step.

        The parameters end at the returned step; the value and gradient there are cached
        for the next step. A step that does not decrease the objective is undone (0) and
        leaves the parameters exactly as they were.
        """
        origin = [p.detach().clone() for p in self.params]
        last: tuple[float, list[torch.Tensor]] | None = None

        def go(alpha: float) -> tuple[float, float]:
            nonlocal last
            self._set(origin, direction, alpha)
            value, grad = self._value_and_grad()
            slope = self._dot(grad, direction)
            last = (value, grad)
            if not (math.isfinite(value) and math.isfinite(slope)):
                return math.inf, math.inf  # overshot into overflow: treat as far too far
            return value, slope

        lo, value_lo, slope_lo = 0.0, value0, slope0
        hi = at = self.alpha
        value, slope = go(hi)
        for _ in range(60):  # expand until the minimum is bracketed
            if slope >= 0 or value > value0 or value >= value_lo:
                break  # bracketed, or no more progress (e.g. a constraint holds the point)
            lo, value_lo, slope_lo = hi, value, slope
            hi = at = 2.0 * hi
            value, slope = go(hi)
        value_hi, slope_hi = value, slope
        kept_lo = kept_hi = 0  # how often in a row each end survived (to stop stagnation)
        for _ in range(self.max_line_search_iters):
            if abs(slope) <= self.tolerance * abs(slope0) and value <= value0:
                break
            width = hi - lo
            if width <= 1e-7 * hi:  # the bracket cannot shrink further in floating point
                break
            trial = _interpolate(lo, value_lo, slope_lo, hi, value_hi, slope_hi)
            if trial is None or max(kept_lo, kept_hi) >= 2 or \
                    not lo + 0.01 * width <= trial <= hi - 0.01 * width:
                trial = 0.5 * (lo + hi)
            at = trial
            value, slope = go(trial)
            if slope < 0 and value <= value_lo:
                lo, value_lo, slope_lo = trial, value, slope
                kept_hi, kept_lo = kept_hi + 1, 0
            else:
                hi, value_hi, slope_hi = trial, value, slope
                kept_lo, kept_hi = kept_lo + 1, 0
        if value > value_lo:  # the last trial is worse than the low end of the bracket
            if lo == 0.0:
                self._set(origin, direction, 0.0)
                return 0.0
            at = lo
            value, _ = go(lo)
        if not value <= value0:  # never accept a worse point
            self._set(origin, direction, 0.0)
            return 0.0
        self._cache = last
        return at


def _interpolate(a: float, fa: float, ga: float, b: float, fb: float, gb: float) -> float | None:
    """Minimiser of the cubic through values and slopes at a < b (exact on a quadratic);
    the secant on the slopes when the cubic is unusable; None when neither works."""
    if not all(math.isfinite(v) for v in (fa, ga, fb, gb)):
        return None
    d1 = ga + gb - 3.0 * (fa - fb) / (a - b)
    disc = d1 * d1 - ga * gb
    if disc >= 0.0:
        d2 = math.sqrt(disc)
        denom = gb - ga + 2.0 * d2
        if denom != 0.0:
            return b - (b - a) * (gb + d2 - d1) / denom
    if gb > ga:
        return a - ga * (b - a) / (gb - ga)
    return None
