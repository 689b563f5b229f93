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

import torch

from pylearn2.costs.cost import Cost
from pylearn2.train_extensions.base import UpdateCallback, keyed_states, load_keyed_states
from pylearn2.train_extensions.polyak import PolyakAveraging
from pylearn2.training_algorithms.divergence import check_parameters, checked_max_norm
from pylearn2.training_algorithms.learning_rule import (
    LearningRule,
    Momentum,
    MomentumAdjustor,
    PlainSGD,
    apply_to_subset,
)
from pylearn2.training_algorithms.minibatch import MinibatchAlgorithm, seed_sequence
from pylearn2.training_algorithms.schedules import (
    AnnealedLearningRate,
    ExponentialDecay,
    LinearDecay,
    LinearDecayOverEpoch,
    MonitorBasedLRAdjuster,
    OneOverEpoch,
)
from pylearn2.training_algorithms.sgd_callbacks import EpochMonitor, PatienceBasedTermCrit  # noqa: F401
from pylearn2.utils import distributed
from pylearn2.utils.compiled import CompiledOrEager
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.threads import one_thread_for_small_steps

log = logging.getLogger(__name__)


class SGD(MinibatchAlgorithm):
    """Minibatch stochastic gradient descent with optional learning rule and callbacks.

    Parameters
    ----------
    learning_rate : float
        Step size (times each parameter's lr scaler); schedules may change it.
    cost : Cost, optional
        The objective; default: the model's ``get_default_cost()``.
    batch_size : int, optional
        Examples per update (per process under torchrun); default: the model's.
    monitoring_batch_size, monitoring_batches : int, optional
        How the monitor walks ``monitoring_dataset`` (default: the training batch size,
        every batch).
    monitoring_dataset : Dataset or dict of str to Dataset, optional
        Data the monitor evaluates; a dict key ``name`` prefixes channels ``name_``.
    monitor_iteration_mode : str
        Iteration scheme of the monitor (default ``'sequential'``).
    termination_criterion : TerminationCriterion, optional
        When to stop; None trains until the time budget or a stop request.
    update_callbacks : callable or list of callables, optional
        Called as ``cb(algorithm)`` after every update (e.g. ExponentialDecay); their
        state is saved under their class names.
    learning_rule : LearningRule, optional
        Momentum, AdaDelta, RMSProp, Adam, ...; default: plain SGD.
    set_batch_size : bool
        Resize a model with ``force_batch_size`` to ``batch_size`` instead of refusing.
    train_iteration_mode : str, optional
        Iteration scheme of the training data (default ``'shuffled_sequential'``).
    batches_per_iter : int, optional
        Batches per epoch (required for endless datasets).
    theano_function_mode : any
        Accepted for experiment files written for the original; ignored.
    monitoring_costs : dict of str to Cost, optional
        Extra costs recorded as channels ``<dataset>_<name>``.
    seed : int or list of int
        Seed of the training iterator's shuffling (its state is saved for exact resume).
    device : str, optional
        ``'cpu'``, ``'cuda'``, ``'cuda:N'``; default ``PYLEARN2_DEVICE`` or CUDA when present.
    init_momentum : float, optional
        Deprecated spelling of ``learning_rule: Momentum {init_momentum: ...}``.
    compile : bool
        Compile the cost's forward and its backward (the autodiff that gives the
        gradients) with ``torch.compile``; on CPU the compiled graphs run their float32
        matrix products through oneDNN. The learning rule's update stays eager (fused
        foreach kernels, memory-bound; compiling it would recompile at every change of
        the learning rate or momentum). The monitor's per-batch function (forward pass
        and every channel) is compiled too (see pylearn2.monitor_batches). A cost or model
        that cannot be compiled runs eager, with one log line saying why (see
        pylearn2.utils.compiled). Off by default.
    precision : str, optional
        ``'bf16'``: run the cost's forward under ``torch.autocast`` in bfloat16
        (parameters and updates stay in their own dtype); recorded in the monitor as
        the channel ``autocast_bf16``. Default None: the model's dtype throughout.
    max_param_norm : float, optional
        Opt-in divergence bound: after each epoch, a parameter whose L2 norm exceeds it
        stops training with a DivergenceError naming it (NaN/Inf is always checked).
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
        compile: bool = False,
        precision: str | None = None,
        max_param_norm: float | None = None,
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
        self._init_minibatch(cost, batch_size, batches_per_iter, monitoring_dataset,
                             monitoring_batch_size, monitoring_batches, termination_criterion,
                             set_batch_size, seed, device)
        self.learning_rate = float(learning_rate)
        self.monitor_iteration_mode = monitor_iteration_mode
        if update_callbacks is None:
            update_callbacks = []
        elif not isinstance(update_callbacks, (list, tuple)):
            update_callbacks = [update_callbacks]
        self.update_callbacks = list(update_callbacks)
        self.learning_rule = learning_rule
        self.train_iteration_mode = train_iteration_mode or "shuffled_sequential"
        self.monitoring_costs = monitoring_costs
        if precision not in (None, "bf16", "float32"):
            raise ConfigError(f"SGD precision must be 'bf16' or omitted (float32), got "
                              f"{precision!r}.")
        self.compile = bool(compile)
        self.precision = precision
        self.max_param_norm = checked_max_norm("SGD", max_param_norm)
        self._dataset_size: int | None = None

    # -- setup -------------------------------------------------------------------------
    def setup(self, model: Any, dataset: Any) -> None:
        self._setup_minibatch(model, dataset, self.train_iteration_mode, self.seed,
                              extra_costs=self.monitoring_costs, mode=self.monitor_iteration_mode)
        named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        if not named:
            raise ConfigError(f"{type(model).__name__} has no trainable parameters for SGD.")
        self.params = [p for _, p in named]
        self._named_params = named
        self._check_finite("before training")
        scalers = model.get_lr_scalers()
        self.lr_scalers = [float(scalers.get(p, 1.0)) for p in self.params]
        self.rule = self.learning_rule if self.learning_rule is not None else PlainSGD()
        self.rule.setup(named)
        self.monitor.add_global_channels(lambda: {"learning_rate": self.learning_rate})
        self.rule.add_channels_to_monitor(self.monitor, self.monitoring_dataset)
        self.monitor.compile = self.compile
        if self.device_.type == "cpu" and self.batch_size:
            one_thread_for_small_steps(self.params, self.batch_size)
        self._setup_forward()

    def _setup_forward(self) -> None:
        """The per-step forward, built once: the cost's expression (compiled when asked)
        for plain-autodiff costs, None for costs with their own gradients."""
        self._forward = None
        if self.precision == "bf16":
            self.monitor.add_global_channels(lambda: {"autocast_bf16": 1.0})
        custom = getattr(self.cost, "has_custom_gradients", None)  # duck-typed costs: as is
        if custom is None or custom():
            if self.compile:
                log.warning("compile: %s supplies its own gradients; running it eager.",
                            type(self.cost).__name__)
            return
        expr = self.cost.expr
        if self.compile:
            expr = CompiledOrEager(expr, f"{type(self.cost).__name__} on "
                                   f"{type(self.model).__name__}",
                                   cpu_matmuls=self.device_.type == "cpu")
        self._forward = expr

    def _gradients(self, data: Any) -> tuple[list, list[bool] | None, dict]:
        """Gradients for one batch, one per entry of the parameter list kept since setup
        (no walk of the module tree per step), which parameters the cost gave gradients
        for (None: all of them) and the cost's extra updates."""
        if self.precision == "bf16":
            with torch.autocast(self.device_.type, dtype=torch.bfloat16):
                return self._gradients_of(data)
        return self._gradients_of(data)

    def _gradients_of(self, data: Any) -> tuple[list, list[bool] | None, dict]:
        value = None if self._forward is None else self._forward(self.model, data)
        if value is None:  # a cost with its own gradients (or no expression: its message explains)
            grads, updates = self.cost.get_gradients(self.model, data)
            provided = [p in grads for p in self.params]
            return ([grads[p] if given else torch.zeros_like(p)
                     for p, given in zip(self.params, provided)],
                    None if all(provided) else provided, updates)
        self.cost.last_batch_value = value.detach()  # the progress bar's running objective
        grads = torch.autograd.grad(value, self.params, allow_unused=True)
        return [g if g is not None else torch.zeros_like(p)
                for p, g in zip(self.params, grads)], None, {}

    def _batch_extensions(self) -> list[Any]:
        return [UpdateCallback(cb) for cb in self.update_callbacks]

    # -- training ----------------------------------------------------------------------
    def train(self, dataset: Any) -> None:
        for data, total, local in self._batches(dataset, self.train_iteration_mode):
            self._update(data, total, local)
        epoch = self.monitor.get_epochs_seen() + 1  # report_epoch comes after train()
        self._check_finite(f"in epoch {epoch} (after {self.monitor.get_batches_seen()} "
                           "batches in all)")

    def train_step(self, batch: tuple) -> None:
        """One update from one batch (a tuple in the cost's data specs); under torchrun each
        process takes its slice of the batch and gradients are averaged across processes."""
        self._update(*self._prepare_batch(batch))

    def _update(self, data: Any, total: int, local: int) -> None:
        provided = None
        if local:
            grad_list, provided, updates = self._gradients(data)
        else:  # this process's slice of a short last batch is empty
            grad_list, updates = [torch.zeros_like(p) for p in self.params], {}
        with torch.no_grad():
            if distributed.world_size() > 1:
                distributed.average_gradients_(grad_list, local)
            if provided is None:
                self.rule.apply(self.params, grad_list, self.learning_rate, self.lr_scalers)
            else:  # a cost's gradients for some parameters: the others get no update at all
                apply_to_subset(self.rule, self.params, grad_list, self.learning_rate,
                                self.lr_scalers, provided)
            for target, value in updates.items():
                target.copy_(value)
        self._enforce_constraints()
        self._end_batch(total)

    def _check_finite(self, when: str) -> None:
        """NaN/Inf (and the opt-in norm bound) in the parameters: one host sync."""
        check_parameters(self.model, self._named_params, when, self.max_param_norm)

    # -- persistence -------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Learning rate, iterator RNG, learning-rule buffers, cost generators, the update
        callbacks (keyed by class name, see train_extensions.base.state_keys) and the
        termination criterion."""
        return {
            **self._minibatch_state(),
            "learning_rate": self.learning_rate,
            "learning_rule": self.rule.state_dict(),
            "cost": self.cost.state_dict(),
            "update_callbacks": keyed_states(self.update_callbacks),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._load_minibatch_state(state)
        self.learning_rate = float(state["learning_rate"])
        self.rule.load_state_dict(state["learning_rule"])
        self.cost.load_state_dict(state.get("cost", {}))
        load_keyed_states(self.update_callbacks, state.get("update_callbacks", {}),
                          "update_callbacks")


__all__: Sequence[str] = [
    "SGD", "seed_sequence", "ExponentialDecay", "LinearDecay", "AnnealedLearningRate", "OneOverEpoch",
    "LinearDecayOverEpoch", "MonitorBasedLRAdjuster", "MomentumAdjustor", "PolyakAveraging",
]
