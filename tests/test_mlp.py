"""MLP layers against float64 numpy references."""

import numpy as np
import pytest
import torch

from pylearn2.costs.mlp import Default, L1WeightDecay, WeightDecay
from pylearn2.models.mlp import MLP, Linear, RectifiedLinear, Sigmoid, Softmax, Softplus, Tanh
from pylearn2.models.softmax_regression import SoftmaxRegression
from pylearn2.space import Conv2DSpace
from pylearn2.utils.exc import ConfigError


def params(layer):
    return layer.W.detach().double().numpy(), layer.b.detach().double().numpy()


def np_softmax(z):
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def make_mlp():
    return MLP(nvis=6, layers=[
        Tanh(dim=5, layer_name="h0", irange=0.5, init_bias=0.1),
        RectifiedLinear(dim=4, layer_name="h1", istdev=0.5, left_slope=0.1),
        Sigmoid(dim=4, layer_name="h2", irange=0.5),
        Softplus(dim=3, layer_name="h3", irange=0.5),
        Softmax(n_classes=3, layer_name="y", irange=0.5),
    ])


def test_forward_matches_numpy():
    mlp = make_mlp()
    x = np.random.default_rng(0).normal(size=(7, 6))
    h = x
    for layer, act in zip(mlp.layers, [np.tanh, lambda z: np.where(z > 0, z, 0.1 * z),
                                       lambda z: 1 / (1 + np.exp(-z)), lambda z: np.log1p(np.exp(z)),
                                       np_softmax]):
        W, b = params(layer)
        h = act(h @ W + b)
    out = mlp.fprop(torch.as_tensor(x, dtype=torch.float32)).detach().double().numpy()
    np.testing.assert_allclose(out, h, rtol=1e-5, atol=1e-6)


def test_softmax_cost_and_channels_match_numpy():
    mlp = make_mlp()
    rng = np.random.default_rng(1)
    x = rng.normal(size=(9, 6))
    labels = rng.integers(0, 3, size=9)
    y = np.eye(3)[labels]
    X, Y = torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32)
    probs = mlp.fprop(X).detach().double().numpy()
    nll = -np.log(probs[np.arange(9), labels]).mean()
    assert float(Default().expr(mlp, (X, Y)).detach()) == pytest.approx(nll, rel=1e-5)
    channels = mlp.get_monitoring_channels((X, Y))
    assert float(channels["y_nll"]) == pytest.approx(nll, rel=1e-5)
    assert float(channels["y_misclass"]) == pytest.approx((probs.argmax(1) != labels).mean())
    W = mlp.layers[0].W.detach().double().numpy()
    assert float(channels["h0_col_norms_max"]) == pytest.approx(np.linalg.norm(W, axis=0).max(),
                                                                rel=1e-5)
    assert float(channels["h0_row_norms_min"]) == pytest.approx(np.linalg.norm(W, axis=1).min(),
                                                                rel=1e-5)


def test_linear_and_sigmoid_costs():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(5, 3)), rng.uniform(size=(5, 2))
    lin = MLP(nvis=3, layers=[Linear(dim=2, layer_name="out", irange=0.3)])
    W, b = params(lin.layers[0])
    expected = ((y - (x @ W + b)) ** 2).sum(1).mean()
    X, Y = torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32)
    assert float(lin.cost_from_X((X, Y)).detach()) == pytest.approx(expected, rel=1e-5)
    sig = MLP(nvis=3, layers=[Sigmoid(dim=2, layer_name="out", irange=0.3)])
    W, b = params(sig.layers[0])
    p = 1 / (1 + np.exp(-(x @ W + b)))
    # the original's reduction: mean over units, then over examples
    expected = -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(1).mean()
    assert float(sig.cost_from_X((X, Y)).detach()) == pytest.approx(expected, rel=1e-5)


def test_weight_decay_dict_and_list():
    mlp = make_mlp()
    W0 = mlp.layers[0].W.detach().double().numpy()
    Wy = mlp.layers[-1].W.detach().double().numpy()
    expected = 0.1 * (W0 ** 2).sum() + 0.2 * (Wy ** 2).sum()
    assert float(WeightDecay({"h0": 0.1, "y": 0.2}).expr(mlp).detach()) == pytest.approx(expected, rel=1e-5)
    as_list = WeightDecay([0.1, 0, 0, 0, 0.2]).expr(mlp)
    assert float(as_list.detach()) == pytest.approx(expected, rel=1e-5)
    l1 = L1WeightDecay({"h0": 0.5}).expr(mlp)
    assert float(l1.detach()) == pytest.approx(0.5 * np.abs(W0).sum(), rel=1e-5)
    with pytest.raises(ConfigError, match="unknown layers"):
        WeightDecay({"nope": 1.0}).expr(mlp)
    with pytest.raises(ConfigError, match="5 layers"):
        WeightDecay([1.0]).expr(mlp)


def test_sparse_init_has_exact_nonzeros_per_unit():
    mlp = MLP(nvis=30, layers=[RectifiedLinear(dim=8, layer_name="h", sparse_init=4),
                               Softmax(n_classes=2, layer_name="y", irange=0.0)])
    W = mlp.layers[0].W.detach().numpy()
    assert ((W != 0).sum(0) == 4).all()
    assert (mlp.layers[1].W.detach().numpy() == 0).all()


def test_max_col_norm_constraint():
    mlp = MLP(nvis=10, layers=[Linear(dim=6, layer_name="h", irange=5.0, max_col_norm=1.5)])
    W_before = mlp.layers[0].W.detach().double().numpy().copy()
    mlp.enforce_constraints()
    W = mlp.layers[0].W.detach().double().numpy()
    norms = np.linalg.norm(W_before, axis=0)
    expected = W_before * np.minimum(1.0, 1.5 / norms)
    np.testing.assert_allclose(W, expected, rtol=1e-5)
    assert mlp.has_constraints()


def test_lr_scalers_and_errors():
    layer = Linear(dim=3, layer_name="h", irange=0.1, W_lr_scale=0.5, b_lr_scale=2.0)
    mlp = MLP(nvis=2, layers=[layer])
    scalers = mlp.get_lr_scalers()
    assert scalers[layer.W] == 0.5 and scalers[layer.b] == 2.0
    with pytest.raises(ConfigError, match="one of irange, istdev or sparse_init"):
        MLP(nvis=2, layers=[Linear(dim=3, layer_name="h")])
    with pytest.raises(ConfigError, match="only one of"):
        MLP(nvis=2, layers=[Linear(dim=3, layer_name="h", irange=0.1, istdev=0.1)])
    with pytest.raises(ConfigError, match="unique"):
        MLP(nvis=2, layers=[Linear(dim=3, layer_name="h", irange=0.1),
                            Linear(dim=3, layer_name="h", irange=0.1)])


def test_conv_input_is_flattened_01c():
    space = Conv2DSpace(shape=(2, 2), num_channels=3, axes=("b", "c", 0, 1))
    mlp = MLP(input_space=space, layers=[Linear(dim=2, layer_name="h", irange=0.3)])
    x = np.random.default_rng(3).normal(size=(4, 3, 2, 2))
    flat = x.transpose(0, 2, 3, 1).reshape(4, -1)  # b01c flattening
    W, b = params(mlp.layers[0])
    out = mlp.fprop(torch.as_tensor(x, dtype=torch.float32)).detach().double().numpy()
    np.testing.assert_allclose(out, flat @ W + b, rtol=1e-5, atol=1e-6)


def test_softmax_regression_is_single_y_layer():
    model = SoftmaxRegression(n_classes=4, nvis=3, irange=0.1)
    assert [layer.layer_name for layer in model.layers] == ["y"]
    assert model._init_args == {"n_classes": 4, "nvis": 3, "irange": 0.1}


def test_positional_arguments_recorded_by_name():
    layer = RectifiedLinear(7, "h0", irange=0.2, left_slope=0.01)
    assert layer._init_args == {"dim": 7, "layer_name": "h0", "irange": 0.2, "left_slope": 0.01}


def test_dropout_fprop_masks_inputs():
    mlp = MLP(nvis=2000, layers=[Linear(dim=1, layer_name="h", irange=0.0, init_bias=0.0)])
    with torch.no_grad():
        mlp.layers[0].W.fill_(1.0)
    X = torch.ones(50, 2000)
    gen = torch.Generator().manual_seed(0)
    out = mlp.dropout_fprop(X, input_include_probs={"h": 0.8}, input_scales={"h": 1.0},
                            generator=gen)
    kept = out.detach().numpy() / 2000
    assert abs(kept.mean() - 0.8) < 4 * np.sqrt(0.8 * 0.2 / (2000 * 50))


def test_sum_of_costs_value_gradients_and_channels():
    from pylearn2.costs.cost import SumOfCosts

    mlp = make_mlp()
    rng = np.random.default_rng(4)
    X = torch.as_tensor(rng.normal(size=(6, 6)), dtype=torch.float32)
    Y = torch.eye(3)[torch.as_tensor(rng.integers(0, 3, size=6))]
    cost = SumOfCosts([Default(), [0.5, WeightDecay({"h0": 0.1})]])
    value = cost.expr(mlp, (X, Y))
    expected = Default().expr(mlp, (X, Y)) + 0.5 * WeightDecay({"h0": 0.1}).expr(mlp)
    assert float(value.detach()) == pytest.approx(float(expected.detach()), rel=1e-6)
    grads, _ = cost.get_gradients(mlp, (X, Y))
    W = mlp.layers[0].W
    g_default = torch.autograd.grad(Default().expr(mlp, (X, Y)), W)[0]
    torch.testing.assert_close(grads[W], g_default + 0.5 * 0.2 * W.detach())
    channels = cost.get_monitoring_channels(mlp, (X, Y))
    assert set(channels) == {"term_0", "term_1_weight_decay"}
