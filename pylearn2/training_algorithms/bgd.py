"""Batch gradient descent (BGD): large batches, several line-searched steps per batch.

Each epoch iterates the dataset in large batches; on each batch the optimiser takes
``updates_per_batch`` steps of steepest descent or (``conjugate``) nonlinear conjugate
gradient with a line search. Costs must be deterministic: a line search on a noisy
objective is meaningless, so stochastic costs (e.g. Dropout) are refused.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from pylearn2.optimization.batch_gradient_descent import CONJUGATE_BETAS, BatchGradientDescent
from pylearn2.training_algorithms.bgd_steps import (  # noqa: F401 (original path)
    BacktrackingStepShrinker,
    ScaleStep,
    StepShrinker,
)
from pylearn2.training_algorithms.divergence import check_parameters, checked_max_norm
from pylearn2.training_algorithms.minibatch import MinibatchAlgorithm
from pylearn2.utils import distributed
from pylearn2.utils.exc import ConfigError


class BGD(MinibatchAlgorithm):
    """Batch gradient descent / nonlinear conjugate gradient over large batches.

    Every epoch visits the dataset in ``batch_size`` batches (``batches_per_iter`` of them
    when given) and spends ``updates_per_batch`` line-searched steps on each.
    ``line_search_mode``: null (a loose line search) or ``'exhaustive'`` (a tight one, as
    conjugate gradient wants). ``init_alpha`` is the first trial step (a list counts as
    its largest value; default 1 with ``'exhaustive'``, 0.1 otherwise); ``reset_alpha``
    and ``reset_conjugate`` restart the step size and the conjugate directions on every
    batch. ``conjugate_beta``: ``'polak_ribiere'`` (true conjugate gradient) or
    ``'previous_direction'`` (the classic Pylearn2 update, damped towards steepest
    descent; see pylearn2.optimization.batch_gradient_descent). ``scale_step`` multiplies
    every accepted step. Channels ``ave_step_size``, ``ave_grad_size`` and
    ``ave_grad_mult`` average the steps of the last epoch.

    Parameters
    ----------
    cost : Cost, optional
        A deterministic objective; default: the model's ``get_default_cost()``.
    batch_size : int, optional
        Examples per batch (per process under torchrun); default: the model's.
    batches_per_iter : int, optional
        Batches per epoch (required for endless datasets).
    updates_per_batch : int
        Line-searched steps on each batch.
    monitoring_batch_size, monitoring_batches, monitoring_dataset
        As for SGD.
    termination_criterion : TerminationCriterion, optional
        When to stop.
    set_batch_size : bool
        Resize a model with ``force_batch_size`` instead of refusing.
    reset_alpha, reset_conjugate : bool
        Restart the step size / the conjugate directions on every batch.
    conjugate : bool
        Nonlinear conjugate gradient instead of steepest descent.
    min_init_alpha : float
        Smallest first trial step.
    line_search_mode : str, optional
        None (loose) or ``'exhaustive'`` (tight).
    verbose_optimization : bool
        Log every line search.
    scale_step : float
        Multiplies every accepted step.
    theano_function_mode : any
        Accepted for the original's experiment files; ignored.
    init_alpha : float or list of float, optional
        First trial step (a list counts as its largest value).
    seed : int or list of int, optional
        Seed of the batch order (default (2013, 3, 3)).
    device : str, optional
        As for SGD.
    conjugate_beta : str
        ``'polak_ribiere'`` or ``'previous_direction'``.
    max_param_norm : float, optional
        Opt-in divergence bound: a parameter whose L2 norm exceeds it stops training with
        a DivergenceError naming it. NaN/Inf is always checked: before training and after
        each batch's line searches (so after every epoch too).
    """

    def __init__(self, cost: Any = None, batch_size: int | None = None,
                 batches_per_iter: int | None = None, updates_per_batch: int = 10,
                 monitoring_batch_size: int | None = None, monitoring_batches: int | None = None,
                 monitoring_dataset: Any = None, termination_criterion: Any = None,
                 set_batch_size: bool = False, reset_alpha: bool = True, conjugate: bool = False,
                 min_init_alpha: float = 1e-3, reset_conjugate: bool = True,
                 line_search_mode: str | None = None, verbose_optimization: bool = False,
                 scale_step: float = 1.0, theano_function_mode: Any = None,
                 init_alpha: Any = None, seed: Any = None, device: str | None = None,
                 conjugate_beta: str = "polak_ribiere",
                 max_param_norm: float | None = None) -> None:
        if line_search_mode not in (None, "exhaustive"):
            raise ConfigError(f"BGD line_search_mode must be null or 'exhaustive', got "
                              f"{line_search_mode!r}.")
        if conjugate_beta not in CONJUGATE_BETAS:
            raise ConfigError(f"BGD conjugate_beta must be one of {', '.join(CONJUGATE_BETAS)}, "
                              f"got {conjugate_beta!r}.")
        self._init_minibatch(cost, batch_size, batches_per_iter, monitoring_dataset,
                             monitoring_batch_size, monitoring_batches, termination_criterion,
                             set_batch_size, seed, device)
        if int(updates_per_batch) < 1:
            raise ConfigError(f"BGD updates_per_batch must be >= 1, got {updates_per_batch}.")
        alphas = init_alpha if isinstance(init_alpha, (list, tuple)) else [init_alpha]
        if init_alpha is not None and not all(float(a) > 0 for a in alphas):
            raise ConfigError(f"BGD init_alpha must be positive, got {init_alpha!r}.")
        self.updates_per_batch = int(updates_per_batch)
        self.reset_alpha, self.reset_conjugate = reset_alpha, reset_conjugate
        self.conjugate = bool(conjugate)
        self.conjugate_beta = conjugate_beta
        self.min_init_alpha = min_init_alpha
        self.line_search_mode = line_search_mode
        self.verbose_optimization = verbose_optimization
        self.scale_step = scale_step
        self.init_alpha = init_alpha
        self.max_param_norm = checked_max_norm("BGD", max_param_norm)

    def setup(self, model: Any, dataset: Any) -> None:
        cost = self.cost if self.cost is not None else model.get_default_cost()
        if cost.is_stochastic():
            raise ConfigError(f"BGD cannot use the stochastic cost {type(cost).__name__}: a "
                              "line search needs a deterministic objective. Use SGD instead.")
        self.mode = ("even_shuffled_sequential" if getattr(model, "force_batch_size", None)
                     else "shuffled_sequential")
        self._setup_minibatch(model, dataset, self.mode,
                              self.seed if self.seed is not None else (2013, 3, 3))
        self.params = [p for p in model.get_params() if p.requires_grad]
        trainable = {id(p) for p in self.params}
        self._named_params = [(n, p) for n, p in model.named_parameters() if id(p) in trainable]
        self._check_finite("before training")
        self._stats = {"ave_step_size": 0.0, "ave_grad_size": 0.0, "ave_grad_mult": 0.0}
        self.monitor.add_global_channels(lambda: dict(self._stats))
        default_alpha = 1.0 if self.line_search_mode == "exhaustive" else 0.1
        scalers = model.get_lr_scalers()  # W_lr_scale/b_lr_scale scale each parameter's step
        self.optimizer = BatchGradientDescent(
            self.params, objective=lambda: torch.zeros(()), conjugate=self.conjugate,
            conjugate_beta=self.conjugate_beta,
            line_search_mode=self.line_search_mode, reset_alpha=self.reset_alpha,
            reset_conjugate=self.reset_conjugate,
            init_alpha=self.init_alpha if self.init_alpha is not None else default_alpha,
            min_init_alpha=self.min_init_alpha, scale_step=self.scale_step,
            verbose=bool(self.verbose_optimization),
            lr_scalers=[float(scalers.get(p, 1.0)) for p in self.params],
            param_constrainers=[model.enforce_constraints] if model.has_constraints() else None,
        )

    def _closures(self, data: Any, count: int) -> tuple[Any, Any]:
        """(objective, value_and_grad) on this process's ``count`` examples of one batch;
        the latter for custom gradients and for an empty slice under torchrun."""
        def objective() -> torch.Tensor:
            value = self.cost.expr(self.model, data)
            if value is None:
                raise ConfigError(f"BGD needs the value of the cost for its line search, but "
                                  f"{type(self.cost).__name__}.expr() returns None; use SGD.")
            return value

        if count == 0:  # this process's slice of a short last batch is empty
            return objective, lambda: (0.0, [torch.zeros_like(p) for p in self.params])
        if not self.cost.has_custom_gradients():
            return objective, None

        def value_and_grad() -> tuple[float, list[torch.Tensor]]:
            with torch.enable_grad():
                grads, _ = self.cost.get_gradients(self.model, data)
            with torch.no_grad():
                value = float(objective())
            return value, [grads.get(p) for p in self.params]

        return objective, value_and_grad

    @staticmethod
    def _average_over_processes(count: int) -> Any:
        """``combine`` for the optimiser under torchrun: the value and gradients of the
        whole batch, averaged over processes weighted by slice size, so every process
        makes the same line search."""
        def combine(value: float, grads: list[torch.Tensor]) -> tuple[float, list[torch.Tensor]]:
            grads = [g.clone() for g in grads]
            holder = torch.tensor([value], dtype=grads[0].dtype, device=grads[0].device)
            distributed.average_gradients_(grads + [holder], count)
            return float(holder[0]), grads

        return combine

    def train(self, dataset: Any) -> None:
        """One epoch: ``updates_per_batch`` line-searched steps on each batch. Under
        torchrun each process holds ``batch_size`` examples of a ``world_size`` times
        larger batch."""
        parallel = distributed.world_size() > 1
        all_stats = []
        epoch = self.monitor.get_epochs_seen() + 1  # report_epoch comes after train()
        for batch, (data, total, count) in enumerate(self._batches(dataset, self.mode), 1):
            self.optimizer.objective, self.optimizer.value_and_grad = self._closures(data, count)
            self.optimizer.combine = self._average_over_processes(count) if parallel else None
            all_stats.extend(self.optimizer.minimize(self.updates_per_batch))
            self._enforce_constraints()
            self._check_finite(f"in epoch {epoch}, batch {batch} (after "
                               f"{self.monitor.get_batches_seen() + 1} batches in all), at the "
                               "result of its line search")
            self._end_batch(total)
        if all_stats:
            self._stats = {
                "ave_step_size": float(np.mean([s.step_size for s in all_stats])),
                "ave_grad_size": float(np.mean([s.grad_size for s in all_stats])),
                "ave_grad_mult": float(np.mean([s.grad_mult for s in all_stats])),
            }

    def _check_finite(self, when: str) -> None:
        """NaN/Inf (and the opt-in norm bound) in the parameters: one host sync."""
        check_parameters(self.model, self._named_params, when, self.max_param_norm)

    def state_dict(self) -> dict[str, Any]:
        """Iterator RNG, the optimiser's own state, the step statistics and the
        termination criterion."""
        return {**self._minibatch_state(), "optimizer": self.optimizer.state_dict(),
                "stats": self._stats}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._load_minibatch_state(state)
        if "optimizer" in state:
            self.optimizer.load_state_dict(state["optimizer"])
        else:  # a checkpoint written before the optimiser had a state_dict
            self.optimizer.load_state_dict({"alpha": state["alpha"], "prev_grad": state["prev_grad"],
                                            "prev_dir": state["prev_dir"],
                                            "prev_slope": state.get("prev_slope")})
        self._stats = dict(state["stats"])
