"""The OCR letters dataset (Taskar et al.): 16x8 binary letter images, 26 classes.

``${PYLEARN2_DATA_PATH}/ocr_letters/letter.data``: tab-separated lines of id, letter,
next id, word id, position, fold, then the 128 pixels. The splits are the first 32,152
lines (train), the next 10,000 (valid) and the next 10,000 (test).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from pylearn2.datasets.dense_design_matrix import DefaultViewConverter, DenseDesignMatrix
from pylearn2.utils.exc import ConfigError, DataNotFoundError
from pylearn2.utils.string_utils import preprocess


class OCR(DenseDesignMatrix):
    """One split of the OCR letters; labels index the sorted letters (0 = 'a'); ``fold``
    holds each example's cross-validation fold."""

    data_split = {"train": 32152, "valid": 10000, "test": 10000}

    def __init__(self, which_set: str, one_hot: bool = False, axes: Any = ("b", 0, 1, "c")) -> None:
        if which_set not in self.data_split:
            raise ConfigError(f"OCR which_set must be one of {list(self.data_split)}, got "
                              f"{which_set!r}.")
        path = preprocess("${PYLEARN2_DATA_PATH}/ocr_letters/letter.data")
        if not os.path.isfile(path):
            raise DataNotFoundError(f"{path} does not exist.")
        pixels, letters, folds = [], [], []
        with open(path) as f:
            for number, line in enumerate(f, 1):
                fields = line.rstrip("\n").rstrip("\t").split("\t")
                if len(fields) < 6 + 128:
                    raise ConfigError(f"{path}:{number}: expected 134 tab-separated fields, "
                                      f"got {len(fields)}; the file is damaged or truncated.")
                letters.append(fields[1])
                folds.append(int(fields[5]))
                pixels.append([int(v) for v in fields[6:6 + 128]])
        names = sorted(set(letters))
        sizes = self.data_split
        start = {"train": 0, "valid": sizes["train"],
                 "test": sizes["train"] + sizes["valid"]}[which_set]
        stop = start + self.data_split[which_set]
        if len(pixels) < stop:
            raise ConfigError(f"{path} has {len(pixels)} lines; the {which_set} split needs "
                              f"lines {start + 1}..{stop}.")
        X = np.asarray(pixels[start:stop], dtype=np.float32)
        y = np.asarray([names.index(c) for c in letters[start:stop]], dtype=np.int64)
        self.fold = np.asarray(folds[start:stop])
        self.one_hot, self.which_set = one_hot, which_set
        super().__init__(X=X, y=np.eye(len(names), dtype=np.float32)[y] if one_hot else y[:, None],
                         view_converter=DefaultViewConverter((16, 8, 1), axes), axes=axes,
                         y_labels=None if one_hot else len(names))

    def get_test_set(self) -> OCR:
        return OCR("test", one_hot=self.one_hot)


__all__ = ["OCR"]
