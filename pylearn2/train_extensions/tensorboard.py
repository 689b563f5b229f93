"""Write every monitor channel as a TensorBoard scalar (needs the tensorboard package)."""

from __future__ import annotations

from typing import Any

from pylearn2.train_extensions.base import TrainExtension
from pylearn2.utils.exc import ConfigError


class TensorBoard(TrainExtension):
    """Log the monitor's channels to ``log_dir`` after every monitor call (step = epochs seen,
    or ``x_axis='example'``/``'batch'``). View with ``tensorboard --logdir LOG_DIR``."""

    def __init__(self, log_dir: str, x_axis: str = "epoch") -> None:
        if x_axis not in ("epoch", "batch", "example"):
            raise ConfigError(f"TensorBoard x_axis must be epoch, batch or example, got {x_axis!r}.")
        self.log_dir = log_dir
        self.x_axis = x_axis
        self._writer = None

    def setup(self, model: Any = None, dataset: Any = None, algorithm: Any = None,
              **kwargs: Any) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as err:
            raise ConfigError("The TensorBoard extension needs the tensorboard package: "
                              "pip install tensorboard") from err
        self._writer = SummaryWriter(log_dir=self.log_dir)

    def on_monitor(self, model: Any = None, **kwargs: Any) -> None:
        monitor = model.monitor
        step = {"epoch": monitor.get_epochs_seen, "batch": monitor.get_batches_seen,
                "example": monitor.get_examples_seen}[self.x_axis]()
        for name, channel in monitor.channels.items():
            if channel.val_record:
                self._writer.add_scalar(name, channel.val_record[-1], global_step=step)
        self._writer.flush()

    def on_train_end(self, **kwargs: Any) -> None:
        if self._writer is not None:
            self._writer.close()
