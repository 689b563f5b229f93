"""Differentiable sparse coding: codes match scipy's bounded minimiser of the coding
objective; learning lowers the batch objective."""

import numpy as np
import torch
from scipy.optimize import minimize

from pylearn2.models.differentiable_sparse_coding import DifferentiableSparseCoding


def test_codes_are_the_minimiser_of_the_coding_objective():
    dsc = DifferentiableSparseCoding(nvis=5, nhid=4, init_lambda=0.5, init_p=0.2,
                                     init_alpha=0.5, learning_rate=0.1)
    W, p, lam = dsc.W.numpy(), 0.2, 0.5
    v = np.random.default_rng(0).normal(size=5)

    def c(h):
        d = W @ h - v
        return d @ d / 5 + lam * (h * np.log(h) - h * np.log(p) - h + p).sum() / 4

    ref = minimize(c, np.full(4, 0.3), method="L-BFGS-B", bounds=[(1e-10, None)] * 4,
                   options={"ftol": 1e-15, "gtol": 1e-12}).x
    h = dsc.optimize_h(v)
    np.testing.assert_allclose(h, ref, atol=1e-5)
    assert c(h) <= c(ref) + 1e-10


def test_learning_lowers_the_batch_objective():
    dsc = DifferentiableSparseCoding(nvis=5, nhid=4, init_lambda=0.1, init_p=0.2,
                                     init_alpha=0.5, learning_rate=0.5)
    rng = np.random.default_rng(1)
    X = np.abs(rng.normal(size=(4, 5))) @ np.abs(rng.normal(size=(5, 5)))
    X /= np.linalg.norm(X, axis=1, keepdims=True)

    def batch_obj():
        return float(dsc.coding_obj_batch(torch.tensor(X), torch.tensor(dsc.encode(X))))

    before = batch_obj()
    for _ in range(10):
        dsc.learn_mini_batch(X)
    assert batch_obj() < before
    np.testing.assert_allclose(dsc.W.norm(dim=0).numpy(), 1.0, atol=1e-12)
    assert dsc.batches_seen == 10 and dsc.pred_g.min() >= 0.5
