"""MNIST handwritten digits from ``${PYLEARN2_DATA_PATH}/mnist/``.

Reads the four original IDX files (``train-images-idx3-ubyte`` etc.), gzipped or not.
X is float32 in [0, 1] with topological shape (28, 28, 1); y holds (N, 1) labels with
``y_labels=10``. There is no 'valid' split: use ``which_set: 'train'`` with
``start: 50000, stop: 60000``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix, resolve_range
from pylearn2.space import Conv2DSpace
from pylearn2.utils.exc import ConfigError, DataNotFoundError
from pylearn2.utils.mnist_ubyte import read_mnist_images, read_mnist_labels
from pylearn2.utils.string_utils import first_data_path

FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
DEFAULT_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"


def download_mnist(folder: str, base_url: str | None = None) -> None:
    """Fetch the four MNIST files into ``folder`` (resumable, sha256-checked).

    The mirror is ``base_url``, else ``$PYLEARN2_MNIST_URL``, else a public mirror."""
    from pylearn2.utils.download import download_file

    base = base_url or os.environ.get("PYLEARN2_MNIST_URL") or DEFAULT_URL
    for name, digest in SHA256.items():
        raw = os.path.join(folder, name[:-3])
        if not os.path.exists(raw):
            download_file(base.rstrip("/") + "/" + name, os.path.join(folder, name), digest)


def mnist_dir() -> str:
    return os.path.join(first_data_path("MNIST is read from $PYLEARN2_DATA_PATH/mnist/."),
                        "mnist")


def find_file(folder: str, name: str) -> str:
    for candidate in (name, name + ".gz"):
        path = os.path.join(folder, candidate)
        if os.path.exists(path):
            return path
    raise DataNotFoundError(
        f"MNIST file not found: tried {os.path.join(folder, name)} and its .gz. Put the four "
        "IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
        "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) in that folder."
    )


class MNIST(DenseDesignMatrix):
    """The MNIST 'train' (60000) or 'test' (10000) set, optionally examples [start, stop)."""

    def __init__(self, which_set: str, center: bool = False, shuffle: bool = False,
                 binarize: bool = False, start: int | None = None, stop: int | None = None,
                 axes: Sequence[Any] = ("b", 0, 1, "c"), preprocessor: Any = None,
                 fit_preprocessor: bool = False, fit_test_preprocessor: bool = False,
                 one_hot: bool | None = None, download: bool = False,
                 base_url: str | None = None) -> None:
        if which_set not in FILES:
            hint = " MNIST has no 'valid' split: use which_set 'train' with start: 50000, " \
                   "stop: 60000." if which_set == "valid" else ""
            raise ConfigError(f"MNIST which_set must be 'train' or 'test', got {which_set!r}.{hint}")
        folder = mnist_dir()
        if download:
            download_mnist(folder, base_url)
        images = read_mnist_images(find_file(folder, FILES[which_set][0]))
        labels = read_mnist_labels(find_file(folder, FILES[which_set][1]))
        if shuffle:
            order = np.random.default_rng([1, 2, 3]).permutation(len(labels))
            images, labels = images[order], labels[order]
        n = len(labels)
        start, stop = resolve_range(f"MNIST {which_set!r}", n, start, stop)
        X = images[start:stop].reshape(stop - start, -1)
        if binarize:
            X = (X > 0.5).astype(np.float32)
        if center:
            X = X - images.reshape(n, -1).mean(0) if not binarize else X - X.mean(0)
        self.which_set, self.center, self.binarize = which_set, center, binarize
        self.shuffle = shuffle
        self.one_hot = bool(one_hot)
        y = labels[start:stop, None]
        if one_hot:
            y = np.eye(10, dtype=np.float32)[y[:, 0]]
        topo = X.reshape(-1, 28, 28, 1)
        super().__init__(topo_view=Conv2DSpace.convert(topo, ("b", 0, 1, "c"), axes),
                         y=y, axes=axes, y_labels=None if one_hot else 10,
                         preprocessor=preprocessor,
                         fit_preprocessor=fit_preprocessor)
        self.fit_test_preprocessor = fit_test_preprocessor

    def adjust_for_viewer(self, X: np.ndarray) -> np.ndarray:
        return np.clip(X * 2.0 - 1.0, -1.0, 1.0) if not self.center else np.clip(X, -1.0, 1.0)

    def get_test_set(self) -> MNIST:
        """The test split with the same options and the same preprocessor, which is fit
        on the test data only if ``fit_test_preprocessor`` was set (as the original)."""
        return MNIST(which_set="test", center=self.center, shuffle=self.shuffle,
                     binarize=self.binarize, axes=self.axes, one_hot=self.one_hot,
                     preprocessor=self.preprocessor,
                     fit_preprocessor=self.fit_test_preprocessor, fit_test_preprocessor=False)


# The ICML 2007 rotated-MNIST set also lives at this path in the classic library.
from pylearn2.datasets.icml07 import MNIST_rotated_background  # noqa: E402,F401,I001
