"""One run per output path: an advisory lock on ``<path>.lock`` for every file or folder a
run writes (model, checkpoint, CSV log, extension outputs), and clean-up of the temporary
files that killed runs left next to their outputs.

Each lock is ``fcntl.flock`` on the lock file, which holds ``pid``, host and command of
the run that took it, so a second run that would write any of the same files refuses at
once and says who holds which path (:class:`OutputLocks` takes them all or none). The kernel
drops the lock when the holder dies, so a killed run never leaves the path locked. On
systems without ``fcntl`` (Windows) no lock is taken.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import socket
import sys
from collections.abc import Iterable

from pylearn2.utils.exc import ConfigError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)


class RunLock:
    """Exclusive advisory lock for the output file or folder ``save_path`` (lock file
    ``<save_path>.lock``, beside a folder rather than inside it)."""

    def __init__(self, save_path: str) -> None:
        self.save_path = os.fspath(save_path)
        self.path = (self.save_path.rstrip("/" + os.sep) or self.save_path) + ".lock"
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock or raise ConfigError naming the process that holds it."""
        if self._fd is not None or fcntl is None:
            return
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = _read(fd) or "a process that has not written its id yet"
                os.close(fd)
                raise ConfigError(
                    f"{self.save_path} is in use by another run ({holder}; lock file "
                    f"{self.path}). Wait for that run to finish or stop it, or write this "
                    "run's outputs elsewhere (another save_path, or another path for the "
                    "extension that writes this file).") from None
            # the holder before us may have removed the file between our open and our lock
            with contextlib.suppress(FileNotFoundError):
                if os.path.samestat(os.fstat(fd), os.stat(self.path)):
                    break
            os.close(fd)
        os.ftruncate(fd, 0)
        command = " ".join(sys.argv) or sys.executable
        os.write(fd, f"pid {os.getpid()} on host {socket.gethostname()}: {command}\n".encode())
        self._fd = fd

    def release(self) -> None:
        """Remove the lock file and drop the lock (idempotent)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.remove(self.path)  # while still locked: a waiting opener re-checks the inode
        os.close(fd)

    def __del__(self) -> None:
        self.release()


class OutputLocks:
    """A :class:`RunLock` on each of ``paths`` (the same file named twice is locked once),
    taken all or none: if one is held elsewhere, those already taken are let go and the
    refusal names that path and its holder."""

    def __init__(self, paths: Iterable[str]) -> None:
        unique: dict[str, RunLock] = {}
        for path in paths:
            lock = RunLock(path)
            unique.setdefault(os.path.realpath(lock.path), lock)
        self.locks = list(unique.values())

    @property
    def held(self) -> bool:
        return any(lock.held for lock in self.locks)

    def acquire(self) -> None:
        try:
            for lock in self.locks:
                lock.acquire()
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        for lock in self.locks:
            lock.release()


def _read(fd: int) -> str:
    with contextlib.suppress(OSError):
        os.lseek(fd, 0, os.SEEK_SET)
        return os.read(fd, 4096).decode("utf-8", "replace").strip()
    return ""


def remove_stale_temp_files(paths: Iterable[str]) -> list[str]:
    """Delete the atomic writer's temporary files (``.<name>.tmp-*``, see
    pylearn2.utils.serial.atomic) next to each of ``paths``; call only while holding the
    run lock, when no live writer can own them. Returns what was removed."""
    removed = []
    for path in paths:
        folder, name = os.path.split(os.path.abspath(path))
        for stale in glob.glob(os.path.join(glob.escape(folder), f".{glob.escape(name)}.tmp-*")):
            try:
                os.remove(stale)
            except OSError as err:
                log.warning("Could not remove the stale temporary file %s: %s", stale, err)
                continue
            removed.append(stale)
    if removed:
        log.info("Removed temporary files left by an earlier, interrupted run: %s",
                 ", ".join(removed))
    return removed
