"""Model files, checkpoints and the JSON/safetensors trees inside them.

The package has three parts, each importable on its own:

- :mod:`pylearn2.utils.serial.format`: the model-file and checkpoint archives
  (``save``, ``load``, ``save_checkpoint``, ``load_checkpoint``, ``read_manifest``, ...);
- :mod:`pylearn2.utils.serial.tree`: constructor-argument trees and tensor-bearing state
  trees as JSON (``encode_args``, ``decode_args``, ``to_jsonable``, ``from_jsonable``);
- :mod:`pylearn2.utils.serial.atomic`: atomic file replacement with a backup.

It sits at the bottom of the library and imports neither the monitor nor the YAML layer:
``pylearn2.monitor`` registers its Monitor class (:func:`register_monitor_type`) and
``pylearn2.config.yaml_parse`` registers the experiment-file loader
(:func:`register_train_file_loader`) when they are imported; ``import pylearn2`` imports
both, so the registrations are always in place.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pylearn2.utils.exc import ConfigError
from pylearn2.utils.serial.atomic import atomic_write
from pylearn2.utils.serial.format import (
    FORMAT_NAME,
    FORMAT_VERSION,
    MODEL_MEMBERS,
    STATE_MEMBERS,
    load,
    load_checkpoint,
    model_members,
    pushed_monitors,
    read_manifest,
    read_member,
    register_monitor_type,
    registered_monitor_type,
    save,
    save_checkpoint,
)
from pylearn2.utils.serial.tree import decode_args, encode_args, from_jsonable, to_jsonable

_TRAIN_FILE_LOADER: list[Callable[..., Any]] = []


def register_train_file_loader(loader: Callable[..., Any]) -> None:
    """Install the function behind :func:`load_train_file` (pylearn2.config.yaml_parse does)."""
    _TRAIN_FILE_LOADER[:] = [loader]


def load_train_file(config_file_path: str | os.PathLike, environ: Mapping[str, str] | None = None,
                    allow: str | Iterable[str] | None = None) -> Any:
    """Load a YAML experiment file (see pylearn2.config.yaml_parse.load_train_file)."""
    if not _TRAIN_FILE_LOADER:
        raise ConfigError("No experiment-file loader is registered; import "
                          "pylearn2.config.yaml_parse (import pylearn2 does) first.")
    return _TRAIN_FILE_LOADER[0](os.fspath(config_file_path), environ=environ, allow=allow)


__all__ = [
    "FORMAT_NAME", "FORMAT_VERSION", "MODEL_MEMBERS", "STATE_MEMBERS", "atomic_write",
    "decode_args", "encode_args", "from_jsonable", "load", "load_checkpoint", "load_train_file",
    "model_members", "pushed_monitors", "read_manifest", "read_member",
    "register_monitor_type", "register_train_file_loader", "registered_monitor_type", "save",
    "save_checkpoint", "to_jsonable",
]
