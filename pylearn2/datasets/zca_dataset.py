"""A dataset already whitened by a fitted ZCA (or other invertible) preprocessor.

The data are used as they are; the preprocessor is kept to map examples and learned
filters back to image space for viewing (``mapback``, ``mapback_for_viewer``).
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix, resolve_range


def _rows_to_unit_peak(X: np.ndarray) -> np.ndarray:
    """Divide each row by its largest absolute value (zero rows stay zero)."""
    X = np.asarray(X, dtype=np.float64)
    peaks = np.abs(X).max(axis=1, keepdims=True)
    return (X / np.where(peaks == 0, 1.0, peaks)).astype(np.float32)


class ZCA_Dataset(DenseDesignMatrix):
    """Examples [start, stop) of ``preprocessed_dataset``, with ``preprocessor`` (already
    fitted and applied to it) kept for mapping back. ``axes`` is deprecated and ignored."""

    def __init__(self, preprocessed_dataset: Any, preprocessor: Any, start: int | None = None,
                 stop: int | None = None, axes: Sequence[Any] | None = None) -> None:
        if axes is not None:
            warnings.warn("ZCA_Dataset's axes argument is deprecated and has no effect; the "
                          "preprocessed dataset's axes are used.", DeprecationWarning,
                          stacklevel=2)
        X = preprocessed_dataset.get_design_matrix()
        start, stop = resolve_range("ZCA_Dataset's preprocessed dataset", len(X), start, stop)
        y = preprocessed_dataset.get_targets()
        super().__init__(X=X[start:stop], y=None if y is None else y[start:stop],
                         view_converter=copy.copy(getattr(preprocessed_dataset, "view_converter",
                                                          None)),
                         y_labels=getattr(preprocessed_dataset, "y_labels", None))
        self.preprocessor = preprocessor
        preprocessor.invert()

    def mapback(self, X: np.ndarray) -> np.ndarray:
        """Undo the preprocessor: whitened design rows back to the original space."""
        return self.preprocessor.inverse(np.asarray(X))

    def mapback_for_viewer(self, X: np.ndarray) -> np.ndarray:
        """Undo the preprocessor, then scale each row into [-1, 1] for display."""
        return _rows_to_unit_peak(self.mapback(X))

    def adjust_for_viewer(self, X: np.ndarray) -> np.ndarray:
        """Scale each example into [-1, 1] (whitened data has no common range)."""
        shape = np.shape(X)
        return _rows_to_unit_peak(np.reshape(X, (shape[0], -1))).reshape(shape)

    def adjust_to_be_viewed_with(self, X: np.ndarray, other: np.ndarray,
                                 per_example: bool = False) -> np.ndarray:
        """Scale ``X`` by the peak of ``other`` (per example or overall) so both share a
        display range."""
        X = np.asarray(X, dtype=np.float64)
        other = np.asarray(other, dtype=np.float64)
        if per_example:
            peaks = np.abs(other.reshape(len(other), -1)).max(axis=1)
            peaks = np.where(peaks == 0, 1.0, peaks).reshape((-1,) + (1,) * (X.ndim - 1))
        else:
            peaks = np.abs(other).max() or 1.0
        return np.clip(X / peaks, -1.0, 1.0).astype(np.float32)
