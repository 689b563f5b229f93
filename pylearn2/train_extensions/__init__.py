"""Train extensions: code that runs at fixed points of the main loop.

The protocol (hooks, their order and keywords) lives in
:mod:`pylearn2.train_extensions.base`; ``TrainExtension`` and ``call_hook`` are also
importable from here, as in the original library.
"""

from __future__ import annotations

from pylearn2.train_extensions.base import (
    HOOKS,
    ExtensionHooks,
    TrainExtension,
    UpdateCallback,
    call_hook,
)
from pylearn2.train_extensions.channels import ChannelSmoother, SharedSetter

__all__ = ["HOOKS", "ExtensionHooks", "TrainExtension", "UpdateCallback", "call_hook",
           "ChannelSmoother", "SharedSetter"]
