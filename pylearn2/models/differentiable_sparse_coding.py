"""Differentiable sparse coding (Bradley & Bagnell 2008): codes h > 0 minimising

    c(v, h) = ||W h - v||^2 / nvis + lambda . (h log h - h log p - h + p) / nhid

(a reconstruction error plus an unnormalised KL divergence from the prior means p, which
keeps codes positive and smooth). ``optimize_h`` runs exponentiated-gradient steps
``h <- h exp(-alpha grad)`` with a step size that adapts to its failure rate, from the
guess of a learned sigmoid predictor, until the largest gradient is below ``tol``.
``learn_mini_batch`` codes the batch, takes a gradient step on W (columns then
renormalised) and one on the predictor.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from pylearn2.utils.init_args import InitArgsMixin


class DifferentiableSparseCoding(InitArgsMixin):
    """Parameters
    ----------
    nvis, nhid : sizes. init_lambda : sparsity weight. init_p : prior mean of each code.
    init_alpha : initial step size of the code optimisation. learning_rate : of W and the
    predictor.
    """

    def __init__(self, nvis: int, nhid: int, init_lambda: float, init_p: float,
                 init_alpha: float, learning_rate: float) -> None:
        self.nvis, self.nhid = int(nvis), int(nhid)
        self.init_lambda, self.init_p = float(init_lambda), float(init_p)
        self.init_alpha, self.learning_rate = float(init_alpha), float(learning_rate)
        self.predictor_learning_rate = self.learning_rate
        self.tol, self.time_constant = 1e-6, 1e-2
        self.rng = np.random.RandomState([1, 2, 3])
        self.redo_everything()

    def redo_everything(self) -> None:
        W = self.rng.randn(self.nvis, self.nhid)
        self.W = torch.tensor(W / np.linalg.norm(W, axis=0), dtype=torch.float64)
        self.pred_W = self.W.clone()
        self.pred_b = torch.zeros(self.nhid, dtype=torch.float64)
        self.pred_g = torch.ones(self.nhid, dtype=torch.float64)
        self.p = torch.full((self.nhid,), self.init_p, dtype=torch.float64)
        self.lamda = torch.full((self.nhid,), self.init_lambda, dtype=torch.float64)
        self.alpha, self.failure_rate = self.init_alpha, 0.5
        self.examples_seen = self.batches_seen = 0

    def get_output_dim(self) -> int:
        return self.nhid

    get_output_channels = get_output_dim

    def weights_format(self) -> list[str]:
        return ["v", "h"]

    def normalize_W(self) -> None:
        self.W = self.W / self.W.norm(dim=0, keepdim=True)

    # -- objectives -----------------------------------------------------------------------
    def coding_obj(self, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        diff = self.W @ h - v
        sparsity = h * torch.log(h) - h * torch.log(self.p) - h + self.p
        return diff @ diff / self.nvis + self.lamda @ sparsity / self.nhid

    def coding_obj_batch(self, V: torch.Tensor, H: torch.Tensor, W: torch.Tensor | None = None):
        W = self.W if W is None else W
        recons = ((H @ W.T - V) ** 2).mean()
        sparsity = (H * torch.log(H) - H * torch.log(self.p) - H + self.p).mean(0)
        return recons + self.lamda @ sparsity / self.nhid

    def predict(self, V: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(V @ self.pred_W + self.pred_b) * self.pred_g

    # -- inference ------------------------------------------------------------------------
    def _obj_grad(self, v, h):
        h = h.detach().requires_grad_(True)
        obj = self.coding_obj(v, h)
        grad, = torch.autograd.grad(obj, h)
        return obj.detach(), grad

    def optimize_h(self, v: Any, max_steps: int = 100000) -> np.ndarray:
        v = torch.as_tensor(np.asarray(v), dtype=torch.float64)
        h = self.predict(v).clamp(1e-10, 1e4)
        for _ in range(max_steps):
            obj, grad = self._obj_grad(v, h)
            if grad.abs().max() < self.tol:
                break
            step = self.alpha
            new_h = (h * torch.exp(-step * grad)).clamp(1e-10, 1e4)
            new_obj = self.coding_obj(v, new_h)
            self.failure_rate = ((1 - self.time_constant) * self.failure_rate
                                 + self.time_constant * float(new_obj > obj))
            if self.failure_rate > 0.6 and self.alpha > 1e-7:
                self.alpha *= 0.9
            elif self.failure_rate < 0.3:
                self.alpha *= 1.1
            while new_obj >= obj:
                step *= 0.9
                if step < 1e-12:
                    return new_h.numpy()
                new_h = (h * torch.exp(-step * grad)).clamp(1e-10, 1e4)
                new_obj = self.coding_obj(v, new_h)
            h = new_h
        return h.numpy()

    infer_h = optimize_h

    def encode(self, X: Any) -> np.ndarray:
        return np.stack([self.optimize_h(x) for x in np.asarray(X)])

    # -- learning -------------------------------------------------------------------------
    def learn_mini_batch(self, x: Any) -> None:
        V = torch.as_tensor(np.asarray(x), dtype=torch.float64)
        H = torch.as_tensor(self.encode(V.numpy()))
        W = self.W.clone().requires_grad_(True)
        grad, = torch.autograd.grad(self.coding_obj_batch(V, H, W), W)
        self.W = self.W - self.learning_rate * grad
        self.normalize_W()
        params = [t.clone().requires_grad_(True) for t in (self.pred_W, self.pred_b, self.pred_g)]
        pred = torch.sigmoid(V @ params[0] + params[1]) * params[2]
        grads = torch.autograd.grad(((pred - H) ** 2).mean(), params)
        new = [p.detach() - self.predictor_learning_rate * g for p, g in zip(params, grads)]
        self.pred_W, self.pred_b, self.pred_g = new[0], new[1], new[2].clamp(0.5, 1000.0)
        self.examples_seen += V.shape[0]
        self.batches_seen += 1

    def train_batch(self, dataset: Any, batch_size: int) -> bool:
        X = np.asarray(dataset.get_design_matrix())
        start = self.rng.randint(X.shape[0] - batch_size + 1)
        self.learn_mini_batch(X[start:start + batch_size])
        return True

    def state_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("W", "pred_W", "pred_b", "pred_g", "p", "lamda")} | {
            "alpha": self.alpha, "failure_rate": self.failure_rate}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for k, v in state.items():
            setattr(self, k, v)


__all__ = ["DifferentiableSparseCoding"]
