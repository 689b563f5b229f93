"""Stochastic gradient descent.

One epoch is one pass of the training iterator; each batch runs :meth:`SGD.train_step`:
gradients from the cost, the learning rule's in-place update, the model's constraints,
extra updates from the cost (e.g. persistent chains), then the update callbacks.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from pylearn2.costs.cost import Cost
from pylearn2.monitor import Monitor
from pylearn2.space import CompositeSpace
from pylearn2.train_extensions.polyak import PolyakAveraging
from pylearn2.training_algorithms.learning_rule import (
    LearningRule,
    Momentum,
    MomentumAdjustor,
    PlainSGD,
)
from pylearn2.training_algorithms.schedules import (
    AnnealedLearningRate,
    ExponentialDecay,
    LinearDecay,
    LinearDecayOverEpoch,
    MonitorBasedLRAdjuster,
    OneOverEpoch,
)
from pylearn2.training_algorithms.training_algorithm import (
    TrainingAlgorithm,
    reconcile_batch_size,
)
from pylearn2.utils import distributed
from pylearn2.utils.device import model_dtype, resolve_device, to_device
from pylearn2.utils.exc import ConfigError, DivergenceError

log = logging.getLogger(__name__)


class SGD(TrainingAlgorithm):
    """Minibatch stochastic gradient descent with optional learning rule and callbacks.

    ``monitoring_dataset`` is one dataset or a dict ``{name: dataset}`` (channel prefix
    ``name_``). ``update_callbacks`` (one object or a list) are called as ``cb(self)``
    after every minibatch. ``seed`` drives the training iterator's shuffling; its state
    persists across epochs and is saved for exact resume. ``monitoring_costs``
    ({name: Cost}) adds each cost's value as the channel ``<dataset>_<name>``.
    ``init_momentum`` is the deprecated spelling of ``learning_rule: Momentum``.
    """

    def __init__(
        self,
        learning_rate: float,
        cost: Cost | None = None,
        batch_size: int | None = None,
        monitoring_batch_size: int | None = None,
        monitoring_batches: int | None = None,
        monitoring_dataset: Any = None,
        monitor_iteration_mode: str = "sequential",
        termination_criterion: Any = None,
        update_callbacks: Any = None,
        learning_rule: LearningRule | None = None,
        set_batch_size: bool = False,
        train_iteration_mode: str | None = None,
        batches_per_iter: int | None = None,
        theano_function_mode: Any = None,
        monitoring_costs: dict[str, Cost] | None = None,
        seed: Any = (2012, 10, 5),
        device: str | None = None,
        init_momentum: float | None = None,
    ) -> None:
        if init_momentum is not None:
            if learning_rule is not None:
                raise ConfigError("SGD got both init_momentum and learning_rule; move the "
                                  "momentum into learning_rule: !obj:pylearn2.training_algorithms"
                                  ".learning_rule.Momentum {init_momentum: ...}.")
            warnings.warn("SGD(init_momentum=...) is deprecated; use learning_rule: "
                          "!obj:pylearn2.training_algorithms.learning_rule.Momentum "
                          "{init_momentum: ...}.", DeprecationWarning, stacklevel=2)
            learning_rule = Momentum(init_momentum)
        if isinstance(cost, (list, tuple)):
            raise ConfigError("SGD got a list of costs; combine them with "
                              "!obj:pylearn2.costs.cost.SumOfCosts {costs: [...]}.")
        if monitoring_dataset is None and (monitoring_batch_size or monitoring_batches):
            raise ConfigError("SGD: monitoring_batch_size/monitoring_batches given without a "
                              "monitoring_dataset.")
        self.learning_rate = float(learning_rate)
        self.cost = cost
        self.batch_size = batch_size
        self.monitoring_batch_size = monitoring_batch_size
        self.monitoring_batches = monitoring_batches
        self.monitoring_dataset = monitoring_dataset
        self.monitor_iteration_mode = monitor_iteration_mode
        self.termination_criterion = termination_criterion
        if update_callbacks is None:
            update_callbacks = []
        elif not isinstance(update_callbacks, (list, tuple)):
            update_callbacks = [update_callbacks]
        self.update_callbacks = list(update_callbacks)
        self.learning_rule = learning_rule
        self.set_batch_size = set_batch_size
        self.train_iteration_mode = train_iteration_mode or "shuffled_sequential"
        self.batches_per_iter = batches_per_iter
        self.monitoring_costs = monitoring_costs
        self.seed = seed
        self.device = device
        self.batch_hooks: list = []
        self._dataset_size: int | None = None

    # -- setup -------------------------------------------------------------------------
    def setup(self, model: Any, dataset: Any) -> None:
        self.model = model
        if self.cost is None:
            self.cost = model.get_default_cost()
        self.batch_size = reconcile_batch_size("SGD", model, dataset, self.batch_size,
                                               self.set_batch_size, self.train_iteration_mode)
        self._dataset_size = dataset.get_num_examples()
        if self._dataset_size is None and self.batches_per_iter is None:
            raise ConfigError("The training dataset is an endless stream, so an epoch has no "
                              "natural end: set batches_per_iter (batches per epoch) on SGD.")
        self.device_ = resolve_device(self.device)
        distributed.init_from_env(self.device_)
        model.to(self.device_)
        self.dtype_ = model_dtype(model)
        named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        if not named:
            raise ConfigError(f"{type(model).__name__} has no trainable parameters for SGD.")
        self.params = [p for _, p in named]
        self._check_finite("before training")
        scalers = model.get_lr_scalers()
        self.lr_scalers = [float(scalers.get(p, 1.0)) for p in self.params]
        self.rule = self.learning_rule if self.learning_rule is not None else PlainSGD()
        self.rule.setup(named)
        self.data_specs = self.cost.get_data_specs(model)
        self._composite = isinstance(self.data_specs[0], CompositeSpace)
        self._constrained = model.has_constraints()
        self.rng = np.random.default_rng(seed_sequence(self.seed))
        self.monitor = Monitor.get_monitor(model)
        if self.monitoring_dataset is not None:
            self.monitor.setup(
                dataset=self.monitoring_dataset, cost=self.cost,
                batch_size=self.monitoring_batch_size or self.batch_size,
                num_batches=self.monitoring_batches, extra_costs=self.monitoring_costs,
                mode=self.monitor_iteration_mode,
            )
        self.monitor.add_global_channels(lambda: {"learning_rate": self.learning_rate})
        self.rule.add_channels_to_monitor(self.monitor, self.monitoring_dataset)

    # -- training ----------------------------------------------------------------------
    def train(self, dataset: Any) -> None:
        self._dataset_size = dataset.get_num_examples()
        iterator = dataset.iterator(
            mode=self.train_iteration_mode, batch_size=self.batch_size * distributed.world_size(),
            num_batches=self.batches_per_iter, rng=self.rng, data_specs=self.data_specs,
            return_tuple=True,
        )
        for batch in iterator:
            self.train_step(batch)
        self._check_finite("after an epoch")

    def batches_per_epoch(self) -> int | None:
        """How many batches one call of :meth:`train` makes (None when unknown)."""
        n = self._dataset_size
        if self.batches_per_iter is not None:
            return self.batches_per_iter
        if n is None or not self.batch_size:
            return None
        return -(-n // self.batch_size)

    def train_step(self, batch: tuple) -> None:
        """One update from one batch (a tuple in the cost's data specs); under torchrun each
        process takes its slice of the batch and gradients are averaged across processes."""
        parallel = distributed.world_size() > 1
        count = batch[0].shape[0]
        if parallel:
            batch = distributed.local_part(batch, count)
        batch = to_device(batch, self.device_, self.dtype_)
        data = batch if self._composite else batch[0]
        if batch[0].shape[0]:
            grads, updates = self.cost.get_gradients(self.model, data)
            grad_list = [grads[p] for p in self.params]
        else:  # this process's slice of a short last batch is empty
            grad_list, updates = [torch.zeros_like(p) for p in self.params], {}
        with torch.no_grad():
            if parallel:
                distributed.average_gradients_(grad_list, batch[0].shape[0])
            self.rule.apply(self.params, grad_list, self.learning_rate, self.lr_scalers)
            for target, value in updates.items():
                target.copy_(value)
            if self._constrained:
                self.model.enforce_constraints()
        self.monitor.report_batch(count)
        for callback in self.update_callbacks:
            callback(self)
        for hook in self.batch_hooks:
            hook()

    def _check_finite(self, when: str) -> None:
        finite = torch.stack([p.detach().isfinite().all() for p in self.params]).all()
        if not bool(finite):
            raise DivergenceError(
                f"NaN or Inf in the parameters {when}; lower the learning rate or check the data "
                "(the last saved model and checkpoint are intact)."
            )

    # -- persistence -------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "learning_rate": self.learning_rate,
            "rng": self.rng.bit_generator.state,
            "learning_rule": self.rule.state_dict(),
            "cost": self.cost.state_dict(),
            "update_callbacks": [_state_of(cb) for cb in self.update_callbacks],
            "termination_criterion": _state_of(self.termination_criterion),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.learning_rate = float(state["learning_rate"])
        self.rng.bit_generator.state = state["rng"]
        self.rule.load_state_dict(state["learning_rule"])
        self.cost.load_state_dict(state.get("cost", {}))
        for cb, cb_state in zip(self.update_callbacks, state.get("update_callbacks", [])):
            _load_state_of(cb, cb_state)
        _load_state_of(self.termination_criterion, state.get("termination_criterion"))


def seed_sequence(seed: Any) -> list[int] | None:
    """An int or list of ints as a list for numpy's default_rng (None: fresh entropy)."""
    return None if seed is None else [int(s) for s in np.atleast_1d(seed)]


def _state_of(obj: Any) -> Any:
    return obj.state_dict() if hasattr(obj, "state_dict") else None


def _load_state_of(obj: Any, state: Any) -> None:
    if state is not None and hasattr(obj, "load_state_dict"):
        obj.load_state_dict(state)


__all__: Sequence[str] = [
    "SGD", "ExponentialDecay", "LinearDecay", "AnnealedLearningRate", "OneOverEpoch",
    "LinearDecayOverEpoch", "MonitorBasedLRAdjuster", "MomentumAdjustor", "PolyakAveraging",
]
