"""Which modules YAML files and model files may take classes and functions from.

Only names whose *defining* module (``obj.__module__``, not the module they were
reached through) lies in an allowed package are resolved. Allowed by default:
``pylearn2``, ``numpy`` and ``torch``. Users add their own packages with the
``PYLEARN2_ALLOW_MODULES`` environment variable (comma separated), the ``--allow``
flag of the command-line tools, :func:`allow_module`, or for one load only
:func:`allowing` (the ``allow=`` argument of the loaders).

Inside the allowed packages, names that can unpickle, run or compile code, load native
libraries, start processes or widen the allowlist (``numpy.load``, ``torch.load``,
``torch.jit``, ``pylearn2.utils.allowlist``, any callable taking ``allow=``...) are refused,
as are private names (starting with ``_``).
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import os
import pkgutil
import types
from collections.abc import Iterable, Iterator
from typing import Any

from pylearn2.utils.exc import ConfigError, UnsafeObjectError, did_you_mean

DEFAULT_ALLOWED = ("pylearn2", "numpy", "torch")
_EXTRA_ALLOWED: set[str] = set()
# Names (and everything below them) inside the allowed packages that can run or compile code,
# unpickle, load native libraries, start processes, or widen the allowlist itself.
_DENIED_NAMES = {
    # numpy: pickle-capable readers, native code, subprocess-running test helpers
    "numpy.load", "numpy.lib.npyio", "numpy.lib.format", "numpy.fromfile", "numpy.memmap",
    "numpy.save", "numpy.savez", "numpy.savez_compressed", "numpy.savetxt", "numpy.DataSource",
    "numpy.ctypeslib", "numpy.distutils", "numpy.f2py", "numpy.testing",
    # torch: pickle-based loading, code compilation/execution, native libraries, processes
    "torch.load", "torch.serialization", "torch.save", "torch.storage", "torch.hub",
    "torch.package", "torch.jit", "torch.fx", "torch.export", "torch.compile", "torch.compiler",
    "torch.ops", "torch.library", "torch.classes", "torch.utils.cpp_extension",
    "torch.utils.benchmark", "torch.utils.collect_env", "torch.utils.bottleneck",
    "torch.utils.hipify", "torch.utils.show_pickle", "torch.utils.model_dump",
    "torch.utils.bundled_inputs", "torch.utils.jit", "torch.utils.data.DataLoader",
    "torch.utils.data.dataloader", "torch.utils.data.datapipes", "torch.multiprocessing",
    "torch.distributed", "torch.backends.xeon", "torch.cuda.memory", "torch.cuda.jiterator",
    "torch.mps",
    # pylearn2: the allowlist itself, loaders that take an allow= argument, command-line tools
    "pylearn2.utils.allowlist",
    "pylearn2.utils.serial.tree.decode_args", "pylearn2.scripts",
}
# Plain values (numpy.pi, numpy.inf) are harmless wherever they come from.
_PLAIN_VALUES = (bool, int, float, complex, str, bytes, type(None))

HOW_TO_ALLOW = (
    "To allow a module of your own, set PYLEARN2_ALLOW_MODULES=yourpackage (comma-separated), "
    "pass --allow yourpackage to the command-line tool, or call "
    "pylearn2.utils.allowlist.allow_module('yourpackage')."
)


def allow_module(name: str) -> None:
    """Allow YAML and model files to use names defined in package ``name``."""
    _EXTRA_ALLOWED.add(name.strip())


@contextlib.contextmanager
def allowing(modules: str | Iterable[str] | None) -> Iterator[None]:
    """Allow extra packages only while the ``with`` block runs (e.g. one ``load``)."""
    names = [modules] if isinstance(modules, str) else list(modules or [])
    already = set(allowed_prefixes())
    added = [n.strip() for n in names if n.strip() and n.strip() not in already]
    _EXTRA_ALLOWED.update(added)
    try:
        yield
    finally:
        _EXTRA_ALLOWED.difference_update(added)


def allowed_prefixes() -> tuple[str, ...]:
    """The packages whose names files may use: defaults, allow_module() and the environment."""
    env = [m.strip() for m in os.environ.get("PYLEARN2_ALLOW_MODULES", "").split(",") if m.strip()]
    return DEFAULT_ALLOWED + tuple(sorted(_EXTRA_ALLOWED)) + tuple(env)


def _in_prefixes(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _is_denied(full_name: str) -> bool:
    return any(full_name == d or full_name.startswith(d + ".") for d in _DENIED_NAMES)


def _refuse(requested: str, why: str) -> UnsafeObjectError:
    return UnsafeObjectError(f"{requested!r} is refused: {why}. It cannot be named in "
                             "configuration or model files.")


def _takes_allow(obj: Any) -> bool:
    """Whether ``obj`` is a callable with an ``allow`` argument (it could widen the allowlist)."""
    if not callable(obj):
        return False
    try:
        return "allow" in inspect.signature(obj).parameters
    except (TypeError, ValueError):
        return False


def check_allowed(obj: Any, requested: str) -> None:
    """Raise :class:`UnsafeObjectError` unless ``obj`` is defined in an allowed module.

    ``requested`` is the dotted path the file used; the object's own defining module is
    what counts, so a re-export (``numpy.os``, ``pylearn2.x.os.system``) cannot smuggle
    in something from outside.
    """
    prefixes = allowed_prefixes()
    if _is_denied(requested):
        raise _refuse(requested, "it can load pickles, run or compile code, start processes "
                                 "or change the allowlist")
    if isinstance(obj, _PLAIN_VALUES):
        if _in_prefixes(requested, prefixes):
            return
        module = None
    elif isinstance(obj, types.ModuleType):
        module = obj.__name__
        full_name = module
    else:
        module = getattr(obj, "__module__", None)
        qual = getattr(obj, "__qualname__", getattr(obj, "__name__", ""))
        full_name = f"{module}.{qual}"
    if not isinstance(module, str) or not _in_prefixes(module, prefixes):
        where = f"defined in module {module!r}" if isinstance(module, str) else "of unknown origin"
        raise UnsafeObjectError(
            f"{requested!r} is {where}, which is not in the allowlist "
            f"({', '.join(prefixes)}). {HOW_TO_ALLOW}"
        )
    if _is_denied(full_name):
        raise _refuse(requested, f"it is {full_name}, which can load pickles, run or compile "
                                 "code, start processes or change the allowlist")
    if _takes_allow(obj):
        raise _refuse(requested, "it takes an allow= argument that would widen the allowlist "
                                 "(write !pkl: 'path' to load a model file)")


def resolve(dotted: str) -> Any:
    """Import ``pkg.mod.Name`` and return it, after checking the allowlist.

    The module part must itself be in the allowlist (and not denied) before it is imported,
    so naming a module never runs import-time code the user did not allow. Every module
    passed through on the way and the final object are checked by their defining module.
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
    if _is_denied(dotted):
        raise _refuse(dotted, "it can load pickles, run or compile code, start processes or "
                              "change the allowlist")
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
