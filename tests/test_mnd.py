"""Diagonal normal distributions against scipy's formulas."""

import numpy as np
import pytest
import torch
from scipy import stats

from pylearn2.models.mnd import DiagonalMND, kl_divergence
from pylearn2.utils.exc import ConfigError


def test_log_prob_entropy_and_kl_match_closed_forms():
    q = DiagonalMND(nvis=3, init_beta=[1.0, 2.0, 0.5], init_mu=[0.0, 1.0, -1.0],
                    min_beta=1e-3, max_beta=1e3).double()
    p = DiagonalMND(nvis=3, init_beta=[0.7, 1.5, 3.0], init_mu=[0.5, 0.0, 0.2],
                    min_beta=1e-3, max_beta=1e3).double()
    X = np.random.default_rng(0).normal(size=(5, 3))
    sd = 1 / np.sqrt(q.beta.detach().numpy())
    expected = stats.norm(q.mu.detach().numpy(), sd).logpdf(X).sum(1)
    np.testing.assert_allclose(q.log_prob(torch.tensor(X)).detach().numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(float(q.entropy()), stats.norm(0, sd).entropy().sum(), rtol=1e-12)
    # KL by Monte Carlo-free identity: E_q[log q - log p] on a fine quadrature grid per axis
    grid = np.linspace(-15, 15, 200001)
    total = 0.0
    for k in range(3):
        lq = stats.norm(q.mu[k].item(), sd[k]).logpdf(grid)
        lp = stats.norm(p.mu[k].item(), 1 / np.sqrt(p.beta[k].item())).logpdf(grid)
        total += np.trapezoid(np.exp(lq) * (lq - lp), grid)
    np.testing.assert_allclose(float(kl_divergence(q, p)), total, rtol=1e-6)
    samples = q.random_design_matrix(20000, theano_rng=1).detach().numpy()
    np.testing.assert_allclose(samples.std(0), sd, rtol=0.03)


def test_precision_is_clipped_and_arguments_checked():
    m = DiagonalMND(nvis=2, init_beta=1.0, init_mu=0.0, min_beta=0.5, max_beta=2.0)
    with torch.no_grad():
        m.beta.copy_(torch.tensor([0.1, 9.0]))
    m.enforce_constraints()
    assert m.beta.tolist() == [0.5, 2.0]
    with pytest.raises(ConfigError):
        DiagonalMND(nvis=2, init_beta=1.0, init_mu=0.0, min_beta=2.0, max_beta=1.0)
