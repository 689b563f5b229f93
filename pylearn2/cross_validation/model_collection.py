"""One file holding every fold's model (format: :mod:`pylearn2.utils.serial.collection`).

``serial.load`` (and so ``!pkl:``) returns the list of models for such a file.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from typing import Any

from pylearn2.utils.serial.atomic import atomic_write
from pylearn2.utils.serial.collection import (  # noqa: F401
    COLLECTION_FORMAT,
    COLLECTION_VERSION,
    collection_members,
    is_collection,
)
from pylearn2.utils.serial.format import _zip_writer, load, model_members


def save_models(path: str | os.PathLike, models: Sequence[Any], on_overwrite: str = "backup") -> None:
    """Write ``models`` (one per fold, in fold order) to the collection file ``path``."""
    blobs = []
    for model in models:
        buffer = io.BytesIO()
        _zip_writer(model_members(model))(buffer)
        blobs.append(buffer.getvalue())
    atomic_write(path, _zip_writer(collection_members(blobs)), on_overwrite)


def load_models(path: str | os.PathLike, allow: Any = None) -> list[Any]:
    """The models of a collection file, in fold order; a single model file gives ``[model]``."""
    loaded = load(path, allow=allow)
    return loaded if isinstance(loaded, list) else [loaded]
