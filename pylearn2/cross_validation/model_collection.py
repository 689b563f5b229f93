"""Files holding one model per cross-validation fold.

A collection file is a zip archive: ``collection.json`` (format name, version, number of
models) and ``model-<k>.zip``, each a complete model file as
:func:`pylearn2.utils.serial.save` writes it. It is written atomically, like a model
file, and read without unpickling anything.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Sequence
from typing import Any

from pylearn2.utils import serial
from pylearn2.utils.exc import ModelFileError

COLLECTION_FORMAT = "pylearn2-model-collection"
COLLECTION_VERSION = 1


def save_models(path: str | os.PathLike, models: Sequence[Any], on_overwrite: str = "backup") -> None:
    """Write ``models`` (one per fold, in fold order) to the collection file ``path``."""
    with tempfile.TemporaryDirectory() as tmp:
        blobs = []
        for k, model in enumerate(models):
            member = os.path.join(tmp, f"model-{k}.zip")
            serial.save(member, model, on_overwrite="ignore")
            with open(member, "rb") as handle:
                blobs.append(handle.read())

    def write(handle: Any) -> None:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr("collection.json", json.dumps(
                {"format": COLLECTION_FORMAT, "version": COLLECTION_VERSION,
                 "count": len(blobs)}))
            for k, blob in enumerate(blobs):
                archive.writestr(f"model-{k}.zip", blob)

    serial.atomic_write(path, write, on_overwrite)


def is_collection(path: str | os.PathLike) -> bool:
    """True when ``path`` is a collection file (rather than a single model file)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return "collection.json" in archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def load_models(path: str | os.PathLike, allow: Any = None) -> list[Any]:
    """The models of a collection file, in fold order; a single model file gives ``[model]``."""
    path = os.fspath(path)
    if not is_collection(path):
        return [serial.load(path, allow=allow)]
    with zipfile.ZipFile(path) as archive:
        try:
            info = json.loads(archive.read("collection.json"))
            count = int(info["count"])
        except (KeyError, ValueError, TypeError) as exc:
            raise ModelFileError(f"{path}: damaged collection.json ({exc}).") from exc
        if info.get("format") != COLLECTION_FORMAT or info.get("version") != COLLECTION_VERSION:
            raise ModelFileError(f"{path}: not a {COLLECTION_FORMAT} version "
                                 f"{COLLECTION_VERSION} file (found {info}).")
        models = []
        with tempfile.TemporaryDirectory() as tmp:
            for k in range(count):
                name = f"model-{k}.zip"
                if name not in archive.namelist():
                    raise ModelFileError(f"{path}: member {name} is missing; the collection "
                                         f"says it holds {count} models.")
                member = os.path.join(tmp, name)
                with open(member, "wb") as handle:
                    handle.write(archive.read(name))
                models.append(serial.load(member, allow=allow))
    return models
