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

from pylearn2.monitor import Monitor, model_dtype, to_device
from pylearn2.optimization.batch_gradient_descent import BatchGradientDescent
from pylearn2.space import CompositeSpace
from pylearn2.training_algorithms.sgd import seed_sequence
from pylearn2.training_algorithms.training_algorithm import (
    NoBatchSizeError,
    TrainingAlgorithm,
    resolve_device,
)
from pylearn2.utils.exc import ConfigError


class BGD(TrainingAlgorithm):
    """Batch gradient descent / nonlinear conjugate gradient over large batches."""

    def __init__(self, cost: Any = None, batch_size: int | None = None,
                 batches_per_iter: int | None = None, updates_per_batch: int = 10,
                 monitoring_batch_size: int | None = None, monitoring_batches: int | None = None,
                 monitoring_dataset: Any = None, termination_criterion: Any = None,
                 set_batch_size: bool = False, reset_alpha: bool = True, conjugate: bool = False,
                 min_init_alpha: float = 1e-3, reset_conjugate: bool = True,
                 line_search_mode: str | None = None, verbose_optimization: bool = False,
                 scale_step: float = 1.0, theano_function_mode: Any = None,
                 init_alpha: float | None = None, seed: Any = None, device: str | None = None) -> None:
        if line_search_mode not in (None, "exhaustive"):
            raise ConfigError(f"BGD line_search_mode must be null or 'exhaustive', got "
                              f"{line_search_mode!r}.")
        self.cost = cost
        self.batch_size = batch_size
        self.batches_per_iter = batches_per_iter
        self.updates_per_batch = int(updates_per_batch)
        self.monitoring_batch_size = monitoring_batch_size
        self.monitoring_batches = monitoring_batches
        self.monitoring_dataset = monitoring_dataset
        self.termination_criterion = termination_criterion
        self.set_batch_size = set_batch_size
        self.reset_alpha, self.reset_conjugate = reset_alpha, reset_conjugate
        self.conjugate = bool(conjugate)
        self.min_init_alpha = min_init_alpha
        self.line_search_mode = line_search_mode
        self.verbose_optimization = verbose_optimization
        self.scale_step = scale_step
        self.init_alpha = init_alpha
        self.seed = seed
        self.device = device
        self.batch_hooks: list = []

    def setup(self, model: Any, dataset: Any) -> None:
        self.model = model
        if self.cost is None:
            self.cost = model.get_default_cost()
        if self.cost.is_stochastic():
            raise ConfigError(f"BGD cannot use the stochastic cost {type(self.cost).__name__}: a "
                              "line search needs a deterministic objective. Use SGD instead.")
        self.batch_size = self.batch_size or getattr(model, "force_batch_size", None)
        if not self.batch_size:
            raise NoBatchSizeError()
        self.device_ = resolve_device(self.device)
        model.to(self.device_)
        self.dtype_ = model_dtype(model)
        self.params = model.get_params()
        self.data_specs = self.cost.get_data_specs(model)
        self._composite = isinstance(self.data_specs[0], CompositeSpace)
        self.rng = np.random.default_rng(seed_sequence(self.seed if self.seed is not None
                                                       else (2013, 3, 3)))
        self.monitor = Monitor.get_monitor(model)
        if self.monitoring_dataset is not None:
            self.monitor.setup(dataset=self.monitoring_dataset, cost=self.cost,
                               batch_size=self.monitoring_batch_size or self.batch_size,
                               num_batches=self.monitoring_batches)
        self._stats = {"ave_step_size": 0.0, "ave_grad_size": 0.0, "ave_grad_mult": 0.0}
        self.monitor.add_global_channels(lambda: dict(self._stats))
        self.optimizer = BatchGradientDescent(
            self.params, objective=lambda: torch.zeros(()), conjugate=self.conjugate,
            line_search_mode=self.line_search_mode, reset_alpha=self.reset_alpha,
            reset_conjugate=self.reset_conjugate,
            init_alpha=self.init_alpha or (1.0 if self.line_search_mode == "exhaustive" else 0.01),
            min_init_alpha=self.min_init_alpha, scale_step=self.scale_step,
        )

    def train(self, dataset: Any) -> None:
        iterator = dataset.iterator(mode="shuffled_sequential", batch_size=self.batch_size,
                                    num_batches=self.batches_per_iter, rng=self.rng,
                                    data_specs=self.data_specs, return_tuple=True)
        all_stats = []
        for batch in iterator:
            batch = to_device(batch, self.device_, self.dtype_)
            data = batch if self._composite else batch[0]
            self.optimizer.objective = lambda data=data: self.cost.expr(self.model, data)
            all_stats.extend(self.optimizer.minimize(self.updates_per_batch))
            if self.model.has_constraints():
                self.model.enforce_constraints()
            self.monitor.report_batch(batch[0].shape[0])
            for hook in self.batch_hooks:
                hook()
        if all_stats:
            self._stats = {
                "ave_step_size": float(np.mean([s.step_size for s in all_stats])),
                "ave_grad_size": float(np.mean([s.grad_size for s in all_stats])),
                "ave_grad_mult": float(np.mean([s.grad_mult for s in all_stats])),
            }

    def state_dict(self) -> dict[str, Any]:
        opt = self.optimizer
        return {"rng": self.rng.bit_generator.state, "alpha": opt.alpha,
                "prev_grad": opt._prev_grad, "prev_dir": opt._prev_dir,
                "stats": self._stats,
                "termination_criterion": getattr(self.termination_criterion, "state_dict",
                                                 lambda: None)()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.rng.bit_generator.state = state["rng"]
        self.optimizer.alpha = state["alpha"]
        self.optimizer._prev_grad = state["prev_grad"]
        self.optimizer._prev_dir = state["prev_dir"]
        self._stats = dict(state["stats"])
        if state.get("termination_criterion") is not None and self.termination_criterion:
            self.termination_criterion.load_state_dict(state["termination_criterion"])
