"""Train extensions: code that runs at fixed points of the main loop.

Hooks (all no-ops by default) receive the trainer's parts *by keyword* (``model``,
``dataset``, ``algorithm``, ``trainer``); a hook declares only the keywords it needs
(or ``**kwargs``), so new context never breaks an existing extension. To stop training,
call ``trainer.request_stop(reason)``.
"""

from __future__ import annotations

import inspect
from typing import Any

from pylearn2.utils.init_args import InitArgsMixin

HOOKS = ("setup", "on_epoch_begin", "on_monitor", "on_save", "on_train_end")


class TrainExtension(InitArgsMixin):
    """Base class with the symmetric set of no-op hooks, called in the order of HOOKS."""

    def setup(self, model: Any = None, dataset: Any = None, algorithm: Any = None,
              **kwargs: Any) -> None:
        """Once, after the algorithm is set up and before the first monitor call."""

    def on_epoch_begin(self, **kwargs: Any) -> None:
        """Before each training epoch."""

    def on_monitor(self, model: Any = None, dataset: Any = None, algorithm: Any = None,
                   **kwargs: Any) -> None:
        """After each monitor call (before epoch 1 and after every epoch)."""

    def on_save(self, model: Any = None, dataset: Any = None, algorithm: Any = None,
                **kwargs: Any) -> None:
        """Before the model is saved (also when Train has no save_path)."""

    def on_train_end(self, **kwargs: Any) -> None:
        """Once, after the last epoch (also after a stop request or time-budget stop)."""

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            setattr(self, key, value)


def call_hook(extension: Any, hook: str, **context: Any) -> None:
    """Call ``extension.<hook>`` with the keywords of ``context`` that it accepts."""
    method = getattr(extension, hook, None)
    if method is None:
        return
    params = inspect.signature(method).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        method(**context)
    else:
        method(**{k: v for k, v in context.items() if k in params})


from pylearn2.train_extensions.channels import ChannelSmoother, SharedSetter  # noqa: E402

__all__ = ["HOOKS", "TrainExtension", "call_hook", "ChannelSmoother", "SharedSetter"]
