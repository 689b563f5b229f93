"""Resumable, checksum-verified downloads for dataset files."""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import urllib.error
import urllib.parse
import urllib.request

from pylearn2.utils.exc import ConfigError, DataNotFoundError, ModelFileError
from pylearn2.utils.limits import quote

log = logging.getLogger(__name__)


def file_digest(path: str, algorithm: str = "sha256") -> str:
    """Hex digest of a file (``algorithm``: any hashlib name, e.g. 'md5')."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_of(path: str) -> str:
    return file_digest(path, "sha256")


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


def download_file(url: str, dest: str, sha256: str | None = None, timeout: float = 60.0,
                  md5: str | None = None) -> str:
    """Fetch ``url`` to ``dest``; a partial ``dest.part`` from an earlier try is resumed with
    an HTTP Range request. The finished file must match ``sha256`` (or ``md5``, for sets
    whose published checksums are MD5) before it is renamed into place, so ``dest`` never
    holds a bad or incomplete file; a transfer that ends before the announced length keeps
    its ``.part`` for the next try. Only http(s) URLs and destinations under the data and
    output folders are accepted (:func:`check_download`)."""
    check_download(url, dest)
    algorithm, expected = ("sha256", sha256) if sha256 is not None else ("md5", md5)
    if os.path.exists(dest) and (expected is None or file_digest(dest, algorithm) == expected):
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
            announced = response.headers.get("Content-Length")
            received = 0
            with open(part, mode) as handle:
                for chunk in iter(lambda: response.read(1 << 20), b""):
                    handle.write(chunk)
                    received += len(chunk)
            if announced is not None and received < int(announced):
                raise http.client.IncompleteRead(b"", int(announced) - received)
    except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
        reason = str(err)
        if isinstance(err, http.client.IncompleteRead):
            short = f" ({err.expected} bytes short)" if err.expected is not None else ""
            reason = f"the transfer ended early{short}"
        raise DataNotFoundError(f"Could not download {url}: {reason}. Run again to resume, or "
                                f"place the file at {dest} yourself.") from None
    if expected is not None:
        got = file_digest(part, algorithm)
        if got != expected:
            os.remove(part)
            raise ModelFileError(f"{url}: checksum mismatch ({algorithm} {got}, expected "
                                 f"{expected}); the partial file was removed, run again to "
                                 "retry.")
    os.replace(part, dest)
    return dest
