"""The mu-pooled ssRBM against numerical integration of its energy, and the RBM
samplers, stacks and activation penalty from pylearn2.models.rbm."""

import itertools

import numpy as np
import torch

from pylearn2.models.rbm import (
    RBM,
    BlockGibbsSampler,
    L1_ActivationCost,
    build_stacked_RBM,
    mu_pooled_ssRBM,
)


def tiny(nvis=2, nhid=2, n_s_per_h=1):
    return mu_pooled_ssRBM(nvis=nvis, nhid=nhid, n_s_per_h=n_s_per_h, batch_size=None,
                           alpha0=1.5, alpha_irange=0.5, b0=-0.3, B0=1.2, Lambda0=0.2,
                           Lambda_irange=0.3, mu0=0.4, W_irange=0.8, rng=3).double()


def log_marginal_by_quadrature(m, v, grid):
    """log sum_h integral ds exp(-E(v, s, h)) on a grid over every slab."""
    ds = grid[1] - grid[0]
    total = []
    points = torch.tensor(list(itertools.product(grid, repeat=m.nslab)))
    for h in itertools.product([0.0, 1.0], repeat=m.nhid):
        H = torch.tensor(h, dtype=torch.float64).expand(len(points), -1)
        V = torch.tensor(v).expand(len(points), -1)
        with torch.no_grad():
            e = m.energy(V, H, points)
        total.append(torch.logsumexp(-e, 0) + m.nslab * np.log(ds))
    return float(torch.logsumexp(torch.stack(total), 0))


def test_free_energy_matches_integrating_the_energy():
    m = tiny()
    grid = np.linspace(-9, 9, 361)
    vs = np.array([[0.3, -0.5], [1.2, 0.4], [-0.8, 0.9]])
    numeric = np.array([log_marginal_by_quadrature(m, v, grid) for v in vs])
    with torch.no_grad():
        analytic = -m.free_energy_given_v(torch.tensor(vs)).numpy()
    differences = numeric - analytic  # equal up to the constant slab normaliser
    np.testing.assert_allclose(differences, differences[0], atol=1e-6)


def test_conditionals_match_the_energy():
    m = tiny(nvis=3, nhid=2, n_s_per_h=2)
    v = torch.tensor([[0.2, -0.4, 0.7]], dtype=torch.float64)
    mean, var = m.mean_var_s_given_v_h1(v)
    s = mean.clone().requires_grad_(True)
    h = torch.ones(1, 2, dtype=torch.float64)
    grad, = torch.autograd.grad(m.energy(v, h, s).sum(), s)
    torch.testing.assert_close(grad, torch.zeros_like(grad), atol=1e-12, rtol=0)  # minimum
    torch.testing.assert_close(var, 1 / m.alpha)
    hh = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    ss = torch.randn(1, 4, dtype=torch.float64)
    v_mean, v_var = m.mean_var_v_given_h_s(hh, ss)
    x = v_mean.clone().requires_grad_(True)
    grad, = torch.autograd.grad(m.energy(x, hh, ss).sum(), x)
    torch.testing.assert_close(grad, torch.zeros_like(grad), atol=1e-12, rtol=0)
    # p(h | v) from the energy: log-odds equal the input to h (one spike, others summed)
    with torch.no_grad():
        z = m.input_to_h_from_v(v)
    assert z.shape == (1, 2)


def test_gibbs_sampler_and_penalty():
    rbm = RBM(nvis=4, nhid=3, irange=1.0)
    sampler = BlockGibbsSampler(rbm, 0.5 * np.ones((6, 4)), rng=np.random.RandomState(0),
                                steps=2, particles_clip=(0.0, 1.0))
    state = sampler.state_dict()
    first = sampler.updates()["particles"]
    assert set(np.unique(first.numpy())) <= {0.0, 1.0}
    sampler.load_state_dict(state)
    torch.testing.assert_close(sampler.updates()["particles"], first)
    v = torch.rand(20, 4).round()
    h = rbm.mean_h_given_v(v).mean(0).detach().numpy()
    expected = 2.0 * np.maximum(np.abs(h - 0.2) - 0.05, 0).mean()
    np.testing.assert_allclose(float(L1_ActivationCost(0.2, 0.05, 2.0).expr(rbm, v)), expected,
                               rtol=1e-6)
    stack = build_stacked_RBM(6, [4, 3], batch_size=10, rng=1)
    assert [(layer.nvis, layer.nhid) for layer in stack.layers] == [(6, 4), (4, 3)]
    ss = tiny()
    out, scratch = ss.gibbs_step_for_v(torch.zeros(5, 2, dtype=torch.float64),
                                       torch.Generator().manual_seed(0))
    assert out.shape == (5, 2) and scratch["s_sample"].shape == (5, 2)
