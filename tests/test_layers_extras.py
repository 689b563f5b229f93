"""LinearGaussian, SoftmaxPool, WindowLayer, LWTA, dropout averaging and helpers,
checked against float64 numpy references written from the original definitions."""

import itertools

import numpy as np
import pytest
import torch

from pylearn2.models.lwta import LWTA, lwta
from pylearn2.models.mlp import (
    MLP,
    BadInputSpaceError,
    LinearGaussian,
    Softmax,
    SoftmaxPool,
    WindowLayer,
    beta_from_design,
    exhaustive_dropout_average,
    generate_dropout_mask,
    geometric_mean_prediction,
    max_pool_c01b,
    mean_of_targets,
    sampled_dropout_average,
)
from pylearn2.space import Conv2DSpace, VectorSpace
from pylearn2.utils.exc import ConfigError

rng = np.random.default_rng(0)


def t64(a):
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


def test_linear_gaussian_cost_and_gradient_match_numpy():
    layer = LinearGaussian(init_beta=2.0, min_beta=0.5, max_beta=10.0, beta_lr_scale=0.1,
                           dim=3, layer_name="y", irange=0.1)
    MLP([layer], nvis=4)
    layer.double()
    X, Y = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    beta = np.array([0.7, 2.0, 5.0])
    with torch.no_grad():
        layer.beta.copy_(torch.tensor(beta))
    cost = layer.cost(torch.tensor(Y), layer.fprop(torch.tensor(X)))
    Yh = X @ layer.W.detach().numpy() + layer.b.detach().numpy()
    ref = 0.5 * ((Y - Yh) ** 2 @ beta).mean() - 0.5 * np.log(beta).sum()
    assert float(cost.detach()) == pytest.approx(ref, rel=1e-12)
    cost.backward()
    ref_dbeta = 0.5 * ((Y - Yh) ** 2).mean(0) - 0.5 / beta
    np.testing.assert_allclose(layer.beta.grad.numpy(), ref_dbeta, rtol=1e-10)
    assert layer.get_lr_scalers()[layer.beta] == 0.1
    with torch.no_grad():
        layer.beta.copy_(torch.tensor([0.1, 3.0, 50.0]))
    layer.enforce_constraints()
    np.testing.assert_allclose(layer.beta.detach().numpy(), [0.5, 3.0, 10.0])
    with pytest.raises(ConfigError, match="min_beta"):
        LinearGaussian(init_beta=1, min_beta=0, max_beta=1, beta_lr_scale=None, dim=2,
                       layer_name="z", irange=0.1)


def test_beta_helpers():
    class D:
        X = rng.normal(size=(50, 3)) * [1, 2, 3]
        y = rng.normal(size=(50, 2))
    np.testing.assert_allclose(beta_from_design(D.X), 1 / D.X.var(0))
    np.testing.assert_allclose(beta_from_design(np.ones((4, 2))), [1e6, 1e6])
    np.testing.assert_allclose(mean_of_targets(D), D.y.mean(0))


def softmax_pool_reference(z, pool):
    n, d = z.shape
    g = z.reshape(n, d // pool, pool)
    e = np.exp(g)
    denom = 1 + e.sum(2, keepdims=True)
    return (e / denom).sum(2)


def test_softmax_pool_matches_probabilistic_max_pooling():
    layer = SoftmaxPool(detector_layer_dim=6, layer_name="h", pool_size=3, irange=0.5)
    MLP([layer], nvis=4).double()
    X = rng.normal(size=(5, 4))
    out = layer.fprop(torch.tensor(X))
    z = X @ layer.W.detach().numpy() + layer.b.detach().numpy()
    np.testing.assert_allclose(out.detach().numpy(), softmax_pool_reference(z, 3), rtol=1e-12)
    assert layer.get_output_space() == VectorSpace(2)
    # pool_size 1: a sigmoid layer
    sig = SoftmaxPool(detector_layer_dim=3, layer_name="s", irange=0.5)
    MLP([sig], nvis=4).double()
    z1 = X @ sig.W.detach().numpy() + sig.b.detach().numpy()
    np.testing.assert_allclose(sig.fprop(torch.tensor(X)).detach().numpy(), 1 / (1 + np.exp(-z1)))
    # gradient vs finite differences of the numpy reference
    Xt = t64(X)
    out = layer.fprop(Xt).sum()
    out.backward()
    W, b = layer.W.detach().numpy(), layer.b.detach().numpy()
    eps, num = 1e-6, np.zeros_like(X)
    for i, j in itertools.product(range(5), range(4)):
        Xp, Xm = X.copy(), X.copy()
        Xp[i, j] += eps
        Xm[i, j] -= eps
        num[i, j] = (softmax_pool_reference(Xp @ W + b, 3).sum()
                     - softmax_pool_reference(Xm @ W + b, 3).sum()) / (2 * eps)
    np.testing.assert_allclose(Xt.grad.numpy(), num, rtol=1e-6, atol=1e-9)
    with pytest.raises(ConfigError, match="divisible"):
        SoftmaxPool(detector_layer_dim=5, layer_name="x", pool_size=2, irange=0.1)
    channels = layer.get_layer_monitoring_channels(state_below=torch.tensor(X))
    assert "p_max_x.max_u" in channels and "col_norms_max" in channels


def test_window_layer_crops_inclusive_window_on_any_axes():
    for axes in [("b", 0, 1, "c"), ("b", "c", 0, 1), ("c", 0, 1, "b")]:
        space = Conv2DSpace((6, 5), num_channels=2, axes=axes)
        layer = WindowLayer("w", window=(1, 2, 3, 4))
        layer.set_input_space(space)
        x = np.arange(2 * 6 * 5 * 3, dtype=float).reshape(3, 6, 5, 2)  # b01c
        xs = torch.tensor(x.transpose([("b", 0, 1, "c").index(a) for a in axes]))
        out = layer.fprop(xs)
        back = out.numpy().transpose([axes.index(a) for a in ("b", 0, 1, "c")])
        np.testing.assert_array_equal(back, x[:, 1:4, 2:5, :])
        assert layer.get_output_space().shape == (3, 3)
    with pytest.raises(BadInputSpaceError):
        WindowLayer("w", (0, 0, 1, 1)).set_input_space(VectorSpace(4))
    with pytest.raises(ConfigError, match="does not fit"):
        WindowLayer("w", (0, 0, 6, 1)).set_input_space(Conv2DSpace((6, 5), 1))


def lwta_reference(p, block):
    out = np.zeros_like(p)
    for i in range(p.shape[0]):
        for s in range(0, p.shape[1], block):
            blk = p[i, s:s + block]
            winner = np.flatnonzero(blk == blk.max())[-1]
            out[i, s + winner] = blk[winner]
    return out


def test_lwta_function_and_layer():
    p = rng.normal(size=(4, 6))
    p[0, :3] = [1.0, 1.0, 0.5]  # tie: the last maximum wins
    np.testing.assert_array_equal(lwta(torch.tensor(p), 3).numpy(), lwta_reference(p, 3))
    layer = LWTA(block_size=2, dim=4, layer_name="l", irange=0.5)
    MLP([layer], nvis=3).double()
    X = t64(rng.normal(size=(5, 3)))
    out = layer.fprop(X)
    z = X.detach().numpy() @ layer.W.detach().numpy() + layer.b.detach().numpy()
    np.testing.assert_allclose(out.detach().numpy(), lwta_reference(z, 2))
    out.sum().backward()
    keep = (lwta_reference(z, 2) != 0).astype(float)
    np.testing.assert_allclose(layer.b.grad.numpy(), keep.sum(0))
    with pytest.raises(ConfigError, match="block_size"):
        LWTA(block_size=3, dim=4, layer_name="l", irange=0.1)


def test_max_pool_c01b_matches_bc01_pooling():
    x = rng.normal(size=(2, 5, 5, 3))  # c01b
    out = max_pool_c01b(torch.tensor(x), (2, 2), (2, 2), image_shape=(5, 5)).numpy()
    ref = np.full((2, 3, 3, 3), -np.inf)
    for r, c in itertools.product(range(3), range(3)):
        ref[:, r, c, :] = x[:, 2 * r:2 * r + 2, 2 * c:2 * c + 2, :].max(axis=(1, 2))
    np.testing.assert_allclose(out, ref)


def small_net():
    net = MLP([SoftmaxPool(detector_layer_dim=2, layer_name="h", irange=1.0),
               Softmax(n_classes=3, layer_name="y", irange=1.0)], nvis=2, seed=3)
    return net.double()


def test_exhaustive_dropout_average_enumerates_all_masks():
    net = small_net()
    X = rng.normal(size=(4, 2))
    got = exhaustive_dropout_average(net, torch.tensor(X), default_input_scale=2.0).detach().numpy()
    h_layer, y_layer = net.layers
    W1, b1 = h_layer.W.detach().numpy(), h_layer.b.detach().numpy()
    W2, b2 = y_layer.W.detach().numpy(), y_layer.b.detach().numpy()
    log_ps = []
    for bits in itertools.product([0, 1], repeat=4):
        m1, m2 = np.array(bits[:2]), np.array(bits[2:])
        h = 1 / (1 + np.exp(-((X * m1 * 2) @ W1 + b1)))
        z = (h * m2 * 2) @ W2 + b2
        log_ps.append(z - np.log(np.exp(z).sum(1, keepdims=True)))
    mean = np.mean(log_ps, axis=0)
    ref = np.exp(mean) / np.exp(mean).sum(1, keepdims=True)
    np.testing.assert_allclose(got, ref, rtol=1e-10)


def test_geometric_mean_and_sampled_average():
    p1 = torch.tensor([[0.2, 0.8]], dtype=torch.float64)
    p2 = torch.tensor([[0.5, 0.5]], dtype=torch.float64)
    g = np.sqrt([0.1, 0.4])
    np.testing.assert_allclose(geometric_mean_prediction([p1, p2]).numpy(), [g / g.sum()])
    net = small_net()
    X = torch.tensor(rng.normal(size=(4, 2)))
    a = sampled_dropout_average(net, X, num_masks=50, rng=(1, 2))
    b = sampled_dropout_average(net, X, num_masks=50, rng=(1, 2))
    torch.testing.assert_close(a, b)
    exact = exhaustive_dropout_average(net, X)
    assert (a - exact).abs().max() < 0.1  # 50 samples of 16 equally likely masks
    with pytest.raises(ConfigError):
        geometric_mean_prediction([])


def test_generate_dropout_mask_bits_follow_probabilities():
    net = small_net()
    masks = [generate_dropout_mask(net, 0.5, {"y": 1.0}, rng=np.random.default_rng(i))
             for i in range(200)]
    assert all(m >> 2 == 0b11 for m in masks)  # the 'y' inputs are always kept
    low = np.array([m & 0b11 for m in masks])
    assert 0.3 < np.mean(low & 1) < 0.7
    assert generate_dropout_mask(net, rng=(5,)) == generate_dropout_mask(net, rng=(5,))
