"""Which classes and functions YAML files and model files may name: default deny.

A dotted name resolves only if it is one of

(a) the library's own public classes and functions: defined (``obj.__module__``) in a
    ``pylearn2`` module, public (no ``_`` anywhere in the path), reached only through
    ``pylearn2`` modules and classes. :func:`library_registry` lists them by walking the
    package, so a module someone adds is covered without editing this file. The allowlist
    itself, the command-line tools and loaders taking ``allow=`` are refused;
(b) one of :data:`SAFE_EXTERNAL_NAMES`, a reviewed list of numpy and torch names that
    experiment files use (array constructors, random generators, dtypes, constants), plus
    the ``torch.nn`` layer classes, ``torch.nn.init`` and ``torch.nn.functional`` functions.
    Array constructors are wrapped so one call cannot allocate more than
    :func:`pylearn2.utils.limits.max_array_elements` elements;
(c) anything in a package the user trusts as their own code: ``PYLEARN2_ALLOW_MODULES``
    (comma separated), the ``--allow`` flag, :func:`allow_module`, or for one load only
    :func:`allowing` (the ``allow=`` argument of the loaders).

Everything else in numpy, torch or any other package is refused before it is imported.
Model files go further: their constructors (``__class__``) come from (a) and (c) only.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import os
import pkgutil
import types
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pylearn2.utils.exc import ConfigError, UnsafeObjectError, did_you_mean
from pylearn2.utils.limits import check_array_request

LIBRARY = "pylearn2"
DEFAULT_ALLOWED = (LIBRARY,)
_EXTRA_ALLOWED: set[str] = set()
# Library names that would widen the allowlist, run the command-line tools or load
# arbitrary files on the file's behalf.
_LIBRARY_DENIED = (
    "pylearn2.utils.allowlist", "pylearn2.scripts", "pylearn2.utils.serial.tree.decode_args",
)
# Plain values (numpy.pi, numpy.inf) are harmless wherever they come from.
_PLAIN_VALUES = (bool, int, float, complex, str, bytes, type(None))

# Reviewed numpy and torch names. Each is a constructor of plain arrays, a seeded random
# generator, a dtype or a constant; none reads or writes files, imports modules by name,
# builds views on raw memory or runs code. Constructors in _BOUNDED have their requested
# size checked first.
_NUMPY_DTYPES = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
                 "uint16", "uint32", "uint64", "bool_", "complex64", "complex128", "dtype")
_NUMPY_CONSTANTS = ("pi", "e", "inf", "nan", "newaxis")
_NUMPY_BOUNDED = ("zeros", "ones", "full", "empty", "arange", "linspace", "logspace", "eye",
                  "identity", "array", "asarray", "random.normal", "random.uniform",
                  "random.randn", "random.rand", "random.randint", "random.binomial",
                  "random.permutation")
_NUMPY_OTHER = ("random.RandomState", "random.default_rng", "random.seed", "sqrt", "exp",
                "log", "tanh", "abs", "mean", "sum", "prod")
_TORCH_DTYPES = ("float16", "float32", "float64", "bfloat16", "int8", "int16", "int32",
                 "int64", "uint8", "bool", "half", "float", "double", "long", "int",
                 "complex64", "complex128")
_TORCH_BOUNDED = ("zeros", "ones", "full", "empty", "arange", "linspace", "eye", "tensor",
                  "as_tensor", "randn", "rand", "randint", "randperm")
_TORCH_OTHER = ("device", "Generator", "Size", "tanh", "sigmoid", "relu", "exp", "log", "abs",
                "softmax", "log_softmax", "sqrt", "square", "sin", "cos", "erf",
                "nn.Module", "nn.Parameter", "utils.data.TensorDataset")

SAFE_EXTERNAL_NAMES: frozenset[str] = frozenset(
    [f"numpy.{n}" for n in _NUMPY_DTYPES + _NUMPY_CONSTANTS + _NUMPY_BOUNDED + _NUMPY_OTHER]
    + [f"torch.{n}" for n in _TORCH_DTYPES + _TORCH_BOUNDED + _TORCH_OTHER]
)
_BOUNDED = frozenset([f"numpy.{n}" for n in _NUMPY_BOUNDED]
                     + [f"torch.{n}" for n in _TORCH_BOUNDED])
# torch.nn layer classes (subclasses of torch.nn.Module defined in torch.nn.modules) and
# the tensor-in, tensor-out functions of these two modules are allowed as families.
_TORCH_FUNCTION_MODULES = ("torch.nn.init", "torch.nn.functional")

HOW_TO_ALLOW = (
    "To allow a module of your own, set PYLEARN2_ALLOW_MODULES=yourpackage (comma-separated), "
    "pass --allow yourpackage to the command-line tool, or call "
    "pylearn2.utils.allowlist.allow_module('yourpackage')."
)


def allow_module(name: str) -> None:
    """Trust package ``name`` as the user's own code: files may use any name defined in it."""
    _EXTRA_ALLOWED.add(name.strip())


@contextlib.contextmanager
def allowing(modules: str | Iterable[str] | None) -> Iterator[None]:
    """Trust extra packages only while the ``with`` block runs (e.g. one ``load``)."""
    names = [modules] if isinstance(modules, str) else list(modules or [])
    already = set(allowed_prefixes())
    added = [n.strip() for n in names if n.strip() and n.strip() not in already]
    _EXTRA_ALLOWED.update(added)
    try:
        yield
    finally:
        _EXTRA_ALLOWED.difference_update(added)


def user_prefixes() -> tuple[str, ...]:
    """Packages the user trusts: allow_module(), allowing() and PYLEARN2_ALLOW_MODULES."""
    env = [m.strip() for m in os.environ.get("PYLEARN2_ALLOW_MODULES", "").split(",") if m.strip()]
    return tuple(sorted(_EXTRA_ALLOWED)) + tuple(env)


def allowed_prefixes() -> tuple[str, ...]:
    """The library followed by the packages the user trusts."""
    return DEFAULT_ALLOWED + user_prefixes()


def _in_prefixes(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


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


def _real_name(obj: Any) -> str:
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    module = getattr(obj, "__module__", None)
    qual = getattr(obj, "__qualname__", getattr(obj, "__name__", type(obj).__name__))
    return f"{module}.{qual}" if isinstance(module, str) else str(qual)


def _is_library_object(obj: Any) -> bool:
    """A public class, function or module defined in the library (not a re-export)."""
    if isinstance(obj, types.ModuleType):
        return _in_prefixes(obj.__name__, (LIBRARY,))
    if not (inspect.isclass(obj) or inspect.isfunction(obj)):
        return False
    module = getattr(obj, "__module__", None)
    return isinstance(module, str) and _in_prefixes(module, (LIBRARY,))


def _check_library(obj: Any, requested: str) -> None:
    full = _real_name(obj)
    if _in_prefixes(requested, _LIBRARY_DENIED) or _in_prefixes(full, _LIBRARY_DENIED):
        raise _refuse(requested, "it would run the command-line tools, load files on the "
                                 "file's behalf or change the allowlist")
    if _takes_allow(obj):
        raise _refuse(requested, "it takes an allow= argument that would widen the allowlist "
                                 "(write !pkl: 'path' to load a model file)")


def _torch_family(dotted: str, obj: Any) -> bool:
    """torch.nn layer classes and torch.nn.init / torch.nn.functional functions."""
    import torch

    if dotted.count(".") == 2 and dotted.startswith("torch.nn.") and inspect.isclass(obj):
        return issubclass(obj, torch.nn.Module) and obj.__module__.startswith("torch.nn.modules")
    module, _, name = dotted.rpartition(".")
    return (module in _TORCH_FUNCTION_MODULES and callable(obj)
            and getattr(obj, "__module__", "") == module and not name.startswith("_"))


def _might_be_torch_family(dotted: str) -> bool:
    return (dotted.count(".") == 2 and dotted.startswith("torch.nn.")) or \
        dotted.rpartition(".")[0] in _TORCH_FUNCTION_MODULES


def _bounded(dotted: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        check_array_request(dotted, args, kwargs)
        return func(*args, **kwargs)
    return bounded


def _import_path(dotted: str) -> Any:
    """Import the longest module prefix of ``dotted`` and walk the remaining attributes."""
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        mod_name = ".".join(parts[:split])
        try:
            module = importlib.import_module(mod_name)
        except ModuleNotFoundError as err:
            if err.name is not None and not mod_name.startswith(err.name):
                raise
            continue
        return module, parts[split:], split
    raise ConfigError(f"Could not import any module of {dotted!r}; check the spelling.")


def _walk(dotted: str, check_step: Callable[[Any, str, str], None] | None) -> Any:
    parts = dotted.split(".")
    obj, attrs, split = _import_path(dotted)
    for i, attr in enumerate(attrs):
        owner = ".".join(parts[: split + i])
        if not hasattr(obj, attr):
            names = [n for n in dir(obj) if not n.startswith("_")] + _submodules(obj)
            raise ConfigError(
                f"{owner!r} has no attribute or module {attr!r}.{did_you_mean(attr, names)}"
            )
        obj = getattr(obj, attr)
        if check_step is not None:
            check_step(obj, dotted, ".".join(attrs[i + 1:]))
    return obj


def _library_step(obj: Any, requested: str, rest: str) -> None:
    if isinstance(obj, _PLAIN_VALUES):
        return
    if not _is_library_object(obj):
        real = _real_name(obj) + (f".{rest}" if rest else "")
        raise UnsafeObjectError(
            f"{requested!r} is refused: it leads to {real!r}, not one of the library's own public "
            f"classes or functions; only those, a reviewed list of numpy/torch names and "
            f"packages you trust are reachable. {HOW_TO_ALLOW}"
        )


def resolve(dotted: str, library_only: bool = False) -> Any:
    """Return the class, function or value ``dotted`` names, if the allowlist permits it.

    ``library_only`` (model-file constructors) leaves out the reviewed numpy/torch names.
    Nothing outside the allowlist is imported: the check on the name comes first.
    """
    if not isinstance(dotted, str) or "." not in dotted:
        raise UnsafeObjectError(
            f"{dotted!r} is not a dotted path such as 'pylearn2.models.mlp.MLP'; builtins are "
            "not available from configuration files."
        )
    parts = dotted.split(".")
    user = user_prefixes()
    if _in_prefixes(dotted, user):
        return _walk(dotted, None)  # the user's own code, trusted as such
    if any(part.startswith("_") for part in parts):
        raise UnsafeObjectError(f"{dotted!r} is refused: private names (starting with '_') are not "
                                "reachable from configuration or model files.")
    if _in_prefixes(dotted, (LIBRARY,)):
        if _in_prefixes(dotted, _LIBRARY_DENIED):
            raise _refuse(dotted, "it would run the command-line tools, load files on the "
                                  "file's behalf or change the allowlist")
        obj = _walk(dotted, _library_step)
        _check_library(obj, dotted)
        return obj
    if not library_only and dotted in SAFE_EXTERNAL_NAMES:
        obj = _walk(dotted, None)
        return _bounded(dotted, obj) if dotted in _BOUNDED else obj
    if not library_only and _might_be_torch_family(dotted):
        obj = _walk(dotted, None)
        if _torch_family(dotted, obj):
            return obj
    where = "model-file constructors come from the library only" if library_only else (
        "only the library's own public names, the reviewed numpy/torch names listed in "
        "pylearn2.utils.allowlist.SAFE_EXTERNAL_NAMES (plus torch.nn layers) and packages you "
        "trust are reachable")
    raise UnsafeObjectError(f"{dotted!r} is not in the allowlist: {where}. {HOW_TO_ALLOW}")


def check_allowed(obj: Any, requested: str) -> None:
    """Raise :class:`UnsafeObjectError` unless ``requested`` resolves to ``obj`` itself."""
    found = resolve(requested)
    if found is not obj and getattr(found, "__wrapped__", None) is not obj:
        raise UnsafeObjectError(f"{requested!r} does not name the object it was given.")


def library_registry(package: str = LIBRARY) -> dict[str, Any]:
    """Every public class and function the library defines, by dotted name.

    Built by walking the package's modules each call, so new modules are included; modules
    that fail to import (an optional dependency missing) are skipped. The command-line tools
    and the allowlist itself are left out, as :func:`resolve` refuses them.
    """
    root = importlib.import_module(package)
    registry: dict[str, Any] = {}
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        name = info.name
        if any(p.startswith("_") for p in name.split(".")) or _in_prefixes(name, _LIBRARY_DENIED):
            continue
        try:
            module = importlib.import_module(name)
        except Exception:  # optional dependency absent: its names are simply unavailable
            continue
        for attr, obj in vars(module).items():
            if attr.startswith("_") or not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            if getattr(obj, "__module__", None) == name and not _takes_allow(obj):
                registry[f"{name}.{attr}"] = obj
    return registry


def _submodules(obj: Any) -> list[str]:
    path = getattr(obj, "__path__", None)
    return [m.name for m in pkgutil.iter_modules(path)] if path is not None else []
