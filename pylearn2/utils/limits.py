"""Resource limits for untrusted input: array sizes, nesting depth, file sizes, quoting.

Every limit has a default that real experiments stay far below and an environment variable
to raise it:

- ``PYLEARN2_MAX_ARRAY_ELEMENTS`` (default 100 million): the most elements one numpy or
  torch constructor named in a YAML file may create;
- ``PYLEARN2_MAX_NESTING`` (default 200): the deepest nesting of JSON in model files and of
  YAML documents;
- ``PYLEARN2_MAX_MEMBER_BYTES`` (default 4 GiB): the absolute cap on one uncompressed zip
  member of a model file (members are also capped relative to the file's own size).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from pylearn2.utils.exc import ConfigError

QUOTE_LIMIT = 80


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(float(raw))
    except ValueError:
        raise ConfigError(f"{name}={quote(raw)} is not a number; unset it or give an integer "
                          f"such as {default}.") from None
    if value <= 0:
        raise ConfigError(f"{name}={value} must be positive (default {default}).")
    return value


def max_array_elements() -> int:
    return _env_int("PYLEARN2_MAX_ARRAY_ELEMENTS", 100_000_000)


def max_nesting() -> int:
    return _env_int("PYLEARN2_MAX_NESTING", 200)


def max_member_bytes() -> int:
    return _env_int("PYLEARN2_MAX_MEMBER_BYTES", 4 << 30)


def quote(value: Any, limit: int = QUOTE_LIMIT) -> str:
    """``repr(value)`` cut to ``limit`` characters, saying how much was left out."""
    text = value if isinstance(value, str) else None
    shown = repr(text[: limit + 1]) if text is not None else _short_repr(value, limit)
    if len(shown) <= limit + 2:
        return shown
    total = f" of {len(text)} characters" if text is not None else ""
    return f"{shown[:limit]}... (cut{total})"


def _short_repr(value: Any, limit: int) -> str:
    if isinstance(value, (list, tuple, dict)) and len(value) > limit:
        return f"<{type(value).__name__} of {len(value)} items>"
    try:
        return repr(value)[: limit + 3]
    except Exception:  # a hostile __repr__ must not turn into a traceback
        return f"<{type(value).__name__}>"


def count_elements(value: Any, cap: int) -> int:
    """Leaf count of nested lists/tuples, stopping as soon as it passes ``cap``.

    Shared sub-lists (YAML aliases) are counted each time they appear, as numpy would copy
    them, but the walk stops early so a billion-fold alias bomb costs only ``cap`` steps.
    """
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
            total += 0 if item else 1
        else:
            total += 1
        if total > cap or len(stack) > cap:
            return cap + 1
    return total


def _product(shape: Any) -> float:
    if isinstance(shape, bool):
        return 1
    if isinstance(shape, (int, float)):
        return abs(shape)
    if isinstance(shape, Sequence) and not isinstance(shape, (str, bytes)):
        total = 1.0
        for dim in shape:
            total *= _product(dim)
        return total
    return 0


_SIZE_KEYWORDS = ("shape", "size", "num", "N", "M", "n")


def requested_elements(name: str, args: tuple, kwargs: dict) -> float:
    """How many elements ``name(*args, **kwargs)`` would create (an upper estimate)."""
    short = name.rsplit(".", 1)[-1]
    if short in ("array", "asarray", "tensor", "as_tensor"):
        return count_elements(args[0] if args else kwargs.get("object", kwargs.get("data")),
                              max_array_elements())
    if short == "arange":
        nums = [a for a in args if isinstance(a, (int, float))]
        start, stop, step = (0, nums[0], 1) if len(nums) == 1 else (nums + [1])[:3] \
            if nums else (0, 0, 1)
        step = kwargs.get("step", step) or 1
        return abs((kwargs.get("stop", stop) - kwargs.get("start", start)) / step)
    if short in ("linspace", "logspace"):
        return _product(kwargs.get("num", args[2] if len(args) > 2 else 50))
    if short in ("normal", "uniform", "binomial"):
        return _product(kwargs.get("size", args[2] if len(args) > 2 else 1))
    if short == "randint":
        sized = [a for a in args if isinstance(a, (list, tuple))]
        return _product(kwargs.get("size", sized[-1] if sized else
                                   (args[2] if name.startswith("numpy") and len(args) > 2
                                    else 1)))
    if short == "full":
        return _product(args[0] if args else kwargs.get("shape", kwargs.get("size", 1)))
    dims = [a for a in args] + [kwargs[k] for k in _SIZE_KEYWORDS if k in kwargs]
    if short in ("eye",) and len(dims) >= 1:
        rows = _product(dims[0])
        return rows * (_product(dims[1]) if len(dims) > 1 else rows)
    if short == "identity":
        return _product(dims[0]) ** 2 if dims else 0
    return _product(dims)


def check_array_request(name: str, args: tuple, kwargs: dict) -> None:
    """Refuse a numpy/torch constructor call that would create too many elements."""
    cap = max_array_elements()
    try:
        wanted = requested_elements(name, args, kwargs)
    except (TypeError, ValueError, ZeroDivisionError):
        return  # the constructor itself will reject these arguments
    if wanted > cap:
        raise ConfigError(
            f"{name}(...) would create about {wanted:.3g} elements, more than the limit of "
            f"{cap}; set PYLEARN2_MAX_ARRAY_ELEMENTS higher if you really need that much."
        )
