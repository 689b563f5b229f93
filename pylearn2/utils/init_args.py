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
                bound = signature.bind(self, *args, **kw)
                arguments = dict(bound.arguments)
                arguments.pop(next(iter(signature.parameters)))
                for pname, param in signature.parameters.items():
                    if param.kind is inspect.Parameter.VAR_KEYWORD and pname in arguments:
                        arguments.update(arguments.pop(pname))
                object.__setattr__(self, "_init_args", arguments)
            original(self, *args, **kw)

        cls.__init__ = __init__


def get_init_args(obj: Any) -> dict[str, Any]:
    """The keyword arguments ``obj`` was built with (empty when it did not record them)."""
    return dict(getattr(obj, "_init_args", {}))


def class_path(obj_or_cls: Any) -> str:
    """'module.QualName' of a class or of an object's class."""
    cls = obj_or_cls if isinstance(obj_or_cls, type) else type(obj_or_cls)
    return f"{cls.__module__}.{cls.__qualname__}"
