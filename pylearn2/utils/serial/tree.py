"""JSON forms of constructor-argument trees and of training state.

Two encodings live here, both used by model files and checkpoints (pylearn2.utils.serial):

**Constructor-argument trees** (:func:`encode_args` / :func:`decode_args`) describe how to
rebuild an object by calling constructors. Nodes:

- JSON scalars and ``None`` as themselves; numpy scalars become plain numbers;
- lists as lists; tuples as ``{"__tuple__": [...]}``; dicts (string keys only) as
  ``{"__dict__": {...}}``, so a user's dict can never be mistaken for a marker node;
- objects that record their arguments (``_init_args``, see pylearn2.utils.init_args) as
  ``{"__class__": "module.QualName", "args": {...}}``;
- numpy arrays and torch tensors as ``{"__ndarray__": nested list, "dtype": ..., "shape":
  [...]}`` (plus ``"torch": true`` for tensors). Meant for small arguments; a model's
  parameters are restored from its weights anyway;
- classes and functions as ``{"__import__": "module.name"}``; dtypes as ``{"__dtype__": ...}``;
- random generators (numpy ``Generator``/``RandomState``, ``torch.Generator``) as
  ``{"__unserializable__": "<type name>"}``: the argument is left out when the object is
  rebuilt, so the constructor's default is used. Learned values come from the weights, so
  only the seed used to *initialise* them is lost.

Every class and function is resolved through :mod:`pylearn2.utils.allowlist` on decoding.

**Training state** (:func:`to_jsonable` / :func:`from_jsonable`) splits nested state into
JSON data plus a flat dict of tensors that the JSON refers to by ``{"__tensor__": key}``.
Python ints of any size survive exactly (numpy ``bit_generator.state`` dicts included).
"""

from __future__ import annotations

import contextlib
import inspect
import sys
from collections.abc import Iterable
from typing import Any

import numpy as np
import torch

from pylearn2.utils import allowlist
from pylearn2.utils.exc import ModelFileError, Pylearn2Error, UnsafeObjectError

UNSERIALIZABLE = "__unserializable__"
# Earlier files of format version 1 wrote the same placeholder under this key.
_LEGACY_UNSERIALIZABLE = "__default__"
_RANDOM_TYPES = (np.random.Generator, np.random.RandomState, torch.Generator)
_ARRAY_KINDS = "biuf"  # bool, signed, unsigned, float: what JSON lists can hold exactly

ARGS_HINT = ("Constructor arguments must be numbers, strings, None, lists, tuples, dicts "
             "with string keys, small arrays, or objects that record their own arguments "
             "(classes deriving from pylearn2.utils.init_args.InitArgsMixin).")


# -- constructor-argument trees -----------------------------------------------------------
def encode_args(value: Any, where: str = "") -> Any:
    """JSON-able tree of ``value``; objects become ``{"__class__", "args"}`` nodes.

    ``where`` names the value in error messages (e.g. ``args.layers[1].args.rng``).
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if isinstance(value, tuple):
        return {"__tuple__": [encode_args(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [encode_args(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        bad = [k for k in value if not isinstance(k, str)]
        if bad:
            raise ModelFileError(f"{where or 'the value'}: dictionary key {bad[0]!r} is a "
                                 f"{type(bad[0]).__name__}; model files need string keys.")
        return {"__dict__": {k: encode_args(v, f"{where}[{k!r}]") for k, v in value.items()}}
    if isinstance(value, (np.ndarray, torch.Tensor)):
        return _encode_array(value, where)
    if isinstance(value, _RANDOM_TYPES):
        return {UNSERIALIZABLE: type(value).__name__}
    if isinstance(value, (torch.dtype, np.dtype)):
        is_torch = isinstance(value, torch.dtype)
        return {"__dtype__": str(value).removeprefix("torch."), "torch": is_torch}
    if not isinstance(value, type) and hasattr(value, "_init_args"):
        path = _importable_path(value, where)
        prefix = f"{where}.args" if where else "args"
        args = {k: encode_args(v, f"{prefix}.{k}") for k, v in value._init_args.items()}
        return {"__class__": path, "args": args}
    if inspect.isclass(value) or inspect.isroutine(value) or isinstance(value, np.ufunc):
        return {"__import__": _importable_path(value, where)}
    raise ModelFileError(
        f"{where or 'the object'}: cannot store a {type(value).__module__}."
        f"{type(value).__qualname__} in a model file. {ARGS_HINT}"
    )


def _importable_path(obj: Any, where: str) -> str:
    """'module.name' under which ``obj`` (or its class) can be found again when loading."""
    named = inspect.isclass(obj) or inspect.isroutine(obj) or isinstance(obj, np.ufunc)
    target = obj if named else type(obj)
    module = "numpy" if isinstance(obj, np.ufunc) else getattr(target, "__module__", None)
    names = (getattr(target, "__qualname__", None), getattr(target, "__name__", None))
    for name in dict.fromkeys(n for n in names if n):
        found = sys.modules.get(module) if isinstance(module, str) else None
        for part in name.split("."):
            found = getattr(found, part, None)
        if found is target:
            return f"{module}.{name}"
    raise ModelFileError(
        f"{where or 'the object'}: {module}.{names[0]} cannot be found again by name when the "
        "file is loaded (defined inside a function, or not a module-level name); define it "
        "at module level."
    )


def _encode_array(value: np.ndarray | torch.Tensor, where: str) -> dict[str, Any]:
    node: dict[str, Any] = {}
    if isinstance(value, torch.Tensor):
        node = {"torch": True, "dtype": str(value.dtype).removeprefix("torch.")}
        tensor = value.detach().cpu()
        if tensor.dtype in (torch.bfloat16, torch.float16):
            tensor = tensor.float()  # exact: both widen to float32 without rounding
        try:
            array = tensor.numpy()
        except TypeError:
            array = np.asarray([], dtype=object)
    else:
        array = value
        node = {"dtype": str(array.dtype)}
    if array.dtype.kind not in _ARRAY_KINDS:
        raise ModelFileError(f"{where or 'the array'}: arrays of dtype {value.dtype} cannot be "
                             f"stored in a model file. {ARGS_HINT}")
    return {"__ndarray__": array.tolist(), "shape": list(array.shape), **node}


def decode_args(node: Any, allow: str | Iterable[str] | None = None, where: str = "") -> Any:
    """Rebuild what :func:`encode_args` stored, resolving every class through the allowlist.

    ``allow`` names extra modules (package prefixes) allowed for this call only.
    """
    with allowlist.allowing(allow):
        return _decode(node, where)


def _decode(node: Any, where: str) -> Any:
    if isinstance(node, list):
        return [_decode(v, f"{where}[{i}]") for i, v in enumerate(node)]
    if not isinstance(node, dict):
        return node
    if "__tuple__" in node:
        return tuple(_decode(v, f"{where}[{i}]")
                     for i, v in enumerate(_expect(node["__tuple__"], list, where)))
    if "__dict__" in node:
        items = _expect(node["__dict__"], dict, where).items()
        return {k: _decode(v, f"{where}[{k!r}]") for k, v in items}
    if "__ndarray__" in node:
        return _decode_array(node, where)
    if "__dtype__" in node:
        return _decode_dtype(node, where)
    if "__import__" in node:
        return _resolve(_expect(node["__import__"], str, where), where)
    if "__class__" in node:
        return _construct(node, where)
    raise ModelFileError(f"{where or 'the tree'}: unknown node with keys {sorted(node)} in the "
                         "constructor-argument tree; the file is damaged or from another tool.")


def _expect(value: Any, kind: type, where: str) -> Any:
    if not isinstance(value, kind):
        raise ModelFileError(f"{where or 'the tree'}: expected a {kind.__name__} in the "
                             f"constructor-argument tree, found {type(value).__name__}.")
    return value


def _is_placeholder(node: Any) -> bool:
    return isinstance(node, dict) and (UNSERIALIZABLE in node or _LEGACY_UNSERIALIZABLE in node)


# Classes that moved: files written before the move name the old path.
MOVED = {
    "pylearn2.models.mlp.layer.MLP": "pylearn2.models.mlp.mlp.MLP",
}


def _resolve(dotted: str, where: str, library_only: bool = False) -> Any:
    dotted = MOVED.get(dotted, dotted)
    try:
        return allowlist.resolve(dotted, library_only=library_only)
    except UnsafeObjectError as err:
        raise UnsafeObjectError(f"{where or 'the model'}: {err}") from None
    except ImportError as err:
        raise ModelFileError(f"{where or 'the model'}: cannot import {dotted!r} ({err}); "
                             "install the package that defines it.") from None


def _construct(node: dict[str, Any], where: str) -> Any:
    dotted = _expect(node["__class__"], str, where)
    target = _resolve(dotted, where, library_only=True)  # constructors: library (or trusted) only
    prefix = f"{where}.args" if where else "args"
    raw = _expect(node.get("args", {}), dict, where)
    kwargs = {k: _decode(v, f"{prefix}.{k}") for k, v in raw.items() if not _is_placeholder(v)}
    try:
        return target(**kwargs)
    except Pylearn2Error:
        raise
    except Exception as err:
        raise ModelFileError(
            f"{where or 'the model'}: rebuilding {dotted} from its stored arguments failed "
            f"({type(err).__name__}: {err}). The file may come from a different version of "
            "the code that defines this class."
        ) from err


def _decode_array(node: dict[str, Any], where: str) -> np.ndarray | torch.Tensor:
    try:
        if node.get("torch"):
            dtype = getattr(torch, str(node["dtype"]), None)
            if not isinstance(dtype, torch.dtype):
                raise ValueError(f"unknown torch dtype {node['dtype']!r}")
            out = torch.tensor(node["__ndarray__"], dtype=dtype)
            return out.reshape(node.get("shape", out.shape))
        array = np.asarray(node["__ndarray__"], dtype=np.dtype(node["dtype"]))
        return array.reshape(node.get("shape", array.shape))
    except (TypeError, ValueError, RuntimeError) as err:
        raise ModelFileError(f"{where or 'the tree'}: damaged array node ({err}).") from None


def _decode_dtype(node: dict[str, Any], where: str) -> np.dtype | torch.dtype:
    name = str(node["__dtype__"])
    if node.get("torch"):
        dtype = getattr(torch, name, None)
        if isinstance(dtype, torch.dtype):
            return dtype
    else:
        with contextlib.suppress(TypeError):
            return np.dtype(name)
    raise ModelFileError(f"{where or 'the tree'}: unknown dtype {name!r}.")


# -- training state: JSON plus tensors ------------------------------------------------------
def to_jsonable(tree: Any, where: str = "state") -> tuple[Any, dict[str, torch.Tensor]]:
    """Split nested state into JSON-able data and the tensors it refers to.

    Tensors and numpy arrays are replaced by ``{"__tensor__": key}`` (arrays also carry
    ``"numpy": true`` so they come back as arrays); dicts with non-string keys keep their
    keys as ``[key, value]`` pairs; tuples stay tuples. Tensors are copied to the CPU.
    """
    tensors: dict[str, torch.Tensor] = {}

    def walk(node: Any, at: str) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, (np.integer, np.floating, np.bool_)):
            return node.item()
        if isinstance(node, torch.Tensor):
            key = f"t{len(tensors)}"
            tensors[key] = node.detach().cpu().contiguous().clone()
            return {"__tensor__": key}
        if isinstance(node, np.ndarray):
            try:
                tensor = torch.from_numpy(np.ascontiguousarray(node).copy())
            except TypeError:
                raise ModelFileError(f"{at}: numpy arrays of dtype {node.dtype} cannot be "
                                     "stored in a checkpoint.") from None
            key = f"t{len(tensors)}"
            tensors[key] = tensor
            return {"__tensor__": key, "numpy": True}
        if isinstance(node, dict):
            if all(isinstance(k, str) for k in node):
                return {"__dict__": {k: walk(v, f"{at}[{k!r}]") for k, v in node.items()}}
            return {"__items__": [[walk(k, f"{at}.<key>"), walk(v, f"{at}[{k!r}]")]
                                  for k, v in node.items()]}
        if isinstance(node, tuple):
            return {"__tuple__": [walk(v, f"{at}[{i}]") for i, v in enumerate(node)]}
        if isinstance(node, list):
            return [walk(v, f"{at}[{i}]") for i, v in enumerate(node)]
        hint = (" Store `generator.bit_generator.state` (numpy) or `generator.get_state()` "
                "(torch) instead." if isinstance(node, _RANDOM_TYPES) else "")
        raise ModelFileError(f"{at}: cannot store a {type(node).__qualname__} in a checkpoint; "
                             "state must be numbers, strings, lists, tuples, dicts, tensors "
                             f"or arrays.{hint}")

    return walk(tree, where), tensors


def from_jsonable(tree: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """Inverse of :func:`to_jsonable`."""
    if isinstance(tree, list):
        return [from_jsonable(v, tensors) for v in tree]
    if not isinstance(tree, dict):
        return tree
    if "__tensor__" in tree:
        key = tree["__tensor__"]
        if key not in tensors:
            raise ModelFileError(f"Checkpoint state refers to tensor {key!r}, which the file "
                                 "lacks; the file is damaged.")
        tensor = tensors[key]
        return tensor.numpy() if tree.get("numpy") else tensor
    if "__dict__" in tree:
        return {k: from_jsonable(v, tensors) for k, v in tree["__dict__"].items()}
    if "__items__" in tree:
        return {from_jsonable(k, tensors): from_jsonable(v, tensors) for k, v in tree["__items__"]}
    if "__tuple__" in tree:
        return tuple(from_jsonable(v, tensors) for v in tree["__tuple__"])
    raise ModelFileError(f"Unknown node with keys {sorted(tree)} in checkpoint state; the file "
                         "is damaged or from another tool.")

