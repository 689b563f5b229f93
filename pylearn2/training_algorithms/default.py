"""The training algorithm of models that train themselves batch by batch."""

from __future__ import annotations

from typing import Any

import numpy as np

from pylearn2.monitor import Monitor
from pylearn2.space import NullSpace
from pylearn2.training_algorithms.training_algorithm import NoBatchSizeError, TrainingAlgorithm
from pylearn2.utils.exc import ConfigError


class DefaultTrainingAlgorithm(TrainingAlgorithm):
    """Calls ``model.train_batch(dataset, batch_size)`` ``batches_per_iter`` times per
    epoch; the model updates itself (e.g. an RBM's own learning rule). Training stops when
    ``train_batch`` returns False or the termination criterion says so.

    Parameters
    ----------
    batch_size : examples per call (default: the model's ``force_batch_size``).
    batches_per_iter : calls of ``train_batch`` per epoch.
    monitoring_batch_size, monitoring_batches : how the monitoring datasets are split
        (neither given: batches of ``batch_size``).
    monitoring_dataset : a dataset or a dict name -> dataset; the model's own channels.
    termination_criterion : when to stop.
    set_batch_size : call ``model.set_batch_size(batch_size)`` first.
    """

    def __init__(self, batch_size: int | None = None, batches_per_iter: int = 1000,
                 monitoring_batch_size: int | None = None, monitoring_batches: int = -1,
                 monitoring_dataset: Any = None, termination_criterion: Any = None,
                 set_batch_size: bool = False) -> None:
        if int(batches_per_iter) < 1:
            raise ConfigError(f"DefaultTrainingAlgorithm: batches_per_iter must be >= 1, "
                              f"got {batches_per_iter}.")
        self.batch_size, self.batches_per_iter = batch_size, int(batches_per_iter)
        self.monitoring_batch_size = monitoring_batch_size
        self.monitoring_batches = None if monitoring_batches in (None, -1) else int(monitoring_batches)
        self.monitoring_dataset = monitoring_dataset
        self.termination_criterion = termination_criterion
        self.set_batch_size = set_batch_size
        self.learn_more = True

    def setup(self, model: Any, dataset: Any) -> None:
        if not hasattr(model, "train_batch"):
            raise ConfigError(f"DefaultTrainingAlgorithm needs a model that trains itself "
                              f"(has train_batch); {type(model).__name__} does not: use SGD.")
        if self.set_batch_size:
            if self.batch_size is None:
                raise ConfigError("DefaultTrainingAlgorithm: set_batch_size needs batch_size.")
            model.set_batch_size(self.batch_size)
        if self.batch_size is None:
            self.batch_size = getattr(model, "force_batch_size", None)
        if self.batch_size is None:
            raise NoBatchSizeError()
        self.model = model
        self._dataset = dataset
        self.monitor = Monitor.get_monitor(model)
        datasets = self.monitoring_dataset
        if datasets is not None:
            if not isinstance(datasets, dict):
                datasets = {"": datasets}
            specs = model.get_monitoring_data_specs()
            batch_size = self.monitoring_batch_size
            if batch_size is None and self.monitoring_batches is None:
                batch_size = self.batch_size
            for name, ds in datasets.items():
                self.monitor.add_dataset(ds, "sequential", batch_size, self.monitoring_batches,
                                         name=name)
                if not isinstance(specs[0], NullSpace):
                    self.monitor.add_producer(model.get_monitoring_channels, specs, name,
                                              f"{name}_" if name else "", pure=True)

    def train(self, dataset: Any) -> None:
        learn_more = True
        for _ in range(self.batches_per_iter):
            learn_more = self.model.train_batch(dataset, self.batch_size)
            if learn_more not in (True, False):
                raise ConfigError(f"{type(self.model).__name__}.train_batch must return True "
                                  f"or False, got {learn_more!r}.")
            self.monitor.report_batch(self.batch_size)
            if not learn_more:
                break
        self.learn_more = learn_more

    def state_dict(self) -> dict[str, Any]:
        """The training dataset's random-batch generator (``get_batch_design`` draws from
        it), so a resumed run draws the batches an uninterrupted one would."""
        rng = getattr(getattr(self, "_dataset", None), "rng", None)
        if isinstance(rng, np.random.Generator):
            return {"dataset_rng": rng.bit_generator.state}
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if "dataset_rng" in state and hasattr(self, "_dataset"):
            rng = np.random.default_rng()
            rng.bit_generator.state = state["dataset_rng"]
            self._dataset.rng = rng

    def continue_learning(self, model: Any) -> bool:
        if not self.learn_more:
            return False
        return super().continue_learning(model)

    def stop_reason(self) -> str:
        if not self.learn_more:
            return f"{type(self.model).__name__}.train_batch returned False"
        return super().stop_reason()


__all__ = ["DefaultTrainingAlgorithm"]
