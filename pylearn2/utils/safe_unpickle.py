"""Reading pickles that should contain only plain data (e.g. the CIFAR batch files).

The unpickler builds dicts, lists, tuples, strings, bytes, numbers and numpy arrays. The
only globals a pickle may name are the few that rebuilding a plain numpy array needs
(``numpy.core.multiarray._reconstruct`` / ``numpy._core.multiarray._reconstruct``,
``numpy.ndarray``, ``numpy.dtype``) and ``_codecs.encode``, which is how a protocol-2
pickle written by Python 3 stores ``bytes`` (a pure data conversion). Any other global is
refused *before* it is imported or called, so a malicious file cannot run code.
"""

from __future__ import annotations

import pickle
from typing import Any, BinaryIO

from pylearn2.utils.exc import DataNotFoundError, ModelFileError, UnsafeObjectError

ALLOWED_GLOBALS = frozenset({
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
})


class SafeUnpickler(pickle.Unpickler):
    """An Unpickler whose ``find_class`` allows only :data:`ALLOWED_GLOBALS`."""

    def __init__(self, handle: BinaryIO, source: str, **kwargs: Any) -> None:
        super().__init__(handle, **kwargs)
        self.source = source

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ALLOWED_GLOBALS:
            raise UnsafeObjectError(
                f"{self.source}: the pickle names {module}.{name}, which is not plain data; "
                "refusing to load it (only numpy arrays, lists, dicts, strings, bytes and "
                "numbers are read)."
            )
        return super().find_class(module, name)

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafeObjectError(f"{self.source}: the pickle refers to a persistent object "
                                f"{pid!r}; refusing to load it.")


def load_plain_pickle(path: str, encoding: str = "bytes") -> Any:
    """Unpickle ``path`` allowing plain data and numpy arrays only.

    ``encoding`` decodes strings pickled by Python 2: ``'bytes'`` keeps them as bytes (as
    the CIFAR files are usually read), ``'latin1'`` turns them into str.
    """
    try:
        handle = open(path, "rb")
    except FileNotFoundError as err:
        raise DataNotFoundError(f"{path} not found.") from err
    with handle:
        try:
            return SafeUnpickler(handle, path, encoding=encoding).load()
        except UnsafeObjectError:
            raise
        except Exception as err:
            raise ModelFileError(f"{path}: cannot read this pickle ({type(err).__name__}: "
                                 f"{err}); the file may be truncated or corrupt.") from err
