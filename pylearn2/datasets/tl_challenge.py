"""The NIPS 2011 transfer learning challenge data: 32x32 colour images.

Files under ``${PYLEARN2_DATA_PATH}/TLChallenge``: ``training/training-data.dat`` and
``unlabelled_tiny.dat`` hold whitespace-separated bytes, all images' values interleaved
(value ``k`` of image ``n`` is entry ``n + N k``; ``k = (col * 32 + row) * 3 + channel``);
``training/training-labels.dat`` the fine labels (100..109).
"""

from __future__ import annotations

import os

import numpy as np

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.utils.exc import ConfigError, DataNotFoundError
from pylearn2.utils.string_utils import preprocess

IMAGE = 32 * 32 * 3
# fine label -> coarse (CIFAR-100 superclass) label
COARSE = {100: 7, 101: 11, 102: 11, 103: 11, 104: 4, 105: 3, 106: 4, 107: 12, 108: 4, 109: 6}


def _read_text_bytes(path: str) -> np.ndarray:
    if not os.path.isfile(path):
        raise DataNotFoundError(f"{path} does not exist.")
    data = np.fromfile(path, dtype=np.int64, sep=" ")
    if data.size and (data.min() < 0 or data.max() > 255):
        raise ConfigError(f"{path}: values must be bytes 0..255.")
    return data.astype(np.uint8)


class TL_Challenge(DenseDesignMatrix):  # noqa: N801 (the original's name)
    """``which_set`` 'train', 'unlabeled' or 'custom' (the file ``custom_path``); the
    training set has ``y_fine`` and ``y_coarse`` label vectors."""

    def __init__(self, which_set: str, center: bool = False, custom_path: str | None = None) -> None:
        if which_set not in ("train", "unlabeled", "custom"):
            raise ConfigError(f"TL_Challenge which_set must be 'train', 'unlabeled' or "
                              f"'custom', got {which_set!r}.")
        root = "${PYLEARN2_DATA_PATH}/TLChallenge"
        if which_set == "custom" and custom_path is None:
            raise ConfigError("TL_Challenge: which_set 'custom' needs custom_path.")
        path = preprocess({"train": root + "/training/training-data.dat",
                           "unlabeled": root + "/unlabelled_tiny.dat"}.get(which_set, custom_path))
        flat = _read_text_bytes(path)
        if flat.size % IMAGE:
            raise ConfigError(f"{path}: {flat.size} values is not a whole number of "
                              f"{IMAGE}-value images; the file is truncated.")
        X = flat.reshape(flat.size // IMAGE, IMAGE, order="F").astype(np.float32)
        if center:
            X -= 127.5
        topo = X.reshape(-1, 32, 32, 3).transpose(0, 2, 1, 3)  # (col, row) order -> images
        super().__init__(topo_view=np.ascontiguousarray(topo), axes=("b", 0, 1, "c"))
        if which_set == "train":
            labels_path = preprocess(root + "/training/training-labels.dat")
            self.y_fine = _read_text_bytes(labels_path)
            if self.y_fine.shape[0] != self.X.shape[0]:
                raise ConfigError(f"{labels_path}: {self.y_fine.shape[0]} labels for "
                                  f"{self.X.shape[0]} images.")
            unknown = sorted(set(self.y_fine.tolist()) - set(COARSE))
            if unknown:
                raise ConfigError(f"{labels_path}: unknown fine labels {unknown}.")
            self.y_coarse = np.array([COARSE[v] for v in self.y_fine], dtype=np.uint8)


__all__ = ["TL_Challenge"]
