"""Collection files: several models (e.g. one per cross-validation fold) in one file.

A collection file is a zip archive holding ``collection.json`` (format name, version,
number of models) and ``model-<k>.zip``, each a complete model file as
:func:`pylearn2.utils.serial.format.save` writes it. :func:`pylearn2.utils.serial.load`
returns the list of models for such a file, so ``!pkl:`` in an experiment file reads
the models a cross-validation run saved. Written atomically; nothing is unpickled.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Sequence
from typing import Any

from pylearn2.utils.exc import ModelFileError
from pylearn2.utils.serial.atomic import atomic_write

COLLECTION_FORMAT = "pylearn2-model-collection"
COLLECTION_VERSION = 1
COLLECTION_MEMBER = "collection.json"


def _member(k: int) -> str:
    return f"model-{k}.zip"


def save_models(path: str | os.PathLike, models: Sequence[Any], on_overwrite: str = "backup") -> None:
    """Write ``models`` (in order) to the collection file ``path``."""
    from pylearn2.utils.serial.format import _zip_writer, model_members

    blobs = []
    for model in models:
        buffer = io.BytesIO()
        _zip_writer(model_members(model))(buffer)
        blobs.append(buffer.getvalue())
    members = {COLLECTION_MEMBER: json.dumps({"format": COLLECTION_FORMAT,
                                              "version": COLLECTION_VERSION,
                                              "count": len(blobs)}).encode()}
    members.update({_member(k): blob for k, blob in enumerate(blobs)})
    atomic_write(path, _zip_writer(members), on_overwrite)


def is_collection(path: str | os.PathLike) -> bool:
    """True when ``path`` is a collection file (rather than a single model file)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return COLLECTION_MEMBER in archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def load_collection(archive: zipfile.ZipFile, path: str, allow: Any = None) -> list[Any]:
    """The models of an open collection archive, in order."""
    from pylearn2.utils.serial.format import _load_model

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
            models.append(_load_model(inner, f"{path}[{_member(k)}]", allow))
    return models


def load_models(path: str | os.PathLike, allow: Any = None) -> list[Any]:
    """The models of a collection file; a single model file gives ``[model]``."""
    from pylearn2.utils.serial.format import load

    loaded = load(path, allow=allow)
    return loaded if isinstance(loaded, list) else [loaded]
