"""Local copies of dataset files kept on a shared (e.g. network) file system.

With ``PYLEARN2_LOCAL_DATA_PATH`` set, :meth:`LocalDatasetCache.cache_file` copies a file
from under ``PYLEARN2_DATA_PATH`` to the same relative place under the local path (once;
a copy of a different size is refreshed) and returns the local name. Otherwise, or for
files outside the data path, it returns the name unchanged.
"""

from __future__ import annotations

import logging
import os
import shutil

log = logging.getLogger(__name__)


class LocalDatasetCache:
    """Copies dataset files into ``cache_path`` on first use (see the module docstring)."""

    def __init__(self, cache_path: str) -> None:
        self.dataset_cache_path = cache_path

    def cache_file(self, filename: str) -> str:
        remote_root = os.environ.get("PYLEARN2_DATA_PATH")
        if not self.dataset_cache_path or not remote_root or not os.path.isfile(filename):
            return filename
        remote_root = os.path.abspath(remote_root)
        source = os.path.abspath(filename)
        if os.path.commonpath([source, remote_root]) != remote_root:
            return filename
        local = os.path.join(self.dataset_cache_path, os.path.relpath(source, remote_root))
        if not os.path.isfile(local) or os.path.getsize(local) != os.path.getsize(source):
            from pylearn2.utils.serial.write_guard import check_yaml_write

            check_yaml_write(local, "LocalDatasetCache")
            os.makedirs(os.path.dirname(local), exist_ok=True)
            tmp = local + ".part"
            shutil.copyfile(source, tmp)
            os.replace(tmp, local)
            log.info("Cached %s at %s", source, local)
        return local


datasetCache = LocalDatasetCache(os.environ.get("PYLEARN2_LOCAL_DATA_PATH", ""))  # noqa: N816

__all__ = ["LocalDatasetCache", "datasetCache"]
