"""S3C: the E-step against brute-force posterior moments (enumerating the spikes and
integrating the slabs exactly with Gaussian algebra), the bound, and learning."""

import itertools

import numpy as np
import pytest
import torch
from scipy import stats

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.s3c import S3C, E_Step, Grad_M_Step
from pylearn2.utils.exc import ConfigError


def model(nvis=4, nhid=3, W=None, steps=60, coeff=0.5, **kw):
    m = S3C(nvis=nvis, nhid=nhid, irange=0.5, init_bias_hid=[-0.5, 0.3, 0.0][:nhid],
            init_B=[2.0, 1.0, 1.5, 0.8][:nvis], min_B=0.1, max_B=10, init_alpha=[1.0, 2.0, 0.7][:nhid],
            min_alpha=0.1, max_alpha=10, init_mu=[1.0, -0.5, 2.0][:nhid],
            e_step=E_Step(h_new_coeff_schedule=[coeff] * steps, **kw),
            m_step=Grad_M_Step(learning_rate=0.01)).double()
    if W is not None:
        with torch.no_grad():
            m.W.copy_(torch.tensor(W))
    return m


def brute_force(m, v):
    """Exact p(h_i = 1 | v), E[h_i s_i | v] and log p(v) by enumerating h."""
    W, B, b = (x.detach().numpy() for x in (m.W, m.B, m.bias_hid))
    alpha, mu = m.alpha.detach().numpy(), m.mu.detach().numpy()
    log_joint, moments = [], []
    for h in itertools.product([0, 1], repeat=m.nhid):
        h = np.array(h, float)
        cov = np.diag(1 / B) + W @ np.diag(h / alpha) @ W.T
        mean = W @ (h * mu)
        log_p = (h @ b - np.logaddexp(0, b).sum()) + stats.multivariate_normal(mean, cov).logpdf(v)
        # E[s | h, v] for the active units by Gaussian conditioning
        prec = np.diag(alpha) + np.diag(h) @ W.T @ np.diag(B) @ W @ np.diag(h)
        s_mean = np.linalg.solve(prec, alpha * mu + h * (W.T @ (B * v)))
        log_joint.append(log_p)
        moments.append(h * s_mean)
    log_joint = np.array(log_joint)
    log_pv = np.logaddexp.reduce(log_joint)
    post = np.exp(log_joint - log_pv)
    hs = np.array(list(itertools.product([0, 1], repeat=m.nhid)), float)
    return post @ hs, post @ np.array(moments), log_pv


def test_single_unit_e_step_is_the_exact_posterior():
    m = model(nvis=4, nhid=1, steps=1, coeff=1.0)
    v = np.array([0.3, -1.0, 2.0, 0.5])
    obs = m.get_hidden_obs(torch.tensor(v[None]))
    p_h, e_hs, _ = brute_force(m, v)
    np.testing.assert_allclose(obs["H_hat"][0].detach().numpy(), p_h, rtol=1e-10)
    np.testing.assert_allclose((obs["H_hat"] * obs["S_hat"])[0].detach().numpy(), e_hs, rtol=1e-10)


def test_e_step_matches_brute_force_when_the_posterior_factorises():
    rng = np.random.default_rng(0)
    B = np.array([2.0, 1.0, 1.5, 0.8])
    Q, _ = np.linalg.qr(rng.normal(size=(4, 3)))
    W = Q / np.sqrt(B)[:, None] * np.array([1.5, 0.7, 1.1])  # B-orthogonal columns
    m = model(W=W, steps=80)
    for v in rng.normal(size=(4, 4)) * 1.5:
        obs = m.get_hidden_obs(torch.tensor(v[None]))
        p_h, e_hs, _ = brute_force(m, v)
        np.testing.assert_allclose(obs["H_hat"][0].detach().numpy(), p_h, atol=1e-9)
        np.testing.assert_allclose((obs["H_hat"] * obs["S_hat"])[0].detach().numpy(), e_hs,
                                   atol=1e-9)


@pytest.mark.parametrize("clip", [False, True])
def test_energy_functional_bounds_log_p_and_the_e_step_raises_it(clip):
    m = model(steps=40, clip_reflections=clip)
    rng = np.random.default_rng(1)
    V = torch.tensor(rng.normal(size=(5, 4)) * 1.5)
    history = m.get_hidden_obs(V, return_history=True)
    values = np.array([m.energy_functional_batch(V, **obs).detach().numpy() for obs in history])
    exact = np.array([brute_force(m, v)[2] for v in V.numpy()])
    assert (values[-1] <= exact + 1e-9).all()
    assert (values[-1] >= values[0] - 1e-9).all() and (exact - values[-1]).max() < 0.5
    # the bound equals E_q log p(v,h,s) + H(q), checked at the exact posterior of one unit
    one = model(nvis=4, nhid=1, steps=1, coeff=1.0)
    v = V[:1, :]
    obs = one.get_hidden_obs(v)
    np.testing.assert_allclose(one.energy_functional_batch(v, **obs).item(),
                               brute_force(one, v[0].numpy())[2], rtol=1e-10)


def test_learning_raises_the_bound_and_respects_clipping():
    from pylearn2.train import Train

    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 4)) @ rng.normal(size=(4, 4))
    m = S3C(nvis=4, nhid=3, irange=0.5, init_bias_hid=0.0, init_B=1.0, min_B=0.1, max_B=3.0,
            init_alpha=1.0, min_alpha=0.5, max_alpha=5.0, init_mu=1.0,
            e_step=E_Step(h_new_coeff_schedule=[0.3, 0.5, 0.7, 1.0], clip_reflections=True),
            m_step=Grad_M_Step(learning_rate=0.05), max_epochs=15, batch_size=50,
            monitor_functional=True, monitor_stats=["mean_h"]).double()
    V = torch.tensor(X)
    before = m.get_monitoring_channels(V)["energy_functional"].item()
    Train(dataset=DenseDesignMatrix(X=X), model=m, algorithm=None).main_loop()
    channels = m.get_monitoring_channels(V)
    assert channels["energy_functional"].item() > before + 0.5
    assert {"mean_h_min", "mean_h_mean", "mean_h_max"} <= set(channels)
    assert m.B.min().item() >= 0.1 and m.alpha.min().item() >= 0.5
    assert m.epochs_done == 15
    with pytest.raises(ConfigError, match="s_new_coeff_schedule"):
        E_Step(h_new_coeff_schedule=[1, 1], s_new_coeff_schedule=[1])
