"""S3C: the E-step against a float64 numpy transcription of the original's damped,
clipped updates (E_Step and E_Step_Scan), recycle_q, local receptive fields and the
debugging/monitoring arguments."""

import numpy as np
import pytest
import torch

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.s3c import S3C, E_Step, E_Step_Scan, Grad_M_Step
from pylearn2.utils.exc import ConfigError


def make(e_step, lr=0.01, **kw):
    return S3C(nvis=4, nhid=3, irange=0.8, init_bias_hid=[-0.5, 0.3, 0.0],
               init_B=[2.0, 1.0, 1.5, 0.8], min_B=0.1, max_B=10, init_alpha=[1.0, 2.0, 0.7],
               min_alpha=0.1, max_alpha=10, init_mu=[1.0, -0.5, 2.0], e_step=e_step,
               m_step=Grad_M_Step(learning_rate=lr), **kw).double()


def numpy_e_step(m, V, h_sched, s_sched, clip, rho=0.5, H=None, S=None):
    """The original's E-step in float64: parallel slab update, reflection clipping,
    damping, then the spikes from the general pre-sigmoid expression."""
    W, B, b = (x.detach().numpy() for x in (m.W, m.B, m.bias_hid))
    alpha, mu = m.alpha.detach().numpy(), m.mu.detach().numpy()
    w = B @ W ** 2
    BW = B[:, None] * W
    H = np.tile(1 / (1 + np.exp(-b)), (len(V), 1)) if H is None else H
    S = np.tile(mu, (len(V), 1)) if S is None else S
    for hc, sc in zip(h_sched, s_sched):
        HS = H * S
        new_S = (mu * alpha + V @ BW - HS @ W.T @ BW + w * HS) / (alpha + w)
        if clip:
            ceiling = np.abs(new_S).max()
            pos, neg = (S > 0).astype(float), (S < 0).astype(float)
            low = -rho * pos * S - (1 - pos) * ceiling
            high = (1 - neg) * ceiling - rho * neg * S
            new_S = np.clip(new_S, low, high)
        S = sc * new_S + (1 - sc) * S
        HS = H * S
        z = ((V - HS @ W.T) @ BW) * S + w * H * S ** 2 - 0.5 * w * S ** 2
        z += -0.5 * alpha * S ** 2 + alpha * S * mu - 0.5 * alpha * mu ** 2
        z += b - 0.5 * np.log(alpha + w) + 0.5 * np.log(alpha)
        H = hc * (1 / (1 + np.exp(-z))) + (1 - hc) * H
    return H, S


H_SCHED, S_SCHED = [0.2, 0.5, 0.3, 0.9, 1.0], [0.7, 1.0, 0.4, 0.8, 0.6]


@pytest.mark.parametrize("cls", [E_Step, E_Step_Scan])
@pytest.mark.parametrize("clip", [False, True])
def test_e_step_follows_the_original_updates(cls, clip):
    m = make(cls(h_new_coeff_schedule=H_SCHED, s_new_coeff_schedule=S_SCHED,
                 clip_reflections=clip))
    V = np.random.default_rng(0).normal(size=(6, 4)) * 2
    with torch.no_grad():
        obs = m.get_hidden_obs(torch.tensor(V))
    H, S = numpy_e_step(m, V, H_SCHED, S_SCHED, clip)
    np.testing.assert_allclose(obs["H_hat"].numpy(), H, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(obs["S_hat"].numpy(), S, rtol=1e-10, atol=1e-12)


def test_e_step_scan_schedules_change_in_place_and_are_saved():
    e_step = E_Step_Scan(h_new_coeff_schedule=H_SCHED)
    m = make(e_step)
    e_step.h_new_coeff_schedule[:] = 0.6
    V = np.random.default_rng(1).normal(size=(3, 4))
    with torch.no_grad():
        obs = m.get_hidden_obs(torch.tensor(V))
    H, _ = numpy_e_step(m, V, [0.6] * 5, [1.0] * 5, clip=False)
    np.testing.assert_allclose(obs["H_hat"].numpy(), H, rtol=1e-10)
    again = make(E_Step_Scan(h_new_coeff_schedule=H_SCHED))
    again.load_state_dict(m.state_dict())
    assert again.e_step.h_new_coeff_schedule.tolist() == [0.6] * 5


def test_recycle_q_continues_the_previous_e_step():
    """With a zero learning rate, two recycled 3-step E-steps are one 6-step E-step."""
    V = torch.tensor(np.random.default_rng(2).normal(size=(5, 4)))
    m = make(E_Step(h_new_coeff_schedule=[0.5] * 3, clip_reflections=True), lr=0.0,
             recycle_q=5)
    H0, S0 = m.prev_H.numpy().copy(), m.prev_S.numpy().copy()  # the prior (set in float32)
    np.testing.assert_allclose(H0, np.tile(torch.sigmoid(m.bias_hid).detach(), (5, 1)), rtol=1e-6)
    m.learn_mini_batch(V)
    m.learn_mini_batch(V)
    H, S = numpy_e_step(m, V.numpy(), [0.5] * 6, [1.0] * 6, clip=True, H=H0, S=S0)
    np.testing.assert_allclose(m.prev_H.numpy(), H, rtol=1e-10)
    np.testing.assert_allclose(m.prev_S.numpy(), S, rtol=1e-10)
    # the recycled state is saved with the model, and other batch sizes use the prior
    again = make(E_Step(h_new_coeff_schedule=[0.5] * 3, clip_reflections=True), lr=0.0,
                 recycle_q=5)
    again.load_state_dict(m.state_dict())
    torch.testing.assert_close(again.prev_H, m.prev_H)
    with torch.no_grad():
        assert torch.allclose(m.e_step.init_H_hat(V[:2]), torch.sigmoid(m.bias_hid))
    with pytest.raises(ConfigError, match="recycle_q=5"):
        m.learn_mini_batch(V[:3])


def images(n=6, rows=6, cols=5, channels=2, seed=3):
    topo = np.random.default_rng(seed).normal(size=(n, rows, cols, channels))
    return DenseDesignMatrix(topo_view=topo), topo


def unit_images(m, dataset):
    return dataset.get_topological_view(m.W.detach().numpy().T)


def test_local_receptive_fields_on_a_grid():
    dataset, _ = images()
    m = S3C(nvis=60, nhid=12, irange=0.3, init_bias_hid=0.0, init_B=1.0, min_B=0.1, max_B=10,
            init_alpha=1.0, min_alpha=0.1, max_alpha=10, init_mu=0.0,
            e_step=E_Step(h_new_coeff_schedule=[1.0]), m_step=Grad_M_Step(learning_rate=0.1),
            local_rf_src=dataset, local_rf_shape=[2, 3], local_rf_stride=[2, 2]).double()
    W_img = unit_images(m, dataset)  # positions: rows 0, 2, 4 x cols 0, 2 -> 6, two units each
    corners = [(r, c) for r in (0, 2, 4) for c in (0, 2) for _ in range(2)]
    for unit, (r, c) in enumerate(corners):
        mask = np.zeros((6, 5, 2), bool)
        mask[r:r + 2, c:c + 3] = True
        assert (W_img[unit][~mask] == 0).all()
        assert (W_img[unit][mask] != 0).all() and np.abs(W_img[unit]).max() <= 0.3
    with pytest.raises(ConfigError, match="multiple of the 6"):
        S3C(nvis=60, nhid=7, irange=0.3, init_bias_hid=0.0, init_B=1.0, min_B=0.1, max_B=10,
            init_alpha=1.0, min_alpha=0.1, max_alpha=10, init_mu=0.0,
            e_step=E_Step(h_new_coeff_schedule=[1.0]), m_step=Grad_M_Step(learning_rate=0.1),
            local_rf_src=dataset, local_rf_shape=[2, 3], local_rf_stride=[2, 2])


def test_local_receptive_fields_of_random_shape_drawn_from_the_data():
    dataset, topo = images()
    m = S3C(nvis=60, nhid=20, irange=None, init_bias_hid=0.0, init_B=1.0, min_B=0.1,
            max_B=10, init_alpha=1.0, min_alpha=0.1, max_alpha=10, init_mu=0.0, seed=4,
            e_step=E_Step(h_new_coeff_schedule=[1.0]), m_step=Grad_M_Step(learning_rate=0.1),
            local_rf_src=dataset, local_rf_shape=[2, 2], local_rf_max_shape=[4, 3],
            local_rf_draw_patches=True).double()
    shapes = set()
    for unit_img in unit_images(m, dataset):
        rows, cols = np.nonzero(np.abs(unit_img).sum(2))
        r0, r1, c0, c1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
        assert 2 <= r1 - r0 <= 4 and 2 <= c1 - c0 <= 3
        shapes.add((r1 - r0, c1 - c0))
        patch = unit_img[r0:r1, c0:c1]
        assert any(np.allclose(patch, example[r0:r1, c0:c1], rtol=1e-6) for example in topo)
    assert len(shapes) > 2


def test_debug_monitor_and_stop_arguments():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 4))
    m = make(E_Step(h_new_coeff_schedule=[0.5] * 4), lr=0.01, debug_m_step=True,
             monitor_params=["mu", "W"], monitor_norms=True, stop_after_hack=15,
             batch_size=10, max_epochs=5)
    m.learn_mini_batch(torch.tensor(X[:10]))
    channels = m.get_monitoring_channels(torch.tensor(X))
    assert channels["m_step_diff"].item() > 0  # a small gradient step raises the bound
    np.testing.assert_allclose(channels["mu_abs_max"].item(), m.mu.abs().max().item())
    np.testing.assert_allclose(channels["W_norm_min"].item(), m.W.norm(dim=0).min().item())
    assert {"post_solve_norms_min", "post_solve_norms_mean", "post_solve_norms_max"} <= set(
        channels)
    m.learn_mini_batch(torch.tensor(X[10:20]))
    assert not m.continue_learning()  # 20 examples seen > stop_after_hack
    with pytest.raises(ConfigError, match="monitor_params"):
        make(E_Step(h_new_coeff_schedule=[1.0]), monitor_params=["nope"])


def test_constrained_w_moves_along_the_sphere():
    m = make(E_Step(h_new_coeff_schedule=[0.5] * 3), lr=0.05, constrain_W_norm=True)
    W0 = m.W.detach().numpy().copy()
    V = torch.tensor(np.random.default_rng(6).normal(size=(8, 4)))
    with torch.no_grad():
        obs = m.get_hidden_obs(V)
    value = m.m_step.objective(m, V, obs)
    (grad,) = torch.autograd.grad(value, [m.W])
    m.learn_mini_batch(V)
    g = -0.05 * grad.numpy()  # the ascent step on the bound
    h = g - (g * W0).sum(0) * W0
    theta = np.sqrt(1e-8 + (h ** 2).sum(0))
    expected = np.cos(theta) * W0 + np.sin(theta) * h / theta
    np.testing.assert_allclose(np.linalg.norm(expected, axis=0), 1.0, rtol=1e-6)
    expected /= np.linalg.norm(expected, axis=0)  # the constraint then renormalises exactly
    np.testing.assert_allclose(m.W.detach().numpy(), expected, rtol=1e-9, atol=1e-12)


def test_features_are_the_spike_means():
    m = make(E_Step(h_new_coeff_schedule=[0.5] * 3))
    V = torch.tensor(np.random.default_rng(7).normal(size=(3, 4)))
    with torch.no_grad():
        torch.testing.assert_close(m(V), m.get_hidden_obs(V)["H_hat"])
