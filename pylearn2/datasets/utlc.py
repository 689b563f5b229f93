"""Loaders for the Unsupervised and Transfer Learning Challenge (UTLC) data.

Dense sets: ``${PYLEARN2_DATA_PATH}/UTLC/filetensor/<name>_{train,valid,test}.ft`` (or
``.ft.gz``), in the filetensor format; transfer labels ``<name>_transfer.ft``.
Sparse sets: ``UTLC/sparse/<name>_{train,valid,test}.npy`` (or ``.gz``). Sparse matrices
were distributed as pickles of scipy objects, which this library does not unpickle; store
them with ``scipy.sparse.save_npz`` under the same names instead.

``normalize`` applies each set's fixed normalisation (ule: /255; avicenna, sylvester:
the training mean and standard deviation; harry: / 0.6934; rita: / 230; terry: / 300).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from pylearn2.datasets import filetensor
from pylearn2.utils.exc import ConfigError, DataNotFoundError
from pylearn2.utils.string_utils import preprocess

DENSE = ("avicenna", "harry", "rita", "sylvester", "ule")
SPARSE = ("harry", "terry", "ule")
SCALES: dict[str, tuple[float, float]] = {  # name -> (subtract, divide)
    "ule": (0.0, 255.0), "avicenna": (514.62154022835455, 6.829096494224145),
    "sylvester": (403.81889927027686, 96.43841050784053), "harry": (0.0, 0.69336046033925791),
    "rita": (0.0, 230.0), "terry": (0.0, 300.0),
}


def _root(kind: str, name: str) -> str:
    return os.path.join(preprocess("${PYLEARN2_DATA_PATH}"), "UTLC", kind, name + "_")


def _existing(fname: str) -> str:
    if os.path.exists(fname):
        return fname
    if os.path.exists(fname + ".gz"):
        return fname + ".gz"
    raise DataNotFoundError(f"{fname} (or {fname}.gz) does not exist.")


def load_filetensor(fname: str) -> np.ndarray:
    """A filetensor file (``fname`` or ``fname.gz``)."""
    return filetensor.read(_existing(fname))


def load_sparse(fname: str) -> Any:
    """A CSR matrix stored with scipy.sparse.save_npz (``fname`` or ``fname.gz``)."""
    from pylearn2.datasets.sparse_dataset import load_sparse_file

    path = _existing(fname)
    with open(path, "rb") as f:
        head = f.read(2)
    if head == b"\x80\x02" or head[:1] == b"\x80":
        raise ConfigError(f"{path} is a pickle; pickles are not loaded. Convert it once with "
                          "scipy.sparse.save_npz (same file name).")
    return load_sparse_file(path, zipped=path.endswith(".gz"))


def _permute(a: Any) -> Any:
    return a[np.random.default_rng([1, 2, 3, 4]).permutation(a.shape[0])]


def _normalize(name: str, arrays: list[Any]) -> list[Any]:
    if name not in SCALES:
        raise ConfigError(f"UTLC set {name!r} has no normalisation defined.")
    sub, div = SCALES[name]
    out = []
    for a in arrays:
        a = a.astype(np.float32)
        out.append((a - sub) / div if not hasattr(a, "toarray") else a / div)
    return out


def load_ndarray_dataset(name: str, normalize: bool = True, transfer: bool = False,
                         normalize_on_the_fly: bool = False, randomize_valid: bool = False,
                         randomize_test: bool = False) -> tuple[Any, ...]:
    """(train, valid, test[, transfer]) dense arrays of UTLC set ``name``.

    ``normalize_on_the_fly`` only kept data in its stored dtype in the classic library's
    graphs; here it behaves as ``normalize``. The random orders are fixed (seeded).
    """
    if name not in DENSE:
        raise ConfigError(f"UTLC dense sets are {list(DENSE)}, not {name!r}.")
    if normalize and normalize_on_the_fly:
        raise ConfigError("Give normalize or normalize_on_the_fly, not both.")
    common = _root("filetensor", name)
    train, valid, test = (load_filetensor(common + s + ".ft") for s in ("train", "valid", "test"))
    if randomize_valid:
        valid = _permute(valid)
    if randomize_test:
        test = _permute(test)
    if normalize or normalize_on_the_fly:
        train, valid, test = _normalize(name, [train, valid, test])
    if transfer:
        return train, valid, test, load_ndarray_transfer(name)
    return train, valid, test


def load_sparse_dataset(name: str, normalize: bool = True, transfer: bool = False,
                        randomize_valid: bool = False, randomize_test: bool = False
                        ) -> tuple[Any, ...]:
    """(train, valid, test[, transfer]) sparse CSR matrices of UTLC set ``name``."""
    if name not in SPARSE:
        raise ConfigError(f"UTLC sparse sets are {list(SPARSE)}, not {name!r}.")
    common = _root("sparse", name)
    train, valid, test = (load_sparse(common + s + ".npy") for s in ("train", "valid", "test"))
    if randomize_valid:
        valid = _permute(valid)
    if randomize_test:
        test = _permute(test)
    if normalize:
        train, valid, test = _normalize(name, [train, valid, test])
    if transfer:
        return train, valid, test, load_filetensor(_root("filetensor", name) + "transfer.ft")
    return train, valid, test


def load_ndarray_transfer(name: str) -> np.ndarray:
    """The transfer labels of set ``name``'s training examples."""
    if name not in DENSE + ("terry",):
        raise ConfigError(f"UTLC set {name!r} has no transfer labels.")
    return load_filetensor(_root("filetensor", name) + "transfer.ft")


def load_ndarray_label(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(train, valid, test) labels; only the toy set 'ule' has them."""
    if name != "ule":
        raise ConfigError("Only the UTLC set 'ule' has labels.")
    common = _root("filetensor", name)
    return tuple(load_filetensor(common + s + ".tf") for s in ("trainl", "validl", "testl"))


__all__ = ["load_filetensor", "load_ndarray_dataset", "load_ndarray_label",
           "load_ndarray_transfer", "load_sparse", "load_sparse_dataset"]
