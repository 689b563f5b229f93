"""What SGD and BGD share: argument checks, set-up and the batch loop, written once.

A :class:`MinibatchAlgorithm` places the model on its device, works out the batch size,
draws batches in the cost's data specs from a seeded iterator whose state persists across
epochs, sets up the monitor, and after every update counts the batch and runs the
extensions' ``on_batch_end`` (Train attaches its extensions with
:meth:`~pylearn2.training_algorithms.training_algorithm.TrainingAlgorithm.attach_extensions`).
Subclasses implement the update itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from pylearn2.monitor import Monitor
from pylearn2.space import CompositeSpace
from pylearn2.train_extensions.base import ExtensionHooks
from pylearn2.training_algorithms.resident_data import (
    BatchPrefetcher,
    ResidentData,
    prefetch_wanted,
)
from pylearn2.training_algorithms.training_algorithm import TrainingAlgorithm, reconcile_batch_size
from pylearn2.utils import distributed
from pylearn2.utils.device import model_dtype, resolve_device, to_device
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.protocols import DatasetLike, ModelLike


def seed_sequence(seed: Any) -> list[int] | None:
    """An int or list of ints as a list for numpy's default_rng (None: fresh entropy)."""
    return None if seed is None else [int(s) for s in np.atleast_1d(seed)]


class MinibatchAlgorithm(TrainingAlgorithm):
    """Base of the algorithms that train on batches drawn from the dataset's iterator.

    Subclasses pass the shared arguments to :meth:`_init_minibatch` in ``__init__`` and
    call :meth:`_setup_minibatch` from
    ``setup``; in ``train`` they loop over :meth:`_batches` and call :meth:`_end_batch`
    after each update.
    """

    cost: Any  # a CostLike once set up (None before: the model default)
    batch_size: int | None
    batches_per_iter: int | None
    monitoring_dataset: Any
    monitoring_batch_size: int | None
    monitoring_batches: int | None
    set_batch_size: bool
    device: str | None

    def _init_minibatch(self, cost: Any, batch_size: int | None, batches_per_iter: int | None,
                        monitoring_dataset: Any, monitoring_batch_size: int | None,
                        monitoring_batches: int | None, termination_criterion: Any,
                        set_batch_size: bool, seed: Any, device: str | None) -> None:
        """Check and store the arguments both algorithms take."""
        self._check_arguments(cost, monitoring_dataset, monitoring_batch_size, monitoring_batches)
        self.cost = cost
        self.batch_size = batch_size
        self.batches_per_iter = batches_per_iter
        self.monitoring_dataset = monitoring_dataset
        self.monitoring_batch_size = monitoring_batch_size
        self.monitoring_batches = monitoring_batches
        self.termination_criterion = termination_criterion
        self.set_batch_size = set_batch_size
        self.seed = seed
        self.device = device

    def _check_arguments(self, cost: Any, monitoring_dataset: Any,
                         monitoring_batch_size: int | None,
                         monitoring_batches: int | None) -> None:
        """Refuse the argument mistakes both algorithms can be given."""
        name = type(self).__name__
        if isinstance(cost, (list, tuple)):
            raise ConfigError(f"{name} got a list of costs; combine them with "
                              "!obj:pylearn2.costs.cost.SumOfCosts {costs: [...]}.")
        if monitoring_dataset is None and (monitoring_batch_size or monitoring_batches):
            raise ConfigError(f"{name}: monitoring_batch_size/monitoring_batches given without a "
                              "monitoring_dataset.")

    def _setup_minibatch(self, model: ModelLike, dataset: DatasetLike, train_mode: str, seed: Any,
                         **monitor_options: Any) -> None:
        """Model, cost, batch size, device, data specs, iterator RNG and monitor."""
        name = type(self).__name__
        self.model = model
        if self.cost is None:
            self.cost = model.get_default_cost()
        self.batch_size = reconcile_batch_size(name, model, dataset, self.batch_size,
                                               self.set_batch_size, train_mode)
        self._dataset_size = dataset.get_num_examples()
        if self._dataset_size is None and self.batches_per_iter is None:
            raise ConfigError("The training dataset is an endless stream, so an epoch has no "
                              f"natural end: set batches_per_iter (batches per epoch) on {name}.")
        self.device_ = resolve_device(self.device)
        distributed.init_from_env(self.device_)
        model.to(self.device_)
        self.dtype_ = model_dtype(model)
        self.data_specs = self.cost.get_data_specs(model)
        self._composite = isinstance(self.data_specs[0], CompositeSpace)
        self._constrained = model.has_constraints()
        targets = getattr(model, "constraint_targets", None)  # found once, see Model
        self._constraint_targets = (targets() if targets else [model]) if self._constrained else []
        self._extension_owners = _extension_owners(model)  # layers first, the model last
        self.rng = np.random.default_rng(seed_sequence(seed))
        self.monitor = Monitor.get_monitor(model)
        if self.monitoring_dataset is not None:
            self.monitor.setup(dataset=self.monitoring_dataset, cost=self.cost,
                               batch_size=self._monitoring_batch_size(),
                               num_batches=self.monitoring_batches, **monitor_options)
        self._start_epoch()  # so train_step works on its own too

    def _monitoring_batch_size(self) -> int | None:
        """``monitoring_batch_size``; with only ``monitoring_batches`` none, so the whole
        monitoring set is split into that many batches (as the original did); with
        neither, the training batch size."""
        if self.monitoring_batch_size is not None:
            return self.monitoring_batch_size
        return None if self.monitoring_batches is not None else self.batch_size

    def _batch_extensions(self) -> list[Any]:
        """Extensions of the algorithm's own that run after every update (none here)."""
        return []

    def _start_epoch(self) -> ExtensionHooks:
        attached = self.extension_hooks
        self._hooks = ExtensionHooks([*self._batch_extensions(), *attached.extensions],
                                     **{**attached.context, "algorithm": self,
                                        "model": self.model})
        return self._hooks

    def _batches(self, dataset: DatasetLike, mode: str) -> Iterator[tuple[Any, int, int]]:
        """One epoch of ``(data, examples in the global batch, examples on this process)``:
        the batch on the model's device and dtype, a tuple when the specs are composite.
        Under torchrun every process draws the same global batch of ``world_size`` times
        ``batch_size`` examples and keeps its slice."""
        self._start_epoch()
        self._dataset_size = dataset.get_num_examples()
        assert self.batch_size is not None  # set by _setup_minibatch
        resident = self._resident_data(dataset)
        if resident is not None:  # on the device already: batches gathered there
            iterator: Any = resident.batches(mode, self.batch_size * distributed.world_size(),
                                             self.batches_per_iter, self.rng)
        else:
            iterator = dataset.iterator(
                mode=mode, batch_size=self.batch_size * distributed.world_size(),
                num_batches=self.batches_per_iter, rng=self.rng, data_specs=self.data_specs,
                return_tuple=True,
            )
            if prefetch_wanted(dataset, self.device_):  # next batch gathered meanwhile
                iterator = BatchPrefetcher(iterator, pin=self.device_.type == "cuda")
        for batch in iterator:
            data, total, local = self._prepare_batch(batch)
            yield data, total, local

    def _resident_data(self, dataset: DatasetLike) -> ResidentData | None:
        """The dataset kept on the device (converted once) when it fits the budget."""
        cached = getattr(self, "_resident", None)
        if cached is not None and cached[0] is dataset:
            return cached[1]
        resident = (ResidentData(dataset, self.data_specs, self.device_, self.dtype_)
                    if ResidentData.fits(dataset, self.device_) else None)
        self._resident = (dataset, resident)
        return resident

    def _prepare_batch(self, batch: tuple) -> tuple[Any, int, int]:
        total = batch[0].shape[0]
        if distributed.world_size() > 1:
            batch = distributed.local_part(batch, total)
        batch = to_device(batch, self.device_, self.dtype_)
        return (batch if self._composite else batch[0]), total, batch[0].shape[0]

    def _enforce_constraints(self) -> None:
        if self._constrained:
            with torch.no_grad():
                for target in self._constraint_targets:  # found once at setup
                    target.enforce_constraints()
        owners = [owner for owner in self._extension_owners if getattr(owner, "extensions", None)]
        if owners:
            with torch.no_grad():
                params = list(self.model.get_params())
                updates = {p: p.detach().clone() for p in params}
                for owner in owners:  # each extension sees the model (or layer) that holds it
                    for extension in owner.extensions:
                        extension.post_modify_updates(updates, owner)
                for p in params:
                    p.copy_(updates[p])

    def _end_batch(self, total: int) -> None:
        """Count the batch, then run the per-batch extensions."""
        self.monitor.report_batch(total)
        self._hooks.batch_end(total)

    def batches_per_epoch(self) -> int | None:
        """How many batches one call of ``train`` makes (None when unknown)."""
        n = getattr(self, "_dataset_size", None)
        if self.batches_per_iter is not None:
            return self.batches_per_iter
        if n is None or not self.batch_size:
            return None
        return -(-n // self.batch_size)

    def _minibatch_state(self) -> dict[str, Any]:
        return {"rng": self.rng.bit_generator.state,
                "termination_criterion": self.termination_criterion_state()}

    def _load_minibatch_state(self, state: dict[str, Any]) -> None:
        self.rng.bit_generator.state = state["rng"]
        self.load_termination_criterion_state(state.get("termination_criterion"))


def _extension_owners(model: Any) -> list[Any]:
    """The model and its nested models that may hold model extensions, innermost first
    (a layer's extensions run before those of the MLP that contains it)."""
    submodels = getattr(model, "submodels", None)
    owners = [owner for child in (submodels() if submodels else [])
              for owner in _extension_owners(child)]
    return [*owners, model]


__all__ = ["MinibatchAlgorithm", "seed_sequence"]

