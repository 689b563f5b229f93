"""The one extension protocol: code that runs at fixed points of training.

Every hook is a no-op by default and is called with the trainer's parts *by keyword*:
``model``, ``dataset``, ``algorithm``, ``train`` (the :class:`pylearn2.train.Train`; also
passed as ``trainer``), plus the hook's own extras listed below. A hook declares only the
keywords it needs (or ``**kwargs``), so adding context later never breaks an extension.

Order within one run (see ``Train.main_loop``)::

    setup -> on_monitor (epoch 0) -> per epoch: on_epoch_begin -> on_batch_end (every
    batch) -> on_epoch_end -> on_monitor -> on_save (every save_freq epochs) -> ...
    -> on_save (final) -> on_train_end;  on_error when anything raises, then on_train_end.

Extras: ``on_batch_end(batch_size=)`` (examples in the batch just trained on),
``on_epoch_end(epoch=)``, ``on_error(error=)``, ``on_train_end(stop_reason=)``.
To stop training, call ``train.request_stop(reason)``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

from pylearn2.utils.exc import ConfigError
from pylearn2.utils.init_args import InitArgsMixin

HOOKS = ("setup", "on_epoch_begin", "on_batch_end", "on_epoch_end", "on_monitor", "on_save",
         "on_error", "on_train_end")


STOP_KINDS = ("criterion", "time_budget", "request", "error")

# attributes that name a file or folder an extension writes (see TrainExtension.output_paths)
OUTPUT_ATTRS = ("save_path", "log_dir", "path")


class StopReason(str):
    """Why training stopped: the text (this string) and its ``kind``, one of
    ``'criterion'`` (the termination criterion or a self-training model said stop),
    ``'time_budget'``, ``'request'`` (``train.request_stop``) or ``'error'``."""

    kind: str

    def __new__(cls, text: str, kind: str) -> StopReason:
        if kind not in STOP_KINDS:
            raise ValueError(f"Stop kind must be one of {', '.join(STOP_KINDS)}, got {kind!r}.")
        reason = super().__new__(cls, text)
        reason.kind = kind
        return reason

    @property
    def succeeded(self) -> bool:
        """Training ran to its planned end (not cut by the time budget or an error)."""
        return self.kind in ("criterion", "request")


class TrainExtension(InitArgsMixin):
    """Base class for extensions: every hook is a no-op; override the ones you need.

    State that must survive a resume goes in :meth:`state_dict` (JSON-able values and
    tensors); it is saved in the checkpoint under the extension's :meth:`state_key`.
    """

    def setup(self, model: Any = None, dataset: Any = None, algorithm: Any = None,
              **kwargs: Any) -> None:
        """Once, after the algorithm is set up and before the first monitor call."""

    def on_epoch_begin(self, **kwargs: Any) -> None:
        """Before each training epoch."""

    def on_batch_end(self, batch_size: int = 0, **kwargs: Any) -> None:
        """After every update, with ``batch_size`` the examples of that batch. Keep it cheap:
        it runs once per batch (the base class's no-op is skipped altogether)."""

    def on_epoch_end(self, epoch: int = 0, **kwargs: Any) -> None:
        """After each training epoch (``epoch`` epochs seen), before the monitor runs."""

    def on_monitor(self, model: Any = None, dataset: Any = None, algorithm: Any = None,
                   **kwargs: Any) -> None:
        """After each monitor call (before epoch 1 and after every epoch)."""

    def on_save(self, model: Any = None, dataset: Any = None, algorithm: Any = None,
                **kwargs: Any) -> None:
        """Before the model is saved (also when Train has no save_path)."""

    def on_error(self, error: BaseException | None = None, **kwargs: Any) -> None:
        """When training raises (``error``); the error is re-raised after the hooks run."""

    def on_train_end(self, stop_reason: Any = None, **kwargs: Any) -> None:
        """Once at the very end, whatever happened (after on_error when training failed)."""

    def output_paths(self) -> list[str]:
        """The files and folders this extension writes. Train locks them for the run
        (pylearn2.utils.run_lock), checks them against ``allow_overwrite`` and keeps an
        earlier run's copies. Default: whichever of the attributes ``save_path``,
        ``log_dir`` and ``path`` is set; override when an extension writes elsewhere."""
        return [value for value in (getattr(self, attr, None) for attr in OUTPUT_ATTRS)
                if isinstance(value, str) and value]

    def state_key(self) -> str:
        """The name this extension's state is saved under (default: its class name)."""
        return type(self).__name__

    def state_dict(self) -> dict[str, Any]:
        """What a resumed run needs to continue exactly (default: nothing)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`'s output (default: set each key as an attribute)."""
        for key, value in state.items():
            setattr(self, key, value)


def extension_output_paths(extension: Any) -> list[str]:
    """``extension.output_paths()``; for an object that does not derive from
    TrainExtension and has no such method, the same default (its OUTPUT_ATTRS)."""
    method = getattr(extension, "output_paths", None)
    if callable(method):
        return [str(p) for p in method()]
    return TrainExtension.output_paths(extension)


def call_hook(extension: Any, hook: str, **context: Any) -> None:
    """Call ``extension.<hook>`` with the keywords of ``context`` that it accepts."""
    method = getattr(extension, hook, None)
    if method is not None:
        method(**_accepted(method, context))


def _accepted(method: Callable[..., Any], context: dict[str, Any]) -> dict[str, Any]:
    params = inspect.signature(method).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return context
    return {k: v for k, v in context.items() if k in params}


def _overrides(extension: Any, hook: str) -> bool:
    """Whether ``extension`` does something in ``hook`` (not the base class's no-op)."""
    method = getattr(type(extension), hook, None)
    if method is None:
        return False
    return getattr(TrainExtension, hook, None) is not method


class ExtensionHooks:
    """Calls one hook on a list of extensions with a fixed context, in list order.

    The per-batch hook is prepared once: only extensions that override ``on_batch_end``
    are called, with their accepted keywords worked out in advance, so an extension list
    without batch work costs nothing per batch.
    """

    def __init__(self, extensions: Iterable[Any] = (), **context: Any) -> None:
        self.extensions = list(extensions)
        self.context = context
        self._batch_calls: list[Callable[[int], Any]] | None = None

    def __call__(self, hook: str, **extras: Any) -> None:
        if hook not in HOOKS:
            raise ValueError(f"Unknown extension hook {hook!r}; hooks are {', '.join(HOOKS)}.")
        context = {**self.context, **extras}
        for extension in self.extensions:
            if _overrides(extension, hook):
                call_hook(extension, hook, **context)

    def batch_end(self, batch_size: int) -> None:
        """``on_batch_end(batch_size=...)`` on every extension that has batch work."""
        calls = self._batch_calls
        if calls is None:
            calls = self._batch_calls = self._prepare_batch_calls()
        for call in calls:
            call(batch_size)

    def _prepare_batch_calls(self) -> list[Callable[[int], Any]]:
        calls = []
        for extension in self.extensions:
            if _overrides(extension, "on_batch_end"):
                accepted = _accepted(extension.on_batch_end, {**self.context, "batch_size": 0})
                calls.append(_batch_call(extension.on_batch_end, accepted, self.context))
        return calls


def _batch_call(method: Callable[..., Any], accepted: dict[str, Any],
                context: dict[str, Any]) -> Callable[[int], Any]:
    keep = {k: v for k, v in context.items() if k in accepted}
    if "batch_size" not in accepted:
        return lambda batch_size: method(**keep)
    return lambda batch_size: method(batch_size=batch_size, **keep)


class UpdateCallback(TrainExtension):
    """Adapter: an SGD ``update_callbacks`` entry (called as ``cb(algorithm)`` after every
    update, the original API) seen through the extension protocol."""

    def __init__(self, callback: Callable[[Any], Any]) -> None:
        if not callable(callback):
            raise ConfigError(f"update_callbacks entries must be callables taking the algorithm, "
                              f"got {type(callback).__name__}.")
        self.callback = callback

    def on_batch_end(self, batch_size: int = 0, algorithm: Any = None, **kwargs: Any) -> None:
        self.callback(algorithm)

    def state_key(self) -> str:
        return type(self.callback).__name__


def state_keys(parts: Iterable[Any]) -> list[str]:
    """Stable, unique keys for stateful parts: each part's ``state_key()`` (or class name),
    with ``#2``, ``#3``... added to repeats, so adding or removing a part never shifts
    the keys of the others (unlike list positions)."""
    keys: list[str] = []
    seen: dict[str, int] = {}
    for part in parts:
        key = part.state_key() if callable(getattr(part, "state_key", None)) \
            else type(part).__name__
        seen[key] = seen.get(key, 0) + 1
        keys.append(key if seen[key] == 1 else f"{key}#{seen[key]}")
    return keys


def keyed_states(parts: Iterable[Any]) -> dict[str, Any]:
    """``{key: part.state_dict()}`` for the parts that have state (see :func:`state_keys`)."""
    parts = list(parts)
    return {key: part.state_dict() for key, part in zip(state_keys(parts), parts)
            if callable(getattr(part, "state_dict", None))}


def stateful_keys(parts: Iterable[Any]) -> set[str]:
    """The keys :func:`keyed_states` would save for ``parts``."""
    parts = list(parts)
    return {key for key, part in zip(state_keys(parts), parts)
            if callable(getattr(part, "state_dict", None))}


def load_keyed_states(parts: Iterable[Any], states: Any, what: str) -> None:
    """Give each part the state saved under its key. ``states`` may also be a list from
    an older checkpoint (matched by position). Keys present on only one side are ignored
    here: :func:`check_keys` decides whether a mismatch is acceptable."""
    parts = list(parts)
    if isinstance(states, list):
        states = dict(zip(state_keys(parts), states))
    for key, part in zip(state_keys(parts), parts):
        state = (states or {}).get(key)
        if state is not None and callable(getattr(part, "load_state_dict", None)):
            part.load_state_dict(state)


def key_mismatch(saved: Iterable[str], live: Iterable[str], what: str) -> str | None:
    """A sentence naming the keys only the checkpoint has and those only this run has."""
    saved, live = set(saved), set(live)
    missing, new = sorted(saved - live), sorted(live - saved)
    if not missing and not new:
        return None
    parts = []
    if missing:
        parts.append(f"missing from this run: {', '.join(missing)}")
    if new:
        parts.append(f"new in this run: {', '.join(new)}")
    return f"{what} differ from the checkpoint's ({'; '.join(parts)})"


__all__ = ["HOOKS", "STOP_KINDS", "ExtensionHooks", "StopReason", "TrainExtension",
           "UpdateCallback", "call_hook", "key_mismatch", "keyed_states", "load_keyed_states",
           "state_keys", "stateful_keys"]
