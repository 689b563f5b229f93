"""K-means clustering: a model that trains itself (``train_all`` / ``continue_learning``).

Used with ``algorithm: null`` in Train. Each ``train_all`` call runs Lloyd iterations
over the whole dataset until the relative drop of the mean squared distance falls below
``convergence_th`` (or ``max_iter`` iterations); the cluster centres are a buffer, so
they are saved with the model. Initial centres are k distinct examples drawn with a
seeded generator (k-means++ when ``init='k-means++'``).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import torch

from pylearn2.models.model import Model
from pylearn2.space import VectorSpace
from pylearn2.utils.exc import ConfigError

log = logging.getLogger(__name__)


class KMeans(Model):
    """k-means with ``k`` centres in ``nvis`` dimensions; ``perform(X)`` gives one-hot codes."""

    def __init__(self, k: int, nvis: int, convergence_th: float = 1e-6,
                 max_iter: int | None = None, verbose: bool = False,
                 init: str = "random", seed: Any = (2013, 10, 3), batch_size: int = 4096) -> None:
        super().__init__()
        if k < 1 or nvis < 1:
            raise ConfigError(f"KMeans needs k >= 1 and nvis >= 1, got k={k}, nvis={nvis}.")
        if init not in ("random", "k-means++"):
            raise ConfigError(f"KMeans init must be 'random' or 'k-means++', got {init!r}.")
        self.k, self.nvis = int(k), int(nvis)
        self.convergence_th = float(convergence_th)
        self.max_iter = max_iter
        self.verbose = verbose
        self.init = init
        self.seed = seed
        self.batch_size = int(batch_size)
        self.input_space = VectorSpace(self.nvis)
        self.output_space = VectorSpace(self.k)
        self.register_buffer("mu", torch.zeros(self.k, self.nvis, dtype=torch.float64))
        self.register_buffer("initialized", torch.zeros((), dtype=torch.bool))
        self.register_buffer("iterations", torch.zeros((), dtype=torch.int64))
        self.register_buffer("inertia", torch.tensor(float("inf"), dtype=torch.float64))
        self.converged = False

    # -- self-training -------------------------------------------------------------------
    def train_all(self, dataset: Any) -> None:
        """One Lloyd iteration (assign every example, move every centre) over ``dataset``."""
        X = torch.as_tensor(np.asarray(dataset.get_design_matrix()), dtype=torch.float64)
        if X.ndim != 2 or X.shape[1] != self.nvis:
            raise ConfigError(f"KMeans(nvis={self.nvis}) got data of shape {tuple(X.shape)}.")
        if X.shape[0] < self.k:
            raise ConfigError(f"KMeans needs at least k={self.k} examples, got {X.shape[0]}.")
        if not bool(self.initialized):
            self._initialise(X)
        labels, distances = self._assign(X)
        inertia = float(distances.mean())
        sums = torch.zeros_like(self.mu).index_add_(0, labels, X)
        counts = torch.bincount(labels, minlength=self.k).to(X.dtype)
        empty = counts == 0
        new_mu = sums / counts.clamp_min(1)[:, None]
        if bool(empty.any()):  # re-seed empty clusters with the worst-fit examples
            worst = torch.argsort(distances, descending=True)[: int(empty.sum())]
            new_mu[empty] = X[worst]
        previous = float(self.inertia)
        self.mu.copy_(new_mu)
        self.inertia.fill_(inertia)
        self.iterations += 1
        self.converged = np.isfinite(previous) and \
            (previous - inertia) <= self.convergence_th * max(previous, 1e-30)
        if self.verbose:
            log.info("k-means iteration %d: mean squared distance %.6g",
                     int(self.iterations), inertia)

    def training_channels(self) -> dict[str, float]:
        """Recorded by the monitor after every round of self-training."""
        return {"mean_squared_distance": float(self.inertia),
                "iterations": float(self.iterations)}

    def continue_learning(self) -> bool:
        if self.max_iter is not None and int(self.iterations) >= self.max_iter:
            return False
        return not self.converged

    def _initialise(self, X: torch.Tensor) -> None:
        rng = np.random.default_rng([int(s) for s in np.atleast_1d(self.seed)])
        if self.init == "random":
            idx = rng.choice(X.shape[0], size=self.k, replace=False)
            self.mu.copy_(X[torch.as_tensor(idx)])
        else:
            centres = [int(rng.integers(X.shape[0]))]
            d2 = ((X - X[centres[0]]) ** 2).sum(1)
            for _ in range(1, self.k):
                probs = (d2 / d2.sum()).numpy()
                centres.append(int(rng.choice(X.shape[0], p=probs)))
                d2 = torch.minimum(d2, ((X - X[centres[-1]]) ** 2).sum(1))
            self.mu.copy_(X[torch.as_tensor(centres)])
        self.initialized.fill_(True)

    def _assign(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        labels, dists = [], []
        mu_sq = (self.mu ** 2).sum(1)
        for start in range(0, X.shape[0], self.batch_size):
            chunk = X[start:start + self.batch_size]
            d2 = (chunk ** 2).sum(1, keepdim=True) - 2 * chunk @ self.mu.T + mu_sq
            best = d2.min(1)
            labels.append(best.indices)
            dists.append(best.values.clamp_min(0))
        return torch.cat(labels), torch.cat(dists)

    # -- using the model ------------------------------------------------------------------
    def perform(self, X: torch.Tensor) -> torch.Tensor:
        """One-hot cluster assignments of a batch (float32)."""
        labels, _ = self._assign(X.to(torch.float64))
        return torch.nn.functional.one_hot(labels, self.k).to(torch.float32)

    def fprop(self, X: torch.Tensor) -> torch.Tensor:
        return self.perform(X)

    def squared_distances(self, X: Any) -> np.ndarray:
        """(n, k) float64 squared Euclidean distances of each example to each centre."""
        X = np.asarray(X.detach().cpu() if isinstance(X, torch.Tensor) else X, np.float64)
        mu = self.mu.detach().cpu().numpy().astype(np.float64)
        return ((X[:, None, :] - mu[None]) ** 2).sum(-1)

    def __call__(self, X: Any) -> Any:
        """The original's ``model(X)``: each example's squared distances to the centres
        divided by their sum (a float64 array for an array; a tensor for a tensor). The
        one-hot codes are ``perform(X)``."""
        dists = self.squared_distances(X)
        out = dists / dists.sum(1, keepdims=True)
        return torch.as_tensor(out) if isinstance(X, torch.Tensor) else out

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.perform(X)

    def get_weights(self) -> np.ndarray:
        """The centres as a (nvis, k) matrix, one column per centre, for weight viewers."""
        return self.mu.detach().cpu().numpy().T

    def get_monitoring_data_specs(self):
        return (self.input_space, self.get_input_source())

    def get_monitoring_channels(self, data: torch.Tensor) -> dict[str, torch.Tensor]:
        _, distances = self._assign(data.to(torch.float64))
        return {"mean_squared_distance": distances.mean()}
