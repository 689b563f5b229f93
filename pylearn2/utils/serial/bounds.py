"""Limits on what a model file may make the loader do: member sizes, JSON depth, dtypes.

A zip member's declared size and the bytes actually inflated are both capped at
``max(1 MiB, 16 x the archive's size)`` and at ``PYLEARN2_MAX_MEMBER_BYTES`` (see
:mod:`pylearn2.utils.limits`); model files store members uncompressed, so an honest file is
far below both. JSON nesting is capped at ``PYLEARN2_MAX_NESTING``. A tensor whose kind of
dtype (floating, integer, bool, complex) differs from the rebuilt model's is refused.
"""

from __future__ import annotations

import os
import zipfile
from typing import Any

import torch

from pylearn2.utils.exc import ModelFileError
from pylearn2.utils.limits import max_member_bytes, max_nesting

RELATIVE_CAP = 16
MIN_CAP = 1 << 20
_CHUNK = 1 << 20


def member_cap(archive: zipfile.ZipFile) -> int:
    """The most bytes one member of ``archive`` may inflate to."""
    size = 0
    handle = archive.fp
    if archive.filename and os.path.isfile(archive.filename):
        size = os.path.getsize(archive.filename)
    elif handle is not None and hasattr(handle, "seek"):
        where = handle.tell()
        size = handle.seek(0, os.SEEK_END)
        handle.seek(where)
    return min(max_member_bytes(), max(MIN_CAP, RELATIVE_CAP * size))


def read_bounded(archive: zipfile.ZipFile, path: str, name: str) -> bytes:
    """``archive.read(name)`` with the declared and the actual size capped."""
    info = archive.getinfo(name)  # KeyError for a missing member, as archive.read
    cap = member_cap(archive)
    if info.file_size > cap:
        raise ModelFileError(f"{path}: member {name} declares {info.file_size} bytes, more than "
                             f"this file may hold ({cap} bytes); the file is damaged or crafted. "
                             "Raise PYLEARN2_MAX_MEMBER_BYTES only for a file you trust.")
    chunks, total = [], 0
    with archive.open(info) as member:
        while True:
            chunk = member.read(min(_CHUNK, cap + 1 - total))
            if not chunk:
                break
            total += len(chunk)
            if total > cap:
                raise ModelFileError(f"{path}: member {name} inflates past {cap} bytes, more "
                                     "than its declared size allows; the file is damaged or "
                                     "crafted.")
            chunks.append(chunk)
    return b"".join(chunks)


def check_json_depth(data: Any, path: str, name: str) -> None:
    """Refuse JSON nested deeper than ``PYLEARN2_MAX_NESTING`` (walked without recursion)."""
    cap = max_nesting()
    stack = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > cap:
            raise ModelFileError(f"{path}: {name} is nested more than {cap} levels deep; the "
                                 "file is damaged or crafted (PYLEARN2_MAX_NESTING raises the "
                                 "limit).")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def _kind(dtype: torch.dtype) -> str:
    if dtype == torch.bool:
        return "bool"
    if dtype.is_complex:
        return "complex"
    return "floating" if dtype.is_floating_point else "integer"


def refuse_dtype_changes(model: torch.nn.Module, weights: dict[str, torch.Tensor],
                         path: str) -> None:
    """Refuse tensors whose kind of dtype differs from what the rebuilt model holds."""
    expected = model.state_dict()
    for key, saved in weights.items():
        want = expected.get(key)
        if want is not None and _kind(saved.dtype) != _kind(want.dtype):
            raise ModelFileError(
                f"{path}: weights.safetensors member {key!r} is {saved.dtype} but the model "
                f"built from the manifest holds {want.dtype} there; the file is damaged or "
                "crafted, and is refused rather than converted."
            )
