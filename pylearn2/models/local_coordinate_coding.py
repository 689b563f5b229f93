"""Local coordinate coding (Yu, Zhang & Gong 2009).

Each example v is coded by ``gamma`` minimising

    J(v, gamma) = ||v - gamma W||^2 + coeff * sum_j |gamma_j| ||W_j - v||^2

(the dictionary rows ``W_j`` near v are cheap to use). With ``x_j = gamma_j c_j``,
``c_j = ||W_j - v||^2``, this is a lasso in x, solved here by coordinate descent to
optimality. Given the codes of a batch, J is quadratic in W and ``learn`` replaces W by
its exact minimiser (the original took three conjugate-gradient steps towards it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pylearn2.utils.init_args import InitArgsMixin


def lasso(A: np.ndarray, y: np.ndarray, coeff: float, tol: float = 1e-12,
          max_iters: int = 10000) -> np.ndarray:
    """argmin_x ||y - A x||^2 + coeff ||x||_1 by cyclic coordinate descent."""
    x = np.zeros(A.shape[1])
    col_sq = (A * A).sum(0)
    residual = y - A @ x
    for _ in range(max_iters):
        biggest = 0.0
        for j in range(A.shape[1]):
            if col_sq[j] == 0:
                continue
            rho = A[:, j] @ residual + col_sq[j] * x[j]
            new = np.sign(rho) * max(abs(rho) - coeff / 2, 0.0) / col_sq[j]
            if new != x[j]:
                residual -= A[:, j] * (new - x[j])
                biggest = max(biggest, abs(new - x[j]))
                x[j] = new
        if biggest < tol:
            break
    return x


class LocalCoordinateCoding(InitArgsMixin):
    """Parameters
    ----------
    nvis : input dimension. nhid : dictionary size. coeff : the locality penalty.
    """

    def __init__(self, nvis: int, nhid: int, coeff: float) -> None:
        self.nvis, self.nhid, self.coeff = int(nvis), int(nhid), float(coeff)
        self.rng = np.random.RandomState([1, 2, 3])
        self.redo_everything()

    def redo_everything(self) -> None:
        self.W = self.rng.randn(self.nhid, self.nvis)

    def get_output_channels(self) -> int:
        return self.nhid

    def weights_format(self) -> list[str]:
        return ["h", "v"]

    get_weights_format = weights_format

    def get_weights(self) -> np.ndarray:
        return self.W.copy()

    def objective(self, v: np.ndarray, gamma: np.ndarray) -> float:
        dists = ((self.W - v) ** 2).sum(1)
        return float(((v - gamma @ self.W) ** 2).sum() + self.coeff * np.abs(gamma) @ dists)

    def optimize_gamma(self, example: np.ndarray) -> np.ndarray:
        v = np.asarray(example, dtype=np.float64)
        c = 1e-10 + ((self.W - v) ** 2).sum(1)
        x = lasso(self.W.T / c, v, self.coeff)
        return x / c

    def encode(self, X: np.ndarray) -> np.ndarray:
        return np.stack([self.optimize_gamma(row) for row in np.asarray(X, dtype=np.float64)])

    def learn(self, dataset: Any, batch_size: int) -> float:
        """Code a random batch, then set W to the minimiser of the batch's summed J;
        returns that sum."""
        X = np.asarray(dataset.get_design_matrix(), dtype=np.float64)
        start = self.rng.randint(X.shape[0] - batch_size + 1)
        batch = X[start:start + batch_size]
        gamma = self.encode(batch)
        self.W = self.solve_dictionary(batch, gamma)
        return sum(self.objective(v, g) for v, g in zip(batch, gamma))

    def solve_dictionary(self, batch: np.ndarray, gamma: np.ndarray) -> np.ndarray:
        """The W minimising sum_n J(v_n, gamma_n) for fixed codes (a linear system)."""
        weights = np.abs(gamma).sum(0) * self.coeff  # per dictionary row
        lhs = gamma.T @ gamma + np.diag(weights) + 1e-10 * np.eye(self.nhid)
        rhs = gamma.T @ batch + self.coeff * (np.abs(gamma).T @ batch)
        return np.linalg.solve(lhs, rhs)

    def state_dict(self) -> dict[str, Any]:
        return {"W": self.W, "rng": self.rng.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.W = np.asarray(state["W"])
        if "rng" in state:
            self.rng.set_state(state["rng"])


__all__ = ["LocalCoordinateCoding", "lasso"]
