"""The TrainingAlgorithm interface shared by SGD, BGD and self-training models."""

from __future__ import annotations

from typing import Any

from pylearn2.train_extensions.base import ExtensionHooks
from pylearn2.utils.device import resolve_device  # noqa: F401  (old home)
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.init_args import InitArgsMixin
from pylearn2.utils.protocols import DatasetLike, ModelLike


class NoBatchSizeError(ConfigError):
    """Neither the algorithm nor the model says how big a batch is."""

    def __init__(self) -> None:
        super().__init__("No batch size: give the algorithm `batch_size:` "
                         "(or the model `batch_size:`).")


class TrainingAlgorithm(InitArgsMixin):
    """Trains a model one epoch at a time; ``continue_learning`` says when to stop.

    Subclasses implement :meth:`setup` and :meth:`train`; an algorithm with a
    ``termination_criterion`` attribute gets :meth:`continue_learning` and
    :meth:`stop_reason` from it. Train attaches its extensions with
    :meth:`attach_extensions` so the algorithm can run their ``on_batch_end`` hook.
    """

    def setup(self, model: ModelLike, dataset: DatasetLike) -> None:
        """Prepare to train ``model`` on ``dataset`` (called once, before the first epoch):
        place the model, resolve defaults (cost, batch size), set up the monitor."""
        raise NotImplementedError

    def train(self, dataset: DatasetLike) -> None:
        """Run one epoch (one pass of the training iterator)."""
        raise NotImplementedError

    def attach_extensions(self, hooks: ExtensionHooks) -> None:
        """Run ``hooks.batch_end`` after every update (Train calls this before setup)."""
        self._extension_hooks = hooks

    @property
    def extension_hooks(self) -> ExtensionHooks:
        """The extensions Train attached (none when the algorithm runs on its own)."""
        hooks = getattr(self, "_extension_hooks", None)
        return hooks if hooks is not None else ExtensionHooks()

    def continue_learning(self, model: ModelLike) -> bool:
        """Whether to train another epoch (the termination criterion decides; none: forever)."""
        criterion = getattr(self, "termination_criterion", None)
        return True if criterion is None else bool(criterion.continue_learning(model))

    def stop_reason(self) -> str:
        """Why :meth:`continue_learning` said stop, in words."""
        criterion = getattr(self, "termination_criterion", None)
        reason = getattr(criterion, "reason", None) if criterion is not None else None
        return reason or f"{type(criterion).__name__} said stop"

    def termination_criterion_state(self) -> Any:
        """The termination criterion's state (None when it has none)."""
        criterion = getattr(self, "termination_criterion", None)
        return criterion.state_dict() if criterion is not None and hasattr(criterion, "state_dict") \
            else None

    def load_termination_criterion_state(self, state: Any) -> None:
        """Restore :meth:`termination_criterion_state`'s output."""
        criterion = getattr(self, "termination_criterion", None)
        if state is not None and criterion is not None and hasattr(criterion, "load_state_dict"):
            criterion.load_state_dict(state)

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly (RNG, counters, optimiser buffers)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`'s output."""


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
