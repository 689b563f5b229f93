"""Collection files: several models (e.g. one per cross-validation fold) in one file.

A collection file is a zip archive holding ``collection.json`` (format name, version,
number of models) and ``model-<k>.zip``, each a complete model file as
:func:`pylearn2.utils.serial.format.save` writes it. :func:`pylearn2.utils.serial.load`
returns the list of models for such a file, so ``!pkl:`` in an experiment file reads
the models a cross-validation run saved (written by
:func:`pylearn2.cross_validation.model_collection.save_models`). Nothing is unpickled.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Callable, Sequence
from typing import Any

from pylearn2.utils.exc import ModelFileError

COLLECTION_FORMAT = "pylearn2-model-collection"
COLLECTION_VERSION = 1
COLLECTION_MEMBER = "collection.json"


def _member(k: int) -> str:
    return f"model-{k}.zip"


def collection_members(blobs: Sequence[bytes]) -> dict[str, bytes]:
    """Archive members of a collection of model files (each given as its bytes)."""
    members = {COLLECTION_MEMBER: json.dumps({"format": COLLECTION_FORMAT,
                                              "version": COLLECTION_VERSION,
                                              "count": len(blobs)}).encode()}
    members.update({_member(k): bytes(blob) for k, blob in enumerate(blobs)})
    return members


def is_collection(path: str | os.PathLike) -> bool:
    """True when ``path`` is a collection file (rather than a single model file)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return COLLECTION_MEMBER in archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def load_collection(archive: zipfile.ZipFile, path: str,
                    load_model: Callable[[zipfile.ZipFile, str], Any]) -> list[Any]:
    """The models of an open collection archive, in order; ``load_model(archive, where)``
    rebuilds one model from an open model-file archive."""
    try:
        info = json.loads(archive.read(COLLECTION_MEMBER))
        count = int(info["count"])
    except (KeyError, ValueError, TypeError) as exc:
        raise ModelFileError(f"{path}: damaged {COLLECTION_MEMBER} ({exc}).") from exc
    if info.get("format") != COLLECTION_FORMAT or info.get("version") != COLLECTION_VERSION:
        raise ModelFileError(f"{path}: not a {COLLECTION_FORMAT} version {COLLECTION_VERSION} "
                             f"file (found {info}).")
    names = set(archive.namelist())
    models = []
    for k in range(count):
        if _member(k) not in names:
            raise ModelFileError(f"{path}: member {_member(k)} is missing; the collection says "
                                 f"it holds {count} models.")
        try:
            inner = zipfile.ZipFile(io.BytesIO(archive.read(_member(k))))
        except zipfile.BadZipFile as exc:
            raise ModelFileError(f"{path}: member {_member(k)} is not a model file.") from exc
        with inner:
            models.append(load_model(inner, f"{path}[{_member(k)}]"))
    return models

