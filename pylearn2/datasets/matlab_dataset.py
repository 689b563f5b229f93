"""A design matrix read from one variable of a MATLAB .mat file."""

from __future__ import annotations

import os

import numpy as np

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.utils.exc import ConfigError, DataNotFoundError
from pylearn2.utils.string_utils import preprocess


class MatlabDataset(DenseDesignMatrix):
    """``X`` is the variable ``which_set`` of the .mat file at ``path`` (no targets)."""

    def __init__(self, path: str, which_set: str) -> None:
        import scipy.io

        path = preprocess(path)
        if not os.path.isfile(path):
            raise DataNotFoundError(f"{path} does not exist.")
        try:
            variables = scipy.io.loadmat(path)
        except Exception as err:
            raise ConfigError(f"{path}: not a readable .mat file ({type(err).__name__}: "
                              f"{err}).") from None
        if which_set not in variables:
            names = sorted(k for k in variables if not k.startswith("__"))
            raise ConfigError(f"{path} has no variable {which_set!r}; it has {names}.")
        X = np.asarray(variables[which_set], dtype=np.float32)
        if np.isnan(X).any():
            raise ConfigError(f"{path}: variable {which_set!r} contains NaN.")
        self.path, self.which_set = path, which_set
        super().__init__(X=X)


__all__ = ["MatlabDataset"]
