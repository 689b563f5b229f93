"""Resumable, checksum-verified downloads for dataset files."""

from __future__ import annotations

import hashlib
import logging
import os
import urllib.error
import urllib.request

from pylearn2.utils.exc import DataNotFoundError, ModelFileError

log = logging.getLogger(__name__)


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_file(url: str, dest: str, sha256: str | None = None, timeout: float = 60.0) -> str:
    """Fetch ``url`` to ``dest``; a partial ``dest.part`` from an earlier try is resumed with
    an HTTP Range request. The finished file must match ``sha256`` before it is renamed into
    place, so ``dest`` never holds a bad or incomplete file."""
    if os.path.exists(dest) and (sha256 is None or sha256_of(dest) == sha256):
        return dest
    os.makedirs(os.path.dirname(os.path.abspath(dest)), exist_ok=True)
    part = dest + ".part"
    have = os.path.getsize(part) if os.path.exists(part) else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            resumed = have and response.status == 206
            mode = "ab" if resumed else "wb"
            log.info("Downloading %s%s", url, f" (resuming at byte {have})" if resumed else "")
            with open(part, mode) as handle:
                for chunk in iter(lambda: response.read(1 << 20), b""):
                    handle.write(chunk)
    except (urllib.error.URLError, OSError) as err:
        raise DataNotFoundError(f"Could not download {url}: {err}. Run again to resume, or "
                                f"place the file at {dest} yourself.") from err
    if sha256 is not None:
        got = sha256_of(part)
        if got != sha256:
            os.remove(part)
            raise ModelFileError(f"{url}: checksum mismatch (sha256 {got}, expected {sha256}); "
                                 "the partial file was removed, run again to retry.")
    os.replace(part, dest)
    return dest
