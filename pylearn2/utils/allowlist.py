"""Which modules YAML files and model files may take classes and functions from.

Only names whose *defining* module (``obj.__module__``, not the module they were
reached through) lies in an allowed package are resolved. Allowed by default:
``pylearn2``, ``numpy`` and ``torch``. Users add their own packages with the
``PYLEARN2_ALLOW_MODULES`` environment variable (comma separated), the ``--allow``
flag of the command-line tools, or :func:`allow_module`.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import types
from typing import Any

from pylearn2.utils.exc import ConfigError, UnsafeObjectError, did_you_mean

DEFAULT_ALLOWED = ("pylearn2", "numpy", "torch")
_EXTRA_ALLOWED: set[str] = set()
# Names inside otherwise allowed packages that can run arbitrary code or touch the system.
_DENIED_NAMES = {
    "numpy.load", "numpy.lib.npyio.load", "numpy.fromfile", "numpy.memmap",
    "torch.load", "torch.serialization.load", "torch.hub", "torch.utils.cpp_extension",
    "torch.ops", "torch.jit.load", "numpy.distutils", "numpy.f2py", "numpy.testing",
    "torch.package", "torch.compile", "torch.utils.data.DataLoader",
    "numpy.ctypeslib", "torch.cuda.memory", "torch.library", "torch.classes",
    "torch.multiprocessing", "torch.distributed.rpc", "numpy.lib.format", "numpy.save",
    "numpy.savez", "numpy.savez_compressed", "numpy.savetxt", "torch.save", "torch.storage",
}

HOW_TO_ALLOW = (
    "To allow a module of your own, set PYLEARN2_ALLOW_MODULES=yourpackage (comma-separated), "
    "pass --allow yourpackage to the command-line tool, or call "
    "pylearn2.utils.allowlist.allow_module('yourpackage')."
)


def allow_module(name: str) -> None:
    """Allow YAML and model files to use names defined in package ``name``."""
    _EXTRA_ALLOWED.add(name.strip())


def allowed_prefixes() -> tuple[str, ...]:
    env = [m.strip() for m in os.environ.get("PYLEARN2_ALLOW_MODULES", "").split(",") if m.strip()]
    return DEFAULT_ALLOWED + tuple(sorted(_EXTRA_ALLOWED)) + tuple(env)


def _in_prefixes(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _is_denied(full_name: str) -> bool:
    return any(full_name == d or full_name.startswith(d + ".") for d in _DENIED_NAMES)


def check_allowed(obj: Any, requested: str) -> None:
    """Raise :class:`UnsafeObjectError` unless ``obj`` is defined in an allowed module."""
    module = obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", None)
    prefixes = allowed_prefixes()
    if _is_denied(requested):
        raise UnsafeObjectError(f"{requested!r} is refused: it can load or run arbitrary code.")
    if not isinstance(module, str) or not _in_prefixes(module, prefixes):
        where = f"defined in module {module!r}" if isinstance(module, str) else "of unknown origin"
        raise UnsafeObjectError(
            f"{requested!r} is {where}, which is not in the allowlist "
            f"({', '.join(prefixes)}). {HOW_TO_ALLOW}"
        )
    qual = getattr(obj, "__qualname__", getattr(obj, "__name__", ""))
    if _is_denied(f"{module}.{qual}"):
        raise UnsafeObjectError(f"{requested!r} is refused: it can load or run arbitrary code.")


def resolve(dotted: str) -> Any:
    """Import ``pkg.mod.Name`` and return it, after checking the allowlist.

    The module part must itself be in the allowlist before it is imported, so naming a
    module never runs its import-time code unless the user allowed it.
    """
    if "." not in dotted:
        raise UnsafeObjectError(
            f"{dotted!r} is not a dotted path such as 'pylearn2.models.mlp.MLP'; builtins are "
            "not available from configuration files."
        )
    prefixes = allowed_prefixes()
    if not _in_prefixes(dotted, prefixes):
        raise UnsafeObjectError(
            f"{dotted!r} is not in the allowlist ({', '.join(prefixes)}). {HOW_TO_ALLOW}"
        )
    parts = dotted.split(".")
    if any(part.startswith("_") for part in parts):
        raise UnsafeObjectError(f"{dotted!r} is refused: private names (starting with '_') are not "
                                "reachable from configuration or model files.")
    module = None
    for split in range(len(parts) - 1, 0, -1):
        mod_name = ".".join(parts[:split])
        try:
            module = importlib.import_module(mod_name)
        except ModuleNotFoundError as err:
            if err.name is not None and not mod_name.startswith(err.name):
                raise
            continue
        attrs = parts[split:]
        break
    if module is None:
        raise ConfigError(f"Could not import any module of {dotted!r}; check the spelling.")
    obj: Any = module
    for i, attr in enumerate(attrs):
        owner = ".".join(parts[: len(parts) - len(attrs) + i])
        if not hasattr(obj, attr):
            names = [n for n in dir(obj) if not n.startswith("_")] + _submodules(obj)
            raise ConfigError(
                f"{owner!r} has no attribute or module {attr!r}.{did_you_mean(attr, names)}"
            )
        obj = getattr(obj, attr)
        if isinstance(obj, types.ModuleType):
            check_allowed(obj, f"{owner}.{attr}")
    check_allowed(obj, dotted)
    return obj


def _submodules(obj: Any) -> list[str]:
    path = getattr(obj, "__path__", None)
    return [m.name for m in pkgutil.iter_modules(path)] if path is not None else []
