"""Model files and checkpoints: zip archives of JSON and safetensors, never pickles.

A model file (whatever its extension, ``.pkl`` included, so experiment files that name
``model.pkl`` keep working) is a zip archive holding:

- ``manifest.json``: format name (``pylearn2-model``) and version, library version, the
  model's class path, its constructor-argument tree (see pylearn2.utils.serial.tree) and
  the dtype of its floating-point tensors;
- ``weights.safetensors``: the model's ``state_dict()``;
- ``monitor.json``: ``model.monitor.state_dict()`` (channels and counters), when present;
- ``pushed_monitors.json``: the monitors that ``push_monitor`` moved aside for continued
  training (``{attribute name: state}``), when there are any;
- ``dataset.yaml``: ``model.dataset_yaml_src``, the training dataset's YAML source;
- ``tag.json``: ``model.tag``, a free-form JSON-able dictionary.

A checkpoint adds ``state.json`` + ``state.safetensors``: the training state (algorithm,
learning rule, iterator, extension and RNG state) needed to resume exactly.

Loading rebuilds the model by calling the constructors named in the manifest (each
resolved through pylearn2.utils.allowlist) and then loads the weights. Only zipfile, json
and safetensors read the file: nothing is ever unpickled, so a model file from an
untrusted source cannot run code beyond the allowlisted constructors. Files are written
atomically (pylearn2.utils.serial.atomic). Models come back on the CPU.
"""

from __future__ import annotations

import json
import os
import warnings
import zipfile
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

import pylearn2
from pylearn2.utils.allowlist import allowing
from pylearn2.utils.exc import ConfigError, DataNotFoundError, ModelFileError, Pylearn2Error
from pylearn2.utils.init_args import class_path
from pylearn2.utils.limits import quote
from pylearn2.utils.serial.atomic import atomic_write
from pylearn2.utils.serial.bounds import check_json_depth, read_bounded, refuse_dtype_changes
from pylearn2.utils.serial.tree import (
    decode_args,
    encode_args,
    from_jsonable,
    to_jsonable,
)

__all__ = [
    "FORMAT_NAME", "FORMAT_VERSION", "atomic_write", "decode_args", "encode_args",
    "from_jsonable", "load", "load_checkpoint", "pushed_monitors", "register_monitor_type",
    "read_manifest",
    "read_member", "save", "save_checkpoint", "to_jsonable",
]

FORMAT_NAME = "pylearn2-model"
FORMAT_VERSION = 1
MODEL_MEMBERS = ("manifest.json", "weights.safetensors", "monitor.json",
                 "pushed_monitors.json", "dataset.yaml", "tag.json")
STATE_MEMBERS = ("state.json", "state.safetensors")
Allow = str | Iterable[str] | None

_NOT_PICKLE = ("pylearn2 model files are zip archives of JSON and safetensors; pickled "
               "models are never loaded, for safety, because unpickling can run arbitrary "
               "code. A model pickled by the original Pylearn2 converts safely (nothing in "
               "it runs) with `pylearn2 convert OLD.pkl NEW.pkl`; otherwise re-create the "
               "model from its YAML file and train or save it again.")


# -- saving ------------------------------------------------------------------------------------
def save(path: str | os.PathLike, model: Any, on_overwrite: str = "backup",
         extra: Mapping[str, bytes | str] | None = None) -> None:
    """Write ``model`` to ``path`` atomically (see the module docstring for the contents).

    ``on_overwrite``: ``'backup'`` keeps an existing file as ``<path>.bak`` until the new one
    is in place, ``'ignore'`` just replaces it. ``extra``: additional archive members
    (name -> bytes or text), e.g. notes; :func:`read_member` reads them back.
    A numpy array is written in ``.npy`` format and a dict of arrays in ``.npz`` format
    instead, so :func:`load` (and the YAML ``!pkl:`` tag) can read plain arrays too.
    """
    if isinstance(model, np.ndarray):
        atomic_write(path, lambda h: np.save(h, model, allow_pickle=False), on_overwrite)
        return
    if isinstance(model, Mapping) and model and all(isinstance(v, np.ndarray)
                                                     for v in model.values()):
        arrays = {str(k): v for k, v in model.items()}
        atomic_write(path, lambda h: np.savez(h, **arrays), on_overwrite)
        return
    members = model_members(model)
    members.update(_extra_members(extra, reserved=MODEL_MEMBERS + STATE_MEMBERS))
    atomic_write(path, _zip_writer(members), on_overwrite)


def save_checkpoint(path: str | os.PathLike, model: Any, state: dict[str, Any],
                    on_overwrite: str = "backup") -> None:
    """Write a model file plus ``state`` (nested JSON-able data, tensors, arrays).

    Tensors inside ``state`` go to ``state.safetensors`` and are referred to from
    ``state.json``; see :func:`pylearn2.utils.serial_tree.to_jsonable`.
    """
    members = model_members(model)
    tree, tensors = to_jsonable(state)
    members["state.json"] = _json_bytes(tree, "the training state")
    members["state.safetensors"] = st_save(tensors)
    atomic_write(path, _zip_writer(members), on_overwrite)


def model_members(model: Any) -> dict[str, bytes]:
    """The archive members (name -> bytes) that describe ``model``."""
    if not isinstance(model, torch.nn.Module) or not hasattr(model, "_init_args"):
        raise ModelFileError(
            f"Cannot save a {type(model).__qualname__}: model files hold torch modules that "
            "record their constructor arguments (subclasses of pylearn2.models.model.Model, or "
            "of torch.nn.Module and pylearn2.utils.init_args.InitArgsMixin)."
        )
    state = model.state_dict()
    bad = [k for k, v in state.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise ModelFileError(f"{class_path(model)}.state_dict() holds non-tensor entries "
                             f"{bad}; model weights must be tensors.")
    # Cloned contiguous CPU copies: safetensors refuses views and shared storage.
    weights = {k: v.detach().cpu().contiguous().clone() for k, v in state.items()}
    floating = sorted({str(v.dtype).removeprefix("torch.")
                       for v in weights.values() if v.is_floating_point()})
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "library_version": pylearn2.__version__,
        "torch_version": torch.__version__,
        "class": class_path(model),
        "dtype": floating[0] if len(floating) == 1 else ("mixed" if floating else None),
        "model": encode_args(model),
    }
    members = {"manifest.json": _json_bytes(manifest, "the constructor-argument tree"),
               "weights.safetensors": st_save(weights)}
    monitor = getattr(model, "monitor", None)
    if monitor is not None:
        members["monitor.json"] = _json_bytes(monitor.state_dict(), "model.monitor.state_dict()")
    pushed = {name: value.state_dict() for name, value in pushed_monitors(model).items()}
    if pushed:
        members["pushed_monitors.json"] = _json_bytes(pushed, "the pushed monitors")
    yaml_src = getattr(model, "dataset_yaml_src", None)
    if yaml_src is not None:
        members["dataset.yaml"] = str(yaml_src).encode()
    tag = getattr(model, "tag", None)
    if tag is not None:
        members["tag.json"] = _json_bytes(dict(tag), "model.tag")
    return members


def _json_bytes(data: Any, what: str) -> bytes:
    try:
        return json.dumps(data, indent=1).encode()
    except (TypeError, ValueError) as err:
        raise ModelFileError(f"Cannot write {what} as JSON ({err}); it must hold only "
                             "numbers, strings, lists and dicts with string keys.") from err


def _extra_members(extra: Mapping[str, bytes | str] | None,
                   reserved: tuple[str, ...]) -> dict[str, bytes]:
    members = {}
    for name, data in (extra or {}).items():
        if name in reserved or not isinstance(name, str) or not name:
            raise ConfigError(f"extra member name {name!r} is empty or reserved "
                              f"({', '.join(reserved)}); choose another name.")
        members[name] = data.encode() if isinstance(data, str) else bytes(data)
    return members


def _zip_writer(members: dict[str, bytes]):
    def write(handle: Any) -> None:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
            for name, data in members.items():
                archive.writestr(name, data)
    return write


# -- loading -----------------------------------------------------------------------------------
def load(path: str | os.PathLike, allow: Allow = None) -> Any:
    """Load a model file; ``.npy``/``.npz`` content comes back as an array / dict of arrays.

    The kind is read from the file's content, not its extension. ``allow`` names extra
    modules (package prefixes) whose classes the manifest may use, for this call only;
    see pylearn2.utils.allowlist for the permanent ways.
    """
    path = os.fspath(path)
    head = _head(path)
    if head.startswith(b"\x93NUMPY"):
        return _load_numpy(path)
    with _open_zip(path) as archive:
        names = set(archive.namelist())
        if "manifest.json" not in names and names and all(n.endswith(".npy") for n in names):
            return _load_numpy(path)
        if "collection.json" in names:  # several models: a list (see serial.collection)
            from pylearn2.utils.serial.collection import load_collection

            return load_collection(archive, path, lambda inner, where: _load_model(inner, where,
                                                                                   allow))
        return _load_model(archive, path, allow)


def load_checkpoint(path: str | os.PathLike, allow: Allow = None) -> tuple[Any, dict[str, Any]]:
    """``(model, state)`` from a file written by :func:`save_checkpoint`."""
    path = os.fspath(path)
    _head(path)
    with _open_zip(path) as archive:
        model = _load_model(archive, path, allow)
        if "state.json" not in archive.namelist():
            raise ModelFileError(f"{path} is a model file without training state, not a "
                                 "checkpoint; load it with pylearn2.utils.serial.load.")
        tree = _read_json(archive, path, "state.json")
        raw = _read(archive, path, "state.safetensors", required=False)
        tensors = _safetensors(raw, path, "state.safetensors") if raw is not None else {}
    return model, from_jsonable(tree, tensors)


def read_manifest(path: str | os.PathLike) -> dict[str, Any]:
    """The manifest of a model file, checked but without building the model."""
    path = os.fspath(path)
    _head(path)
    with _open_zip(path) as archive:
        return _manifest(archive, path)


def read_member(path: str | os.PathLike, name: str) -> bytes | None:
    """Raw bytes of one archive member (e.g. an ``extra`` one), or None when absent."""
    path = os.fspath(path)
    _head(path)
    with _open_zip(path) as archive:
        return _read(archive, path, name, required=False)


def _head(path: str) -> bytes:
    """First bytes of ``path``; refuses missing files, folders and pickles."""
    if not os.path.exists(path):
        raise DataNotFoundError(f"Model file {path} does not exist.")
    if os.path.isdir(path):
        raise ModelFileError(f"{path} is a folder, not a model file.")
    if not os.path.isfile(path):  # a FIFO or device would block or never end
        raise ModelFileError(f"{path} is not a regular file (a FIFO, socket or device); "
                             "name a saved model file.")
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith((b"PK", b"\x93NUMPY")):
        return head
    if head[:1] == b"\x80":
        raise ModelFileError(f"{path} is a Python pickle. {_NOT_PICKLE}")
    what = "empty" if not head else "not a zip archive"
    raise ModelFileError(f"{path} is {what}, so it is not a pylearn2 model file (an old "
                         f"pickle, or another kind of file). {_NOT_PICKLE}")


def _open_zip(path: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, ValueError,
            RuntimeError) as err:
        raise ModelFileError(f"{path} is truncated or corrupt ({err}); it cannot be read as "
                             "a pylearn2 model file. Restore it from a copy (a leftover "
                             f"{os.path.basename(path)}.bak, if any) or save it again.") from err


def _load_numpy(path: str) -> np.ndarray | dict[str, np.ndarray]:
    try:
        with open(path, "rb") as handle:
            data = np.load(handle, allow_pickle=False)
            return dict(data) if isinstance(data, np.lib.npyio.NpzFile) else data
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:
        raise ModelFileError(f"{path}: cannot read this numpy file without unpickling ({err}); "
                             "object arrays are refused for safety.") from err


def _read(archive: zipfile.ZipFile, path: str, name: str, required: bool = True) -> bytes | None:
    try:
        return read_bounded(archive, path, name)
    except KeyError:
        if required:
            raise ModelFileError(f"{path} lacks {name}; it is incomplete or not a pylearn2 "
                                 "model file.") from None
        return None
    except Pylearn2Error:
        raise
    except Exception as err:  # bad CRC, encryption, unknown compression, zlib/lzma errors
        raise ModelFileError(f"{path}: cannot read {name} ({type(err).__name__}: "
                             f"{quote(str(err))}); the file is corrupt, truncated, encrypted or "
                             "compressed in a way model files never are.") from err


def _read_json(archive: zipfile.ZipFile, path: str, name: str) -> Any:
    try:
        data = json.loads(_read(archive, path, name) or b"")
    except RecursionError:
        raise ModelFileError(f"{path}: {name} is nested too deeply to read; the file is "
                             "damaged or crafted.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ModelFileError(f"{path}: {name} is not valid JSON ({quote(str(err))}); the file "
                             "is corrupt.") from err
    check_json_depth(data, path, name)
    return data


def _safetensors(raw: bytes, path: str, name: str) -> dict[str, torch.Tensor]:
    try:
        return st_load(raw)
    except Exception as err:  # safetensors raises its own error types
        raise ModelFileError(f"{path}: {name} is corrupt ({err}).") from err


def _manifest(archive: zipfile.ZipFile, path: str) -> dict[str, Any]:
    manifest = _read_json(archive, path, "manifest.json")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise ModelFileError(f"{path}: manifest.json names format {quote(found)}, not "
                             f"{FORMAT_NAME!r}; this is not a pylearn2 model file.")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(f"{path}: manifest.json has an invalid format_version "
                             f"{quote(version)}.")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path} uses model-file format version {version}, newer than this pylearn2 "
            f"({pylearn2.__version__}) can read (up to {FORMAT_VERSION}); it was written by "
            f"pylearn2 {manifest.get('library_version', '?')}. Upgrade pylearn2 to load it."
        )
    node = manifest.get("model")
    if not isinstance(node, dict) or "__class__" not in node:
        raise ModelFileError(f"{path}: manifest.json does not describe a model class.")
    return manifest


def _load_model(archive: zipfile.ZipFile, path: str, allow: Allow) -> Any:
    manifest = _manifest(archive, path)
    try:
        with allowing(allow):
            model = decode_args(manifest["model"])
    except Pylearn2Error as err:
        err.args = (f"{path}: {err}", *err.args[1:])  # name the file, keep the error's type
        raise
    if not isinstance(model, torch.nn.Module):
        raise ModelFileError(f"{path}: the manifest built a {type(model).__qualname__}, "
                             "not a model.")
    weights = _safetensors(_read(archive, path, "weights.safetensors") or b"", path,
                           "weights.safetensors")
    _load_weights(model, weights, path)
    names = set(archive.namelist())
    if "monitor.json" in names:
        _restore_monitor(model, _read_json(archive, path, "monitor.json"), path)
    if "pushed_monitors.json" in names:
        pushed = _read_json(archive, path, "pushed_monitors.json")
        if not isinstance(pushed, dict):
            raise ModelFileError(f"{path}: pushed_monitors.json is damaged (not a mapping).")
        for name, state in pushed.items():
            _restore_monitor(model, state, path, name, "pushed_monitors.json")
    yaml_src = _read(archive, path, "dataset.yaml", required=False)
    if yaml_src is not None:  # text for display; rebuilding goes through the YAML allowlist
        model.dataset_yaml_src = yaml_src.decode("utf-8", errors="replace")  # type: ignore[assignment]
    if "tag.json" in names:
        model.tag = _read_json(archive, path, "tag.json")
    return model


def _load_weights(model: torch.nn.Module, weights: dict[str, torch.Tensor], path: str) -> None:
    expected = model.state_dict()
    missing = sorted(set(expected) - set(weights))
    unexpected = sorted(set(weights) - set(expected))
    wrong = [f"{k}: file {tuple(weights[k].shape)} vs model {tuple(expected[k].shape)}"
             for k in expected if k in weights and weights[k].shape != expected[k].shape]
    if missing or unexpected or wrong:
        raise ModelFileError(
            f"{path}: the weights do not fit the model rebuilt from its manifest (missing "
            f"keys {missing}, unexpected keys {unexpected}, shape mismatches {wrong}). The "
            "file is damaged or the model's code changed since it was saved."
        )
    refuse_dtype_changes(model, weights, path)
    _match_dtypes(model, weights)
    try:
        with torch.no_grad():
            model.load_state_dict(weights, strict=True)
    except RuntimeError as err:
        raise ModelFileError(f"{path}: loading the weights failed ({err}).") from err


def _match_dtypes(model: torch.nn.Module, weights: dict[str, torch.Tensor]) -> None:
    """Give floating-point parameters and buffers the dtype they were saved with.

    A model rebuilt from its arguments starts in the default dtype; a model saved in
    float64 must come back in float64, or its outputs would differ.
    """
    def differs(name: str, tensor: torch.Tensor) -> bool:
        saved = weights.get(name)
        return (saved is not None and tensor.is_floating_point() and saved.is_floating_point()
                and saved.dtype != tensor.dtype)

    with torch.no_grad():
        for name, param in model.named_parameters():
            if differs(name, param):
                param.data = param.data.to(weights[name].dtype)
        for name, buf in model.named_buffers():
            if differs(name, buf):
                owner, _, attr = name.rpartition(".")
                setattr(model.get_submodule(owner), attr, buf.to(weights[name].dtype))


def register_monitor_type(monitor_type: type) -> None:
    """Tell model files which class holds a monitor (pylearn2.monitor registers its Monitor).

    The format layer sits below the monitor, so it never imports it: the monitor module
    registers itself when it is imported, and a file's ``monitor.json`` is restored as an
    instance of the registered class (``monitor_type(model)`` then ``load_state_dict``).
    """
    _REGISTERED["monitor_type"] = monitor_type


def registered_monitor_type() -> type | None:
    """The class registered by :func:`register_monitor_type`, or None."""
    return _REGISTERED.get("monitor_type")


_REGISTERED: dict[str, Any] = {}


def pushed_monitors(model: Any) -> dict[str, Any]:
    """The monitors ``push_monitor`` moved aside (attributes other than ``monitor``), by name."""
    monitor_type = registered_monitor_type()
    if monitor_type is None:  # no monitor class registered: nothing can be a monitor
        return {}
    return {name: value for name, value in sorted(vars(model).items())
            if name != "monitor" and isinstance(value, monitor_type)}


def _restore_monitor(model: torch.nn.Module, state: Any, path: str, name: str = "monitor",
                     member: str = "monitor.json") -> None:
    if name != "monitor" and (not name.isidentifier() or name.startswith("_")
                              or hasattr(model, name)):
        raise ModelFileError(f"{path}: {member} names a monitor {name!r} that cannot be an "
                             "attribute of the model; the file is damaged.")
    monitor_type = registered_monitor_type()
    if monitor_type is None:
        warnings.warn(f"{path}: the monitor was not restored because no monitor class is "
                      "registered (import pylearn2.monitor first).", stacklevel=3)
        return
    monitor = monitor_type(model)
    try:
        monitor.load_state_dict(state)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise ModelFileError(f"{path}: {member} is damaged ({type(err).__name__}: "
                             f"{err}).") from err
    setattr(model, name, monitor)
