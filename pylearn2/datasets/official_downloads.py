"""``download=True`` for the datasets with an official download: CIFAR-10, CIFAR-100,
SVHN (format 2), STL-10 (binary release) and binarized MNIST.

Each file is fetched over http(s) into the dataset's folder under the first entry of
``PYLEARN2_DATA_PATH`` by :func:`pylearn2.utils.download.download_file` (resumable; the
file is renamed into place only once complete and verified). The MD5 checksums below are
those published with torchvision's dataset code (github.com/pytorch/vision,
``torchvision/datasets/cifar.py``, ``svhn.py`` and ``stl10.py``), for the files served at
the URLs listed. Binarized MNIST (the ``.amat`` files the classic download script
fetched) has no published checksum, so none is claimed: each file's format is checked
instead (rows of 784 values in {0, 1}, the set's known number of rows) before it is
converted to the ``.npy`` file the loader reads.

Archives are unpacked with a member check (only plain files and folders, all inside the
dataset folder) and removed once unpacked. Every function takes ``base_url`` (else an
environment variable, else the official address) so a mirror can serve the same files.
"""

from __future__ import annotations

import os
import tarfile
from collections.abc import Iterable, Mapping

import numpy as np

from pylearn2.utils.download import download_file
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.string_utils import first_data_path

# name: (official folder URL, file name, published MD5 or None)
CIFAR10_ARCHIVE = ("https://www.cs.toronto.edu/~kriz/", "cifar-10-python.tar.gz",
                   "c58f30108f718f92721af3b95e74349a")
CIFAR100_ARCHIVE = ("https://www.cs.toronto.edu/~kriz/", "cifar-100-python.tar.gz",
                    "eb9058c3a382ffc7106e4002c42a8d85")
STL10_ARCHIVE = ("http://ai.stanford.edu/~acoates/stl10/", "stl10_binary.tar.gz",
                 "91f7769df0f17e558f3565bffb0c7dfb")
SVHN_URL = "http://ufldl.stanford.edu/housenumbers/"
SVHN_MD5 = {"train": "e26dedcc434d2e4c54c9b2d4a06d8373",
            "test": "eb5a983be6a315427106f1b164d9cef3",
            "extra": "a93ce644f1a588dc4d68dda5feec44a7"}
BINARIZED_MNIST_URL = "http://www.cs.toronto.edu/~larocheh/public/datasets/binarized_mnist/"
BINARIZED_MNIST_ROWS = {"train": 50000, "valid": 10000, "test": 10000}


def data_root() -> str:
    """The first folder of ``PYLEARN2_DATA_PATH`` (downloads go there)."""
    return first_data_path("download=True stores the files under $PYLEARN2_DATA_PATH.")


def _base(base_url: str | None, variable: str, default: str) -> str:
    return (base_url or os.environ.get(variable) or default).rstrip("/") + "/"


def extract_archive(archive: str, folder: str) -> None:
    """Unpack a .tar.gz into ``folder``, refusing links, devices and paths outside it."""
    real = os.path.realpath(folder)
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = tar.getmembers()
            for member in members:
                target = os.path.realpath(os.path.join(real, member.name))
                if not (member.isfile() or member.isdir()) or \
                        os.path.commonpath([real, target]) != real:
                    raise ConfigError(f"{archive}: refusing member {member.name!r} (only plain "
                                      "files and folders inside the dataset folder are "
                                      "unpacked).")
            tar.extractall(real, members=members)
    except (tarfile.TarError, EOFError, OSError) as err:
        raise ConfigError(f"{archive}: not a readable .tar.gz archive ({err}); delete it and "
                          "download again.") from None


def _fetch_archive(spec: tuple[str, str, str], folder: str, unpacked: str,
                   base_url: str | None, variable: str) -> str:
    """Download and unpack ``spec`` into ``folder`` unless ``folder/unpacked`` exists."""
    url, name, md5 = spec
    if os.path.isdir(os.path.join(folder, unpacked)):
        return os.path.join(folder, unpacked)
    archive = download_file(_base(base_url, variable, url) + name, os.path.join(folder, name),
                            md5=md5)
    extract_archive(archive, folder)
    if not os.path.isdir(os.path.join(folder, unpacked)):
        raise ConfigError(f"{archive} did not contain {unpacked}/; it is not the official "
                          "archive.")
    os.remove(archive)
    return os.path.join(folder, unpacked)


def download_cifar10(base_url: str | None = None) -> str:
    """``$PYLEARN2_DATA_PATH/cifar10/cifar-10-batches-py/`` (mirror: ``$PYLEARN2_CIFAR10_URL``)."""
    return _fetch_archive(CIFAR10_ARCHIVE, os.path.join(data_root(), "cifar10"),
                          "cifar-10-batches-py", base_url, "PYLEARN2_CIFAR10_URL")


def download_cifar100(base_url: str | None = None) -> str:
    """``$PYLEARN2_DATA_PATH/cifar100/cifar-100-python/`` (mirror: ``$PYLEARN2_CIFAR100_URL``)."""
    return _fetch_archive(CIFAR100_ARCHIVE, os.path.join(data_root(), "cifar100"),
                          "cifar-100-python", base_url, "PYLEARN2_CIFAR100_URL")


def download_stl10(base_url: str | None = None) -> str:
    """``$PYLEARN2_DATA_PATH/stl10/stl10_binary/`` (mirror: ``$PYLEARN2_STL10_URL``)."""
    return _fetch_archive(STL10_ARCHIVE, os.path.join(data_root(), "stl10"), "stl10_binary",
                          base_url, "PYLEARN2_STL10_URL")


def download_svhn(folder: str, sets: Iterable[str], base_url: str | None = None) -> None:
    """The ``<set>_32x32.mat`` files of ``sets`` ('train', 'test', 'extra') into ``folder``
    (mirror: ``$PYLEARN2_SVHN_URL``)."""
    base = _base(base_url, "PYLEARN2_SVHN_URL", SVHN_URL)
    for name in sets:
        download_file(f"{base}{name}_32x32.mat", os.path.join(folder, f"{name}_32x32.mat"),
                      md5=SVHN_MD5[name])


def read_amat(path: str, rows: int) -> np.ndarray:
    """A binarized-MNIST ``.amat`` file: ``rows`` lines of 784 values in {0, 1}."""
    try:
        X = np.loadtxt(path, dtype=np.float32, ndmin=2)
    except ValueError as err:
        raise ConfigError(f"{path}: not a binarized MNIST .amat file ({err}).") from None
    if X.shape != (rows, 784):
        raise ConfigError(f"{path}: expected {rows} rows of 784 values, got {X.shape[0]} rows "
                          f"of {X.shape[1] if X.ndim == 2 else 0}; the download is incomplete "
                          "or not the binarized MNIST file.")
    if not np.isin(X, (0.0, 1.0)).all():
        raise ConfigError(f"{path}: binarized MNIST holds only 0 and 1.")
    return X


def download_binarized_mnist(which_sets: Iterable[str], base_url: str | None = None,
                             rows: Mapping[str, int] | None = None) -> None:
    """``$PYLEARN2_DATA_PATH/binarized_mnist/binarized_mnist_<set>.npy`` from the ``.amat``
    files (mirror: ``$PYLEARN2_BINARIZED_MNIST_URL``). No checksum is published for them,
    so each file's format and row count are checked before conversion; a file that fails
    the check is removed."""
    folder = os.path.join(data_root(), "binarized_mnist")
    base = _base(base_url, "PYLEARN2_BINARIZED_MNIST_URL", BINARIZED_MNIST_URL)
    rows = BINARIZED_MNIST_ROWS if rows is None else rows
    for which_set in which_sets:
        target = os.path.join(folder, f"binarized_mnist_{which_set}.npy")
        if os.path.exists(target):
            continue
        amat = download_file(f"{base}binarized_mnist_{which_set}.amat",
                             os.path.join(folder, f"binarized_mnist_{which_set}.amat"))
        try:
            X = read_amat(amat, rows[which_set])
        except ConfigError:
            os.remove(amat)
            raise
        tmp = target + ".part.npy"
        np.save(tmp, X.astype(np.uint8))
        os.replace(tmp, target)
        os.remove(amat)


__all__ = ["download_binarized_mnist", "download_cifar10", "download_cifar100",
           "download_stl10", "download_svhn", "extract_archive", "read_amat"]
