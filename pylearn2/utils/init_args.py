"""Record the arguments an object was constructed with.

Model files store a model's structure as the tree of constructor arguments (class path
plus keyword arguments, recursively) instead of pickling it. Classes that derive from
:class:`InitArgsMixin` record the arguments of their most-derived ``__init__`` call in
``self._init_args`` automatically, so subclasses need no boilerplate.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any


class InitArgsMixin:
    """Mixin that stores the bound constructor arguments as ``_init_args``."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" not in cls.__dict__:
            return
        original = cls.__dict__["__init__"]
        signature = inspect.signature(original)

        @functools.wraps(original)
        def __init__(self, *args, **kw):
            if "_init_args" not in self.__dict__:
                object.__setattr__(self, "_init_args", _bind(cls, signature, args, kw))
            original(self, *args, **kw)

        __init__.__init_signature__ = signature
        cls.__init__ = __init__


def _bind(cls: type, signature: inspect.Signature, args: tuple, kw: dict) -> dict[str, Any]:
    """Keyword form of a constructor call; ``*args`` are named through the parent's signature."""
    bound = signature.bind(None, *args, **kw)
    arguments = dict(bound.arguments)
    arguments.pop(next(iter(signature.parameters)))
    for pname, param in signature.parameters.items():
        if pname not in arguments:
            continue
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            arguments.update(arguments.pop(pname))
        elif param.kind is inspect.Parameter.VAR_POSITIONAL and arguments[pname]:
            positional = arguments.pop(pname)
            parent = _parent_signature(cls)
            if parent is None:
                raise TypeError(f"{cls.__name__} takes no positional *args to record")
            names = [n for n, p in list(parent.parameters.items())[1:]
                     if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
            arguments.update(zip(names, positional, strict=False))
        elif param.kind is inspect.Parameter.VAR_POSITIONAL:
            arguments.pop(pname)
    return arguments


def _parent_signature(cls: type) -> inspect.Signature | None:
    for base in cls.__mro__[1:]:
        init = base.__dict__.get("__init__")
        signature = getattr(init, "__init_signature__", None)
        if signature is not None:
            return signature
    return None


def get_init_args(obj: Any) -> dict[str, Any]:
    """The keyword arguments ``obj`` was built with (empty when it did not record them)."""
    return dict(getattr(obj, "_init_args", {}))


def class_path(obj_or_cls: Any) -> str:
    """'module.QualName' of a class or of an object's class."""
    cls = obj_or_cls if isinstance(obj_or_cls, type) else type(obj_or_cls)
    return f"{cls.__module__}.{cls.__qualname__}"


def effective_parameters(target: Any) -> dict[str, inspect.Parameter] | None:
    """Named parameters a callable accepts, following ``*args/**kwargs`` up to parent classes.

    Returns None when the callable accepts arbitrary keywords that cannot be traced.
    """
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    params = {n: p for n, p in signature.parameters.items()
              if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    open_ended = any(p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
                     for p in signature.parameters.values())
    if not open_ended:
        return params
    parent = _parent_signature(target) if isinstance(target, type) else None
    if parent is None:
        return None
    inherited = {n: p for n, p in list(parent.parameters.items())[1:]
                 if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    if any(p.kind is p.VAR_KEYWORD for p in parent.parameters.values()):
        return None
    return {**inherited, **params}
