"""Model files and checkpoints: zip archives of JSON and safetensors, never pickles.

A model file (whatever its extension, ``.pkl`` included) holds:

- ``manifest.json``: format name and version, library version, the model's class path
  and its constructor-argument tree (``{"__class__": path, "args": {...}}`` nodes);
- ``weights.safetensors``: the model's ``state_dict()``;
- ``monitor.json``: the monitor's channels and counters;
- ``dataset.yaml``: the YAML source of the training dataset, for analysis tools;
- ``tag.json``: the model's free-form ``tag`` dictionary.

A checkpoint adds ``state.json`` + ``state.safetensors`` (algorithm, learning rule,
iterator, extension and RNG state). Loading resolves every class through the allowlist
(pylearn2.utils.allowlist) and rebuilds the model by calling its constructor; nothing is
ever unpickled. Writes go to a temporary file in the same folder, are fsynced and then
renamed into place; an existing file is kept as ``<path>.bak`` until the new one is whole.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import zipfile
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

import pylearn2
from pylearn2.utils.allowlist import resolve
from pylearn2.utils.exc import ModelFileError, Pylearn2Error
from pylearn2.utils.init_args import class_path

log = logging.getLogger(__name__)

FORMAT_NAME = "pylearn2-model"
FORMAT_VERSION = 1
_UNSERIALIZABLE = "__default__"


# -- constructor-argument trees -----------------------------------------------------------
def encode_args(value: Any, where: str = "args") -> Any:
    """Turn constructor arguments into JSON-able data (objects become class + args nodes)."""
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
            raise ModelFileError(f"{where}: dictionary keys must be strings, got {bad[0]!r}.")
        return {"__dict__": {k: encode_args(v, f"{where}.{k}") for k, v in value.items()}}
    if isinstance(value, (np.ndarray, torch.Tensor)):
        array = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value
        return {"__ndarray__": array.tolist(), "dtype": str(array.dtype)}
    if isinstance(value, (np.random.Generator, np.random.RandomState, torch.Generator)):
        return {_UNSERIALIZABLE: type(value).__name__}
    if hasattr(value, "_init_args"):
        args = {k: encode_args(v, f"{where}.{k}") for k, v in value._init_args.items()}
        return {"__class__": class_path(value), "args": args}
    if isinstance(value, type) or callable(value):
        name = getattr(value, "__qualname__", None)
        module = getattr(value, "__module__", None)
        if name and module and "<" not in name:
            return {"__import__": f"{module}.{name}"}
    raise ModelFileError(
        f"{where}: cannot store a {type(value).__name__} in a model file. Constructor "
        "arguments must be numbers, strings, lists, dicts, arrays or pylearn2 objects."
    )


def decode_args(value: Any, allow: Any = None) -> Any:
    """Inverse of :func:`encode_args`: rebuild objects, resolving classes via the allowlist."""
    if isinstance(value, list):
        return [decode_args(v, allow) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tuple__" in value:
        return tuple(decode_args(v, allow) for v in value["__tuple__"])
    if "__dict__" in value:
        return {k: decode_args(v, allow) for k, v in value["__dict__"].items()}
    if "__ndarray__" in value:
        return np.asarray(value["__ndarray__"], dtype=np.dtype(value["dtype"]))
    if _UNSERIALIZABLE in value:
        return None
    if "__import__" in value:
        return _resolve(value["__import__"], allow)
    if "__class__" in value:
        cls = _resolve(value["__class__"], allow)
        kwargs = {k: decode_args(v, allow) for k, v in value.get("args", {}).items()}
        kwargs = {k: v for k, v in kwargs.items() if not _is_default_marker(value["args"][k])}
        try:
            return cls(**kwargs)
        except Pylearn2Error:
            raise
        except Exception as err:
            raise ModelFileError(f"Rebuilding {value['__class__']} failed: {err}") from err
    raise ModelFileError(f"Unknown node in the constructor-argument tree: {sorted(value)}.")


def _is_default_marker(node: Any) -> bool:
    return isinstance(node, dict) and _UNSERIALIZABLE in node


def _resolve(dotted: str, allow: Any) -> Any:
    from pylearn2.utils.allowlist import allow_module

    for module in ([allow] if isinstance(allow, str) else list(allow or [])):
        allow_module(module)
    return resolve(dotted)


# -- JSON + tensors for checkpoint state ----------------------------------------------------
def to_jsonable(tree: Any) -> tuple[Any, dict[str, torch.Tensor]]:
    """Split a nested state into JSON data and a flat dict of tensors it refers to."""
    tensors: dict[str, torch.Tensor] = {}

    def walk(node: Any) -> Any:
        if isinstance(node, torch.Tensor):
            key = f"t{len(tensors)}"
            tensors[key] = node.detach().cpu().contiguous().clone()
            return {"__tensor__": key}
        if isinstance(node, np.ndarray):
            key = f"t{len(tensors)}"
            tensors[key] = torch.from_numpy(np.ascontiguousarray(node).copy())
            return {"__tensor__": key, "numpy": True}
        if isinstance(node, dict):
            if all(isinstance(k, str) for k in node):
                return {"__dict__": {k: walk(v) for k, v in node.items()}}
            return {"__items__": [[walk(k), walk(v)] for k, v in node.items()]}
        if isinstance(node, tuple):
            return {"__tuple__": [walk(v) for v in node]}
        if isinstance(node, list):
            return [walk(v) for v in node]
        if isinstance(node, (np.integer, np.floating, np.bool_)):
            return node.item()
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        raise ModelFileError(f"Cannot store a {type(node).__name__} in a checkpoint.")

    return walk(tree), tensors


def from_jsonable(tree: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(tree, list):
        return [from_jsonable(v, tensors) for v in tree]
    if not isinstance(tree, dict):
        return tree
    if "__tensor__" in tree:
        tensor = tensors[tree["__tensor__"]]
        return tensor.numpy() if tree.get("numpy") else tensor
    if "__dict__" in tree:
        return {k: from_jsonable(v, tensors) for k, v in tree["__dict__"].items()}
    if "__items__" in tree:
        return {from_jsonable(k, tensors): from_jsonable(v, tensors) for k, v in tree["__items__"]}
    if "__tuple__" in tree:
        return tuple(from_jsonable(v, tensors) for v in tree["__tuple__"])
    raise ModelFileError(f"Unknown node in checkpoint state: {sorted(tree)}.")


# -- atomic writes ----------------------------------------------------------------------------
def atomic_write(path: str, write: Callable[[Any], None], on_overwrite: str = "backup") -> None:
    """Write ``path`` through ``write(file)`` into a temp file, fsync, then rename into place.

    With ``on_overwrite='backup'`` an existing file is kept as ``<path>.bak`` until the new
    one is in place; if anything fails, the previous file is left (or put back) at ``path``.
    """
    if on_overwrite not in ("backup", "ignore"):
        raise ValueError(f"on_overwrite must be 'backup' or 'ignore', got {on_overwrite!r}")
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix="-" + os.path.basename(path), dir=folder)
    backup = path + ".bak"
    backed_up = False
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if on_overwrite == "backup" and os.path.exists(path):
            os.replace(path, backup)
            backed_up = True
        os.replace(tmp, path)
        _fsync_dir(folder)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        if backed_up and not os.path.exists(path):
            os.replace(backup, path)
        raise
    if backed_up:
        try:
            os.remove(backup)
        except OSError as err:
            log.warning("Could not remove the backup %s: %s", backup, err)


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- model files ------------------------------------------------------------------------------
def _model_members(model: Any) -> dict[str, bytes]:
    state = {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    manifest = {
        "format": FORMAT_NAME, "format_version": FORMAT_VERSION,
        "library_version": pylearn2.__version__,
        "class": class_path(model), "model": encode_args(model),
    }
    members = {"manifest.json": json.dumps(manifest, indent=1).encode(),
               "weights.safetensors": st_save(state)}
    monitor = getattr(model, "monitor", None)
    if monitor is not None:
        members["monitor.json"] = json.dumps(monitor.state_dict()).encode()
    if getattr(model, "dataset_yaml_src", None):
        members["dataset.yaml"] = model.dataset_yaml_src.encode()
    if getattr(model, "tag", None):
        members["tag.json"] = json.dumps(model.tag).encode()
    return members


def _write_zip(members: dict[str, bytes]) -> Callable[[Any], None]:
    def write(handle: Any) -> None:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
            for name, data in members.items():
                archive.writestr(name, data)
    return write


def save(path: str, model: Any, on_overwrite: str = "backup") -> None:
    """Save ``model`` as a model file at ``path`` (atomic; see the module docstring)."""
    if str(path).endswith(".npy"):
        atomic_write(path, lambda h: np.save(h, np.asarray(model), allow_pickle=False),
                     on_overwrite)
        return
    atomic_write(str(path), _write_zip(_model_members(model)), on_overwrite)


def save_checkpoint(path: str, model: Any, state: dict[str, Any]) -> None:
    """A model file plus training state (``state.json`` and ``state.safetensors``)."""
    members = _model_members(model)
    tree, tensors = to_jsonable(state)
    members["state.json"] = json.dumps(tree).encode()
    members["state.safetensors"] = st_save(tensors)
    atomic_write(str(path), _write_zip(members), "backup")


def _open(path: str) -> zipfile.ZipFile:
    if not os.path.exists(path):
        raise FileNotFoundError(2, "No such file", path)
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head[:1] == b"\x80" or not head.startswith(b"PK"):
        kind = "a Python pickle" if head[:1] == b"\x80" else "not a pylearn2 model file"
        raise ModelFileError(
            f"{path}: this is {kind}. pylearn2 model files are zip archives of JSON and "
            "safetensors; pickled models are never loaded, because unpickling can run "
            "arbitrary code."
        )
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile as err:
        raise ModelFileError(f"{path}: corrupt or truncated model file ({err}).") from err


def _read(archive: zipfile.ZipFile, name: str, path: str, required: bool = True) -> bytes | None:
    try:
        return archive.read(name)
    except KeyError:
        if required:
            raise ModelFileError(f"{path}: the model file lacks {name}; it is incomplete.") \
                from None
        return None
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise ModelFileError(f"{path}: cannot read {name} ({err}); the file is corrupt.") \
            from err


def _load_model(archive: zipfile.ZipFile, path: str, allow: Any) -> Any:
    try:
        manifest = json.loads(_read(archive, "manifest.json", path))
    except json.JSONDecodeError as err:
        raise ModelFileError(f"{path}: manifest.json is not valid JSON ({err}).") from err
    if manifest.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{path}: not a pylearn2 model file (format "
                             f"{manifest.get('format')!r}).")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(f"{path}: model-file format version {version} is newer than this "
                             f"library understands ({FORMAT_VERSION}); upgrade pylearn2.")
    model = decode_args(manifest["model"], allow)
    try:
        weights = st_load(_read(archive, "weights.safetensors", path))
    except Pylearn2Error:
        raise
    except Exception as err:
        raise ModelFileError(f"{path}: weights.safetensors is corrupt ({err}).") from err
    _load_weights(model, weights, path)
    monitor_data = _read(archive, "monitor.json", path, required=False)
    if monitor_data is not None:
        from pylearn2.monitor import Monitor

        model.monitor = Monitor(model)
        model.monitor.load_state_dict(json.loads(monitor_data))
    dataset_yaml = _read(archive, "dataset.yaml", path, required=False)
    if dataset_yaml is not None:
        model.dataset_yaml_src = dataset_yaml.decode()
    tag = _read(archive, "tag.json", path, required=False)
    if tag is not None:
        model.tag = json.loads(tag)
    return model


def _load_weights(model: Any, weights: dict[str, torch.Tensor], path: str) -> None:
    expected = model.state_dict()
    missing = sorted(set(expected) - set(weights))
    unexpected = sorted(set(weights) - set(expected))
    wrong = [f"{k}: file {tuple(weights[k].shape)} vs model {tuple(expected[k].shape)}"
             for k in expected if k in weights and weights[k].shape != expected[k].shape]
    if missing or unexpected or wrong:
        raise ModelFileError(
            f"{path}: the weights do not fit the model rebuilt from its manifest "
            f"(missing {missing}, unexpected {unexpected}, shape mismatches {wrong})."
        )
    with torch.no_grad():
        model.load_state_dict(weights, strict=True)


def load(path: str, allow: Any = None) -> Any:
    """Load a model file (or a ``.npy``/``.npz`` array file) without unpickling anything."""
    path = str(path)
    if path.endswith(".npy"):
        return np.load(path, allow_pickle=False)
    if path.endswith(".npz"):
        with np.load(path, allow_pickle=False) as data:
            return dict(data)
    with _open(path) as archive:
        return _load_model(archive, path, allow)


def load_checkpoint(path: str, allow: Any = None) -> tuple[Any, dict[str, Any]]:
    """(model, training state) from a checkpoint written by :func:`save_checkpoint`."""
    with _open(path) as archive:
        model = _load_model(archive, path, allow)
        tree = json.loads(_read(archive, "state.json", path))
        tensors = st_load(_read(archive, "state.safetensors", path))
    return model, from_jsonable(tree, tensors)


def load_train_file(config_file_path: str, environ: dict[str, str] | None = None) -> Any:
    """Set the PYLEARN2_TRAIN_* variables from the file name and load the YAML file."""
    from pylearn2.config.yaml_parse import load_train_file as _load_train_file

    return _load_train_file(config_file_path, environ=environ)

