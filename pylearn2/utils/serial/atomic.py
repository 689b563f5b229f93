"""Atomic file writes with an optional backup of the previous file.

The new content goes to a temporary file in the destination folder, is flushed and
fsynced, and is then renamed over the destination (``os.replace``, atomic on POSIX and
Windows). A reader therefore sees either the old file or the new one, never a mix, and a
process killed midway leaves the old file untouched (plus, at worst, a stray hidden
``.<name>.tmp-*`` file).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
from collections.abc import Callable
from typing import IO, Any

from pylearn2.utils.exc import ConfigError, ModelFileError
from pylearn2.utils.serial.write_guard import check_yaml_write

log = logging.getLogger(__name__)

ON_OVERWRITE = ("backup", "ignore")


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], Any],
                 on_overwrite: str = "backup") -> None:
    """Create or replace ``path`` with what ``write(binary_file)`` writes, atomically.

    ``on_overwrite='backup'``: an existing file is first kept as ``<path>.bak`` (a hard link
    where the filesystem allows, else a copy); the new file is renamed into place and the
    ``.bak`` removed. If anything fails, the previous file stays at ``path`` and the ``.bak``
    and temporary file are removed. ``'ignore'``: replace atomically without a backup.
    Missing parent folders are created. While a YAML document is being built, ``path``
    must lie under the output roots (pylearn2.utils.serial.write_guard).
    """
    if on_overwrite not in ON_OVERWRITE:
        raise ConfigError(f"on_overwrite must be one of {ON_OVERWRITE}, got {on_overwrite!r}.")
    path = os.fspath(path)
    check_yaml_write(path, "a library function")
    if os.path.isdir(path):
        raise ModelFileError(f"{path} is a folder; give a file name to save to.")
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    backup = path + ".bak"
    backed_up = False
    tmp = None
    try:
        if on_overwrite == "backup" and os.path.exists(path):
            _make_backup(path, backup)
            backed_up = True
        fd, tmp = _create_temp(folder, os.path.basename(path))
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(OSError):
            shutil.copymode(path, tmp)  # keep the permissions of the file being replaced
        os.replace(tmp, path)
        tmp = None
        _fsync_dir(folder)
    except BaseException:
        if tmp is not None:
            _remove(tmp)
        if backed_up:
            if os.path.exists(path):
                _remove(backup)
            else:
                os.replace(backup, path)
        raise
    if backed_up:
        try:
            os.remove(backup)
        except OSError as err:
            log.warning("Saved %s but could not remove the backup %s: %s", path, backup, err)


def _make_backup(path: str, backup: str) -> None:
    """Keep the current file as ``backup`` without ever leaving ``path`` missing."""
    if os.path.lexists(backup):
        os.remove(backup)  # left over by a run that was killed while saving
    try:
        os.link(path, backup)
    except OSError:
        shutil.copy2(path, backup)
        with open(backup, "rb+") as handle:
            os.fsync(handle.fileno())


def _create_temp(folder: str, name: str) -> tuple[int, str]:
    """Open a new hidden temp file next to the target; mode 0o666 minus the umask."""
    while True:
        tmp = os.path.join(folder, f".{name}.tmp-{secrets.token_hex(4)}")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


def _fsync_dir(folder: str) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
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
