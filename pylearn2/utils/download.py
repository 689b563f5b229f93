"""Resumable, checksum-verified downloads for dataset files."""

from __future__ import annotations

import hashlib
import logging
import os
import urllib.error
import urllib.parse
import urllib.request

from pylearn2.utils.exc import ConfigError, DataNotFoundError, ModelFileError
from pylearn2.utils.limits import quote

log = logging.getLogger(__name__)


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def allowed_roots() -> list[str]:
    """Folders downloads may write into: each PYLEARN2_DATA_PATH entry and the output
    folder (PYLEARN2_OUTPUT_PATH entries, else the current working directory)."""
    roots = []
    for var in ("PYLEARN2_DATA_PATH", "PYLEARN2_OUTPUT_PATH"):
        roots += [p for p in os.environ.get(var, "").split(os.pathsep) if p.strip()]
    if not os.environ.get("PYLEARN2_OUTPUT_PATH", "").strip():
        roots.append(os.getcwd())
    return [os.path.realpath(r) for r in roots]


def check_download(url: str, dest: str) -> None:
    """Refuse anything but http(s) URLs, and destinations outside :func:`allowed_roots`."""
    scheme = urllib.parse.urlsplit(str(url)).scheme.lower()
    if scheme not in ("http", "https"):
        raise ConfigError(f"download URL {quote(url)} uses scheme {quote(scheme)}; only http:// "
                          "and https:// URLs may be downloaded (file:, data:, ftp: are refused).")
    real = os.path.realpath(dest)
    roots = allowed_roots()
    if not any(os.path.commonpath([real, root]) == root for root in roots):
        raise ConfigError(f"download destination {quote(dest)} is outside the data and output "
                          f"folders ({', '.join(roots)}); set PYLEARN2_DATA_PATH or "
                          "PYLEARN2_OUTPUT_PATH to the folder it belongs in.")


def download_file(url: str, dest: str, sha256: str | None = None, timeout: float = 60.0) -> str:
    """Fetch ``url`` to ``dest``; a partial ``dest.part`` from an earlier try is resumed with
    an HTTP Range request. The finished file must match ``sha256`` before it is renamed into
    place, so ``dest`` never holds a bad or incomplete file. Only http(s) URLs and
    destinations under the data and output folders are accepted (:func:`check_download`)."""
    check_download(url, dest)
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
