"""Reading pickles that should contain only plain data (e.g. the CIFAR batch files).

The unpickler accepts dicts, lists, tuples, strings, bytes, numbers and numpy arrays;
any other global (a class or function named in the pickle) is refused *before* it is
imported or called, so a malicious file cannot run code.
"""

from __future__ import annotations

import pickle
from typing import Any, BinaryIO

from pylearn2.utils.exc import UnsafeObjectError

_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"), ("_codecs", "encode"),
}


class SafeUnpickler(pickle.Unpickler):
    def __init__(self, handle: BinaryIO, source: str, **kwargs: Any) -> None:
        super().__init__(handle, **kwargs)
        self.source = source

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise UnsafeObjectError(
                f"{self.source}: the pickle names {module}.{name}, which is not plain data; "
                "refusing to load it (only arrays, lists, dicts, strings and numbers are read)."
            )
        return super().find_class(module, name)


def load_plain_pickle(path: str, encoding: str = "bytes") -> Any:
    """Unpickle ``path`` allowing plain data and numpy arrays only."""
    with open(path, "rb") as handle:
        try:
            return SafeUnpickler(handle, path, encoding=encoding).load()
        except UnsafeObjectError:
            raise
        except Exception as err:
            from pylearn2.utils.exc import ModelFileError

            raise ModelFileError(f"{path}: cannot read this pickle ({err}); the file may be "
                                 "corrupt.") from err
