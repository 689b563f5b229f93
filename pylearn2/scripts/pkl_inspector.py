"""``pkl_inspector.py FILE [FIELD ...]``: what each part of a saved file costs.

For a model file: its members' sizes, the time to load it and to write it again, and
the bytes each part of the object holds. FIELDs walk into the loaded object first, as
``.attribute``, ``[key]`` or an integer index: ``pkl_inspector.py model.pkl .layers 0``
reports on ``model.layers[0]``. ``.npy``/``.npz`` files report their arrays.
"""

from __future__ import annotations

import argparse
import os
import time
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from pylearn2.scripts._common import add_allow_flag, run_cli
from pylearn2.utils.exc import ConfigError


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pkl_inspector.py",
        description="Show how much of a saved file (model file, .npy or .npz) each part of the "
                    "stored object takes, and how long loading and writing it take. FIELDs "
                    "select a part first: .attribute, [key] or an integer index.")
    parser.add_argument("path", metavar="FILE", help="a saved model file, .npy or .npz")
    parser.add_argument("fields", nargs="*", metavar="FIELD",
                        help="e.g. .layers 0 (model.layers[0]) or [W] (a dict entry)")
    add_allow_flag(parser)
    return parser


def nbytes(obj: Any, seen: set[int] | None = None) -> int:
    """Bytes of the arrays and tensors reachable from ``obj`` (each storage counted once)."""
    seen = set() if seen is None else seen
    if isinstance(obj, torch.nn.Module):
        return sum(nbytes(t, seen) for t in obj.state_dict().values())
    if isinstance(obj, torch.Tensor):
        key = obj.untyped_storage().data_ptr() if obj.numel() else id(obj)
        if key in seen:
            return 0
        seen.add(key)
        return obj.numel() * obj.element_size()
    if isinstance(obj, np.ndarray):
        if id(obj) in seen:
            return 0
        seen.add(id(obj))
        return int(obj.nbytes)
    if isinstance(obj, Mapping):
        return sum(nbytes(v, seen) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(nbytes(v, seen) for v in obj)
    return 0


def parts(obj: Any) -> list[tuple[str, Any]]:
    """The named direct parts of ``obj`` whose sizes are worth listing."""
    if isinstance(obj, torch.nn.Module):
        own = [(f".{name}", t) for name, t in obj.named_parameters(recurse=False)]
        own += [(f".{name}", t) for name, t in obj.named_buffers(recurse=False)]
        children = [(f".{name}", m) for name, m in obj.named_children()]
        extra = [(f".{k}", v) for k, v in vars(obj).items()
                 if not k.startswith("_") and isinstance(v, (np.ndarray, Mapping, list, tuple))
                 and nbytes(v)]
        return own + children + extra
    if isinstance(obj, Mapping):
        return [(f"[{k}]", v) for k, v in obj.items()]
    if isinstance(obj, (list, tuple)):
        return [(f"[{i}]", v) for i, v in enumerate(obj)]
    return []


def select(obj: Any, fields: Sequence[str]) -> tuple[Any, str]:
    """Walk ``obj`` along FIELD arguments; returns the part and its name."""
    name = "root"
    for field in fields:
        try:
            if field.startswith("."):
                obj = getattr(obj, field[1:])
            elif field.startswith("[") and field.endswith("]"):
                obj = obj[field[1:-1]]
            elif field.lstrip("-").isdigit():
                obj = obj[int(field)]
            else:
                raise ConfigError(f"FIELD {field!r}: write .attribute, [key] or an integer "
                                  "index.")
        except (AttributeError, KeyError, IndexError, TypeError) as err:
            raise ConfigError(f"{name} has no {field} ({type(err).__name__}: {err}).") from None
        name += field if field.startswith((".", "[")) else f"[{field}]"
    return obj, name


def describe(obj: Any) -> str:
    if isinstance(obj, (torch.Tensor, np.ndarray)):
        return f"{type(obj).__name__} {tuple(obj.shape)} {obj.dtype}"
    kind = f"{type(obj).__module__}.{type(obj).__qualname__}"
    return kind.removeprefix("builtins.")


def report_members(path: str) -> None:
    if not zipfile.is_zipfile(path):
        return
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    width = max(len("member"), *(len(i.filename) for i in infos))
    print(f"{'member'.ljust(width)}  {'bytes':>12}")
    for info in infos:
        print(f"{info.filename.ljust(width)}  {info.file_size:>12,}")


def report_parts(obj: Any) -> None:
    listed = [(name, part, nbytes(part)) for name, part in parts(obj)]
    total = nbytes(obj) or 1
    if not listed:
        return
    width = max(len("part"), *(len(n) for n, _, _ in listed))
    print(f"{'part'.ljust(width)}  {'bytes':>12}  {'share':>6}  type")
    for name, part, size in sorted(listed, key=lambda item: -item[2]):
        print(f"{name.ljust(width)}  {size:>12,}  {size / total:>6.1%}  {describe(part)}")


def save_seconds(obj: Any) -> float | None:
    """Time to encode ``obj`` as a model file (None when it is not a savable object)."""
    from pylearn2.utils.serial.format import model_members

    if not (isinstance(obj, torch.nn.Module) and hasattr(obj, "_init_args")):
        return None
    start = time.perf_counter()
    model_members(obj)
    return time.perf_counter() - start


def run(args: argparse.Namespace) -> int:
    from pylearn2.utils import serial

    if not os.path.isfile(args.path):
        raise FileNotFoundError(2, "No such file", args.path)
    start = time.perf_counter()
    root = serial.load(args.path)
    loaded = time.perf_counter() - start
    print(f"file: {args.path} ({os.path.getsize(args.path):,} bytes); load time {loaded:.4f} s")
    report_members(args.path)
    obj, name = select(root, args.fields)
    print(f"{name}: {describe(obj)}, {nbytes(obj):,} bytes of arrays")
    text = str(obj)
    print(f"  {text if len(text) <= 300 else text[:297] + '...'}".replace("\n", "\n  "))
    seconds = save_seconds(obj)
    if seconds is not None:
        print(f"time to write {name} as a model file: {seconds:.4f} s")
    report_parts(obj)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
