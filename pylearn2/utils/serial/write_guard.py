"""Where files written on behalf of a YAML experiment file may go.

A YAML document can name library functions that write files (``!obj:pylearn2.utils.
serial.save {...}``) and extensions that write during training. Such writes are accepted
only under the *output roots*: the data folders and the output folder downloads may
write to (:func:`pylearn2.utils.download.allowed_roots`: each ``PYLEARN2_DATA_PATH``
entry, ``PYLEARN2_OUTPUT_PATH`` or else the working directory), the experiment file's
own folder (``PYLEARN2_TRAIN_DIR``), and for a run's extensions the folder of the run's
``save_path``. Code calling the same functions from Python is not restricted: the check
applies only while :func:`building_yaml` is active (the YAML builder turns it on) or when
Train checks the outputs of an experiment built from YAML.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterable, Iterator

from pylearn2.utils.exc import ConfigError

_BUILDING: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "pylearn2_building_yaml", default=None)


@contextlib.contextmanager
def building_yaml(source: str) -> Iterator[None]:
    """While active, :func:`check_yaml_write` restricts writes to the output roots."""
    token = _BUILDING.set(source)
    try:
        yield
    finally:
        _BUILDING.reset(token)


def output_roots(extra: Iterable[str | None] = ()) -> list[str]:
    """The folders YAML-requested writes may go under (real paths, no duplicates)."""
    from pylearn2.utils.download import allowed_roots

    roots = allowed_roots()
    train_dir = os.environ.get("PYLEARN2_TRAIN_DIR", "")
    candidates = [train_dir] if train_dir.strip() else []
    candidates += [folder for folder in extra if folder]
    roots += [os.path.realpath(folder) for folder in candidates]
    return list(dict.fromkeys(roots))


def check_output_path(path: str | os.PathLike, writer: str,
                      extra_roots: Iterable[str | None] = ()) -> None:
    """Raise ConfigError unless ``path`` lies under :func:`output_roots` (``writer``
    names what would write it, for the message)."""
    real = os.path.realpath(os.fspath(path))
    roots = output_roots(extra_roots)
    if any(os.path.commonpath([real, root]) == root for root in roots):
        return
    raise ConfigError(
        f"{writer} would write {os.fspath(path)!r}, outside the folders a YAML "
        f"experiment may write to ({', '.join(roots)}): the data folders "
        "(PYLEARN2_DATA_PATH), the output folder (PYLEARN2_OUTPUT_PATH, else the working "
        "directory), the experiment file's folder (PYLEARN2_TRAIN_DIR) and, for a run's "
        "extensions, the folder of its save_path. Set PYLEARN2_OUTPUT_PATH to the folder "
        "it belongs in, or make the call from Python, where writes are not restricted.")


def check_yaml_write(path: str | os.PathLike, writer: str = "this call") -> None:
    """While a YAML document is being built, refuse a write outside the output roots;
    otherwise (Python callers) do nothing."""
    source = _BUILDING.get()
    if source is not None:
        check_output_path(path, f"{writer} (called while building {source})")
