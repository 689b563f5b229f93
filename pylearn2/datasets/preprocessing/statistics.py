"""Preprocessors with fitted statistics: means, scales, whitening and projections.

Every fit is done in float64 on the dataset given with ``can_fit=True``; the results are
numpy arrays returned by ``state_dict()``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pylearn2.datasets.preprocessing.base import Preprocessor, design_float64
from pylearn2.utils.exc import ConfigError, ShapeError


def _check_width(name: str, X: np.ndarray, width: int) -> None:
    if X.shape[1] != width:
        raise ShapeError(f"{name} was fitted on {width} features but this data has "
                         f"{X.shape[1]}.")


class RemoveMean(Preprocessor):
    """Subtract the mean over ``axis``: 0 per feature (fitted), 1 per example (not fitted)."""

    _fitted = ("mean_",)

    def __init__(self, axis: int = 0) -> None:
        if axis not in (0, 1):
            raise ConfigError(f"RemoveMean axis must be 0 or 1, got {axis}.")
        self.axis = axis
        self.mean_: np.ndarray | None = None

    def is_fitted(self) -> bool:
        return self.axis == 1 or self.mean_ is not None

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        X = design_float64(dataset)
        if self.axis == 1:
            dataset.set_design_matrix((X - X.mean(1, keepdims=True)).astype(np.float32))
            return
        if self._require_fit(can_fit):
            self.mean_ = X.mean(0)
        _check_width("RemoveMean", X, self.mean_.shape[0])
        dataset.set_design_matrix((X - self.mean_).astype(np.float32))

    def inverse(self, X: np.ndarray) -> np.ndarray:
        if self.axis == 1:
            raise ConfigError("RemoveMean(axis=1) discards each example's mean; it cannot be "
                              "inverted.")
        return (np.asarray(X, np.float64) + self._fitted_value("mean_")).astype(np.float32)


class Standardize(Preprocessor):
    """``(X - mean) / (std_eps + std)``: per feature, or one global mean/std."""

    _fitted = ("mean_", "std_")

    def __init__(self, global_mean: bool = False, global_std: bool = False,
                 std_eps: float = 1e-4) -> None:
        self.global_mean, self.global_std, self.std_eps = global_mean, global_std, float(std_eps)
        self.mean_: np.ndarray | None = None
        self.std_: np.ndarray | None = None

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        X = design_float64(dataset)
        if self._require_fit(can_fit):
            self.mean_ = np.asarray(X.mean()) if self.global_mean else X.mean(0)
            self.std_ = np.asarray(X.std()) if self.global_std else X.std(0)
        if self.mean_.ndim:
            _check_width("Standardize", X, self.mean_.shape[0])
        scaled = (X - self.mean_) / (self.std_eps + self.std_)
        dataset.set_design_matrix(scaled.astype(np.float32))

    def inverse(self, X: np.ndarray) -> np.ndarray:
        std, mean = self._fitted_value("std_"), self._fitted_value("mean_")
        return (np.asarray(X, np.float64) * (self.std_eps + std) + mean).astype(np.float32)


class RemoveZeroColumns(Preprocessor):
    """Drop the features that are zero in every training example."""

    _fitted = ("keep_",)

    def __init__(self) -> None:
        self.keep_: np.ndarray | None = None

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        X = dataset.get_design_matrix()
        if self._require_fit(can_fit):
            self.keep_ = np.abs(X).max(axis=0) != 0
        _check_width("RemoveZeroColumns", X, self.keep_.shape[0])
        dataset.set_design_matrix(np.ascontiguousarray(X[:, self.keep_]))

    def inverse(self, X: np.ndarray) -> np.ndarray:
        keep = self._fitted_value("keep_").astype(bool)
        out = np.zeros((X.shape[0], keep.shape[0]), dtype=np.float32)
        out[:, keep] = X
        return out


class ZCA(Preprocessor):
    """Zero-phase whitening: ``X <- (X - mean_) P_`` with ``P_ = V diag(1/sqrt(l)) V^T``.

    ``l, V`` are the eigenvalues/vectors of ``X_c^T X_c / N + filter_bias * I`` (fitted in
    float64); keep the top ``n_components`` or drop the smallest ``n_drop_components``.
    ``store_inverse`` keeps ``inv_P_ = V diag(sqrt(l)) V^T`` so :meth:`inverse` maps whitened
    data back; without it, :meth:`invert` computes it from ``P_``.
    """

    _fitted = ("mean_", "P_")

    def __init__(self, n_components: int | None = None, n_drop_components: int | None = None,
                 filter_bias: float = 0.1, store_inverse: bool = True) -> None:
        if n_components is not None and n_drop_components is not None:
            raise ConfigError("ZCA: give n_components or n_drop_components, not both.")
        self.n_components, self.n_drop_components = n_components, n_drop_components
        self.filter_bias, self.store_inverse = float(filter_bias), store_inverse
        self.mean_: np.ndarray | None = None
        self.P_: np.ndarray | None = None
        self.inv_P_: np.ndarray | None = None

    def state_dict(self) -> dict[str, Any]:
        return {"mean_": self.mean_, "P_": self.P_, "inv_P_": self.inv_P_}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for name in ("mean_", "P_", "inv_P_"):
            value = state.get(name)
            setattr(self, name, None if value is None else np.asarray(value, np.float64))

    def fit(self, X: np.ndarray) -> None:
        X = np.asarray(X, dtype=np.float64)
        n, dim = X.shape
        keep = dim
        if self.n_components is not None:
            keep = int(self.n_components)
        elif self.n_drop_components is not None:
            keep = dim - int(self.n_drop_components)
        if not 0 < keep <= dim:
            raise ConfigError(f"ZCA would keep {keep} of {dim} components; n_components must be "
                              f"in [1, {dim}] and n_drop_components in [0, {dim - 1}].")
        self.mean_ = X.mean(0)
        centred = X - self.mean_
        cov = centred.T @ centred / n + self.filter_bias * np.eye(dim)
        eigs, vecs = np.linalg.eigh(cov)
        order = np.argsort(eigs)[::-1][:keep]
        eigs, vecs = eigs[order], vecs[:, order]
        if eigs.min() <= 0:
            raise ConfigError("ZCA: the covariance has a non-positive eigenvalue; raise "
                              "filter_bias (e.g. 0.1) or drop components.")
        self.P_ = (vecs / np.sqrt(eigs)) @ vecs.T
        self.inv_P_ = (vecs * np.sqrt(eigs)) @ vecs.T if self.store_inverse else None

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        X = dataset.get_design_matrix()
        if self._require_fit(can_fit):
            self.fit(X)
        dataset.set_design_matrix(self.transform(X))

    def transform(self, X: np.ndarray) -> np.ndarray:
        P = self._fitted_value("P_")
        _check_width("ZCA", X, P.shape[0])
        out = np.empty(X.shape, dtype=np.float32)
        for i in range(0, len(X), 10000):  # bounds the float64 working memory
            out[i:i + 10000] = (np.asarray(X[i:i + 10000], dtype=np.float64) - self.mean_) @ P
        return out

    def invert(self) -> None:
        if self.inv_P_ is None:
            self.inv_P_ = np.linalg.pinv(self._fitted_value("P_"), hermitian=True)

    def inverse(self, X: np.ndarray) -> np.ndarray:
        if self.inv_P_ is None:
            self.invert()
        return (np.asarray(X, dtype=np.float64) @ self.inv_P_ + self.mean_).astype(np.float32)


class PCA(Preprocessor):
    """Project onto the top ``num_components`` principal directions (optionally whitened).

    The dataset loses its topological view (the features are no longer pixels).
    """

    _fitted = ("mean_", "components_", "variances_")

    def __init__(self, num_components: int, whiten: bool = False) -> None:
        self.num_components, self.whiten = int(num_components), whiten
        self.mean_: np.ndarray | None = None
        self.components_: np.ndarray | None = None
        self.variances_: np.ndarray | None = None

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        X = design_float64(dataset)
        if self._require_fit(can_fit):
            if not 0 < self.num_components <= min(X.shape):
                raise ConfigError(f"PCA num_components={self.num_components} must lie in "
                                  f"[1, {min(X.shape)}] for data of shape {X.shape}.")
            self.mean_ = X.mean(0)
            _, s, vt = np.linalg.svd(X - self.mean_, full_matrices=False)
            self.components_ = vt[: self.num_components]
            self.variances_ = s[: self.num_components] ** 2 / X.shape[0]
        _check_width("PCA", X, self.mean_.shape[0])
        Z = (X - self.mean_) @ self.components_.T
        if self.whiten:
            Z = Z / np.sqrt(self.variances_ + 1e-12)
        dataset.view_converter = None
        dataset.set_design_matrix(Z.astype(np.float32))

    def inverse(self, X: np.ndarray) -> np.ndarray:
        """Back to the input space (exact on the span of the kept components)."""
        Z = np.asarray(X, dtype=np.float64)
        if self.whiten:
            Z = Z * np.sqrt(self._fitted_value("variances_") + 1e-12)
        return (Z @ self._fitted_value("components_") + self.mean_).astype(np.float32)
