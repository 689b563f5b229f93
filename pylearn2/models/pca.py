"""Principal component analysis as Blocks (``train(X)`` then ``block(X)``).

All variants compute the eigen-decomposition of the data's covariance and project
centred inputs on the leading eigenvectors, ``Y = (X - mean) W`` (divided by
``sqrt(eigenvalue)`` when ``whiten``). They differ in how: :class:`CovEigPCA` (eigh of
the covariance, optionally accumulated in batches by :class:`Cov`), :class:`SVDPCA` (SVD
of the centred data; as in the original its eigenvalues are the squared singular values,
not divided by n, which matters only for whitening), :class:`SparseMatPCA` and
:class:`SparsePCA` (scipy sparse inputs), :class:`OnlinePCA` (one example at a time
through :class:`PcaOnlineEstimator`). ``min_variance`` drops components whose share of
the total variance is at most that; ``num_components`` caps their number.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from pylearn2.blocks import Block
from pylearn2.utils.exc import ConfigError


class _PCABase(Block):
    """Shared training, projection and reconstruction; subclasses give ``_cov_eigen``.

    Parameters
    ----------
    num_components : components kept (None: all).
    min_variance : components with a variance share at most this are dropped.
    whiten : divide each projection by its standard deviation.
    """

    def __init__(self, num_components: int | None = None, min_variance: float = 0.0,
                 whiten: bool = False) -> None:
        super().__init__()
        self.num_components, self.min_variance = num_components, float(min_variance)
        self.whiten = bool(whiten)
        self.W: np.ndarray | None = None
        self.v: np.ndarray | None = None
        self.mean: np.ndarray | None = None

    def train(self, X: Any, mean: np.ndarray | None = None) -> None:
        """Fit on the rows of X (centred here unless ``mean`` is given)."""
        if self.num_components is None:
            self.num_components = X.shape[1]
        if mean is None:
            X = np.asarray(X, dtype=np.float64)
            mean = X.mean(0)
            X = X - mean
        v, W = self._cov_eigen(X)
        self.mean = np.asarray(mean, dtype=np.float64).ravel()
        cutoff = self._cutoff(np.asarray(v))
        self.v, self.W = np.asarray(v)[:cutoff], np.asarray(W)[:, :cutoff]

    def _cutoff(self, v: np.ndarray) -> int:
        if not self.num_components or self.num_components < 1:
            raise ConfigError("PCA: num_components must be at least 1.")
        keep = v / v.sum() > self.min_variance
        if not keep.any():
            raise ConfigError(f"PCA: no component has a variance share above min_variance "
                              f"{self.min_variance}.")
        return int(min(1 + np.flatnonzero(keep).max(), self.num_components))

    def _check_trained(self) -> None:
        if self.W is None:
            raise ConfigError(f"{type(self).__name__} is not trained yet; call train(X) first.")

    def get_weights(self) -> np.ndarray:
        """The matrix the centred data is multiplied by."""
        self._check_trained()
        return self.W / np.sqrt(self.v) if self.whiten else self.W.copy()

    def perform(self, X: Any) -> Any:
        self._check_trained()
        if torch.is_tensor(X):
            W = torch.as_tensor(self.get_weights(), dtype=X.dtype, device=X.device)
            return (X - torch.as_tensor(self.mean, dtype=X.dtype, device=X.device)) @ W
        return (np.asarray(X) - self.mean) @ self.get_weights()

    def reconstruct(self, inputs: Any, add_mean: bool = True) -> np.ndarray:
        """Map projections back to the input space."""
        self._check_trained()
        Y = np.asarray(inputs, dtype=np.float64)
        if self.whiten:
            Y = Y * np.sqrt(self.v)
        X = Y @ self.W.T
        return X + self.mean if add_mean else X

    def _cov_eigen(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError(f"{type(self).__name__} does not implement _cov_eigen.")

    def state_dict(self) -> dict[str, Any]:
        return {"W": self.W, "v": self.v, "mean": self.mean,
                "num_components": self.num_components}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.W, self.v, self.mean = (None if state.get(k) is None else np.asarray(state[k])
                                     for k in ("W", "v", "mean"))
        self.num_components = state.get("num_components", self.num_components)


def _descending(v: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(v)[::-1]
    return v[order], W[:, order]


class Cov:
    """Covariance of the columns of X (``numpy.cov(X)`` semantics: variables in rows),
    accumulated ``batch_size`` observations at a time to bound memory."""

    def __init__(self, batch_size: int) -> None:
        self.batch_size = int(batch_size)

    def __call__(self, X: np.ndarray) -> np.ndarray:
        obs = np.asarray(X, dtype=np.float64).T
        mean = obs.mean(0)
        total = np.zeros((obs.shape[1], obs.shape[1]))
        for i in range(0, len(obs), self.batch_size):
            block = obs[i:i + self.batch_size] - mean
            total += block.T @ block
        return total / float(len(obs) - 1)


class CovEigPCA(_PCABase):
    """PCA by eigh of the covariance (``cov_batch_size``: accumulate it in batches)."""

    def __init__(self, cov_batch_size: int | None = None, num_components: int | None = None,
                 min_variance: float = 0.0, whiten: bool = False) -> None:
        super().__init__(num_components, min_variance, whiten)
        self.cov_batch_size = cov_batch_size
        self.cov = Cov(cov_batch_size) if cov_batch_size is not None else np.cov

    def _cov_eigen(self, X):
        v, W = np.linalg.eigh(self.cov(np.asarray(X).T))
        return _descending(v, W)


class SVDPCA(_PCABase):
    """PCA by the SVD of the centred data (eigenvalues = squared singular values)."""

    def _cov_eigen(self, X):
        _, s, Vh = np.linalg.svd(np.asarray(X), full_matrices=False)
        return s ** 2, Vh.T


class SparseMatPCA(_PCABase):
    """PCA of a scipy sparse matrix whose dense centred form would not fit in memory:
    the covariance is accumulated ``batch_size`` rows at a time."""

    def __init__(self, batch_size: int = 50, num_components: int | None = None,
                 min_variance: float = 0.0, whiten: bool = False) -> None:
        super().__init__(num_components, min_variance, whiten)
        self.batch_size = self.minibatch_size = int(batch_size)

    def train(self, X: Any, mean: np.ndarray | None = None) -> None:
        from scipy import sparse

        if not sparse.issparse(X):
            raise ConfigError("SparseMatPCA.train needs a scipy sparse matrix; use CovEigPCA "
                              "or SVDPCA for dense data.")
        self.mean_ = np.asarray(X.mean(axis=0)).ravel()
        super().train(X, mean=self.mean_)

    def _cov_eigen(self, X):
        n, d = X.shape
        cov = np.zeros((d, d))
        for i in range(0, n, self.batch_size):
            x = np.asarray(X[i:i + self.batch_size].todense()) - self.mean_
            cov += x.T @ x
        v, W = np.linalg.eigh(cov / n)
        v, W = _descending(v, W)
        return v[:self.num_components], W[:, :self.num_components]

    def perform(self, X: Any) -> Any:
        from scipy import sparse

        if sparse.issparse(X):
            return np.asarray(X @ self.get_weights()) - self.mean @ self.get_weights()
        return super().perform(X)


class SparsePCA(SparseMatPCA):
    """PCA of a scipy sparse matrix that fits in memory once centred (the covariance is
    computed in one product)."""

    def __init__(self, num_components: int | None = None, min_variance: float = 0.0,
                 whiten: bool = False) -> None:
        super().__init__(batch_size=1 << 30, num_components=num_components,
                         min_variance=min_variance, whiten=whiten)


class PcaOnlineEstimator:
    """Leading eigenpairs of the (uncentred or centred) second-moment matrix, updated one
    observation at a time: every ``minibatch_size`` observations, the current estimate
    (eigenvectors scaled by ``sqrt(gamma * eigenvalue)``, an exponential forgetting of old
    data) and the new rows are re-decomposed by an SVD; ``regularizer`` is added to the
    eigenvalues it reports.

    Parameters
    ----------
    n_dim : input dimension. n_eigen : eigenpairs kept. minibatch_size, gamma, regularizer,
    centering : as above (centering subtracts the running mean).
    """

    def __init__(self, n_dim: int, n_eigen: int = 10, minibatch_size: int = 25,
                 gamma: float = 0.999, regularizer: float = 1e-6, centering: bool = True) -> None:
        self.n_dim, self.n_eigen = int(n_dim), int(n_eigen)
        self.minibatch_size, self.gamma = int(minibatch_size), float(gamma)
        self.regularizer, self.centering = float(regularizer), bool(centering)
        self.n_observations = 0
        self.weight = 0.0  # discounted number of observations behind the estimate
        self.mean = np.zeros(self.n_dim)
        self.vals = np.zeros(0)
        self.vecs = np.zeros((0, self.n_dim))
        self._pending: list[np.ndarray] = []

    def observe(self, x: np.ndarray) -> None:
        x = np.asarray(x, dtype=np.float64).ravel()
        self.n_observations += 1
        if self.centering:
            self.mean += (x - self.mean) / self.n_observations
            x = x - self.mean
        self._pending.append(x)
        if len(self._pending) == self.minibatch_size:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        rows = np.vstack([np.sqrt(self.gamma * self.vals * self.weight)[:, None] * self.vecs,
                          *self._pending])
        self.weight = self.gamma * self.weight + len(self._pending)
        self._pending = []
        _, s, Vh = np.linalg.svd(rows, full_matrices=False)
        k = min(self.n_eigen, len(s))
        self.vals, self.vecs = s[:k] ** 2 / self.weight, Vh[:k]

    def getLeadingEigen(self) -> tuple[np.ndarray, np.ndarray]:
        """(eigenvalues ascending, eigenvectors in rows), as the original returned them."""
        self._flush()
        return (self.vals + self.regularizer)[::-1].copy(), self.vecs[::-1].copy()


class OnlinePCA(_PCABase):
    """PCA through :class:`PcaOnlineEstimator` fed one example at a time."""

    def __init__(self, minibatch_size: int = 500, num_components: int | None = None,
                 min_variance: float = 0.0, whiten: bool = False) -> None:
        super().__init__(num_components, min_variance, whiten)
        self.minibatch_size = int(minibatch_size)

    def _cov_eigen(self, X):
        X = np.asarray(X, dtype=np.float64)
        # every eigenpair is tracked (exact with no forgetting); train() keeps the leading ones
        estimator = PcaOnlineEstimator(X.shape[1], n_eigen=X.shape[1],
                                       minibatch_size=self.minibatch_size, gamma=1.0,
                                       regularizer=0.0, centering=False)
        for row in X:
            estimator.observe(row)
        v, W = estimator.getLeadingEigen()
        return v[::-1], W[::-1].T


__all__ = ["CovEigPCA", "SVDPCA", "SparseMatPCA", "SparsePCA", "OnlinePCA", "Cov",
           "PcaOnlineEstimator"]
