"""The TrainingAlgorithm interface shared by SGD, BGD and self-training models."""

from __future__ import annotations

from typing import Any

from pylearn2.utils.device import resolve_device  # noqa: F401  (old home)
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.init_args import InitArgsMixin


class NoBatchSizeError(ConfigError):
    """Neither the algorithm nor the model says how big a batch is."""

    def __init__(self) -> None:
        super().__init__("No batch size: give the algorithm `batch_size:` "
                         "(or the model `batch_size:`).")


class TrainingAlgorithm(InitArgsMixin):
    """Trains a model one epoch at a time; ``continue_learning`` says when to stop."""

    def setup(self, model: Any, dataset: Any) -> None:
        raise NotImplementedError

    def train(self, dataset: Any) -> None:
        """Run one epoch (one pass of the training iterator)."""
        raise NotImplementedError

    def continue_learning(self, model: Any) -> bool:
        criterion = getattr(self, "termination_criterion", None)
        return True if criterion is None else bool(criterion.continue_learning(model))

    def stop_reason(self) -> str:
        criterion = getattr(self, "termination_criterion", None)
        reason = getattr(criterion, "reason", None) if criterion is not None else None
        return reason or f"{type(criterion).__name__} said stop"

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass


class SelfTraining(TrainingAlgorithm):
    """Adapter for models that train themselves (``train_all`` / ``continue_learning``)."""

    def setup(self, model: Any, dataset: Any) -> None:
        self.model = model
        channels = getattr(model, "training_channels", None)
        if callable(channels):  # e.g. k-means' mean squared distance after each round
            from pylearn2.monitor import Monitor

            Monitor.get_monitor(model).add_global_channels(channels)

    def train(self, dataset: Any) -> None:
        self.model.train_all(dataset=dataset)

    def continue_learning(self, model: Any) -> bool:
        return bool(model.continue_learning())

    def stop_reason(self) -> str:
        return f"{type(self.model).__name__}.continue_learning() returned False"


def reconcile_batch_size(algorithm_name: str, model: Any, dataset: Any, batch_size: int | None,
                         set_batch_size: bool, mode: str) -> int:
    """The batch size to train with, given the algorithm's and the model's.

    A model with ``force_batch_size`` needs exactly that many examples per batch: a
    different ``batch_size`` is an error unless ``set_batch_size`` (which resizes the
    model), and a dataset whose size is not a multiple needs an ``even_*`` mode.
    """
    from pylearn2.utils.iteration import has_uniform_batch_size

    forced = getattr(model, "force_batch_size", None)
    if forced and batch_size and forced != batch_size:
        if not set_batch_size:
            raise ConfigError(
                f"{algorithm_name} batch_size={batch_size} conflicts with the model's batch size "
                f"{forced}; make them equal or set set_batch_size: True."
            )
        model.set_batch_size(batch_size)
    batch_size = batch_size or forced
    if not batch_size:
        raise NoBatchSizeError()
    if forced and not has_uniform_batch_size(mode):
        n = dataset.get_num_examples()
        if n is not None and n % batch_size:
            raise ConfigError(
                f"The model needs batches of exactly {batch_size} but the dataset has "
                f"{n} examples; use an even_* train_iteration_mode (e.g. "
                "even_shuffled_sequential)."
            )
    return int(batch_size)
