"""Maxout and convolutional layers against numpy loop references, plus gradchecks."""

import numpy as np
import pytest
import torch

from pylearn2.models.mlp import (
    MLP,
    ConvElemwise,
    ConvRectifiedLinear,
    Maxout,
    MaxoutConvC01B,
    Softmax,
    TanhConvNonlinearity,
)
from pylearn2.models.mlp.conv import pooled_size
from pylearn2.space import Conv2DSpace


def conv_valid_np(x, W, b, stride=(1, 1)):
    """x (B, C, R, Cc), W (O, C, kr, kc): cross-correlation by explicit loops."""
    B, C, R, Cc = x.shape
    O, _, kr, kc = W.shape
    rows, cols = (R - kr) // stride[0] + 1, (Cc - kc) // stride[1] + 1
    out = np.zeros((B, O, rows, cols))
    for n in range(B):
        for o in range(O):
            for i in range(rows):
                for j in range(cols):
                    patch = x[n, :, i * stride[0]:i * stride[0] + kr, j * stride[1]:j * stride[1] + kc]
                    out[n, o, i, j] = (patch * W[o]).sum()
    return out + b


def max_pool_np(x, pool, stride):
    B, C, R, Cc = x.shape
    rows, cols = pooled_size(R, pool[0], stride[0]), pooled_size(Cc, pool[1], stride[1])
    out = np.zeros((B, C, rows, cols))
    for i in range(rows):
        for j in range(cols):
            window = x[:, :, i * stride[0]:i * stride[0] + pool[0], j * stride[1]:j * stride[1] + pool[1]]
            out[:, :, i, j] = window.max(axis=(2, 3))
    return out


def test_maxout_forward_and_channels():
    mlp = MLP(nvis=5, layers=[Maxout(layer_name="h0", num_units=3, num_pieces=4, irange=0.5,
                                     min_zero=False)])
    layer = mlp.layers[0]
    x = np.random.default_rng(0).normal(size=(6, 5))
    z = x @ layer.W.detach().double().numpy() + layer.b.detach().double().numpy()
    expected = z.reshape(6, 3, 4).max(axis=2)
    out = mlp.fprop(torch.tensor(x, dtype=torch.float32)).detach().numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    channels = layer.get_layer_monitoring_channels(state=torch.tensor(out))
    # the original names pooled activations with a p_ prefix
    assert "p_max_x.max_u" in channels and "p_range_x.mean_u" in channels
    assert float(channels["p_min_x.min_u"]) == pytest.approx(out.min(0).min(), rel=1e-6)


def test_maxout_gradcheck():
    mlp = MLP(nvis=4, layers=[Maxout(layer_name="h", num_units=2, num_pieces=3, irange=0.5,
                                     min_zero=True)]).double()
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda inp: mlp.fprop(inp), (x,))


@pytest.mark.parametrize("axes", [("b", 0, 1, "c"), ("c", 0, 1, "b"), ("b", "c", 0, 1)])
def test_conv_elemwise_matches_loops_any_axes(axes):
    space = Conv2DSpace((7, 6), num_channels=2, axes=axes)
    mlp = MLP(input_space=space, layers=[ConvElemwise(
        output_channels=3, kernel_shape=(3, 2), layer_name="c", irange=0.3,
        nonlinearity=TanhConvNonlinearity(), pool_type="max", pool_shape=(2, 2),
        pool_stride=(2, 2), tied_b=True)])
    layer = mlp.layers[0]
    x_bc01 = np.random.default_rng(1).normal(size=(2, 2, 7, 6))
    x = Conv2DSpace.convert(x_bc01, ("b", "c", 0, 1), axes)
    W, b = layer.W.detach().double().numpy(), layer.b.detach().double().numpy()
    detector = np.tanh(conv_valid_np(x_bc01, W, b[None, :, None, None]))
    expected = max_pool_np(detector, (2, 2), (2, 2))
    assert expected.shape == (2, 3, 3, 3)  # 5x5 detector -> ceil(3/2)+1 = 3 pooled positions
    out = mlp.fprop(torch.tensor(x, dtype=torch.float32)).detach().numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    assert mlp.get_output_space() == Conv2DSpace((3, 3), 3, axes=("b", "c", 0, 1))


def test_conv_rectified_linear_gradcheck_untied_bias_and_stride():
    space = Conv2DSpace((6, 6), num_channels=1)
    mlp = MLP(input_space=space, layers=[ConvRectifiedLinear(
        output_channels=2, kernel_shape=(3, 3), pool_shape=(2, 2), pool_stride=(1, 1),
        layer_name="c", irange=0.5, kernel_stride=(1, 1), init_bias=0.1)]).double()
    assert mlp.layers[0].b.shape == (2, 4, 4)
    x = torch.randn(2, 6, 6, 1, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda inp: mlp.fprop(inp), (x,))
    W = mlp.layers[0].W.detach().numpy()
    b = mlp.layers[0].b.detach().numpy()
    det = np.maximum(conv_valid_np(x.detach().numpy().transpose(0, 3, 1, 2), W, b[None]), 0)
    np.testing.assert_allclose(mlp.fprop(x).detach().numpy(), max_pool_np(det, (2, 2), (1, 1)),
                               rtol=1e-10)


def test_max_kernel_norm_and_channels():
    mlp = MLP(input_space=Conv2DSpace((5, 5), 1), layers=[ConvRectifiedLinear(
        output_channels=4, kernel_shape=(3, 3), pool_shape=(2, 2), pool_stride=(2, 2),
        layer_name="c", irange=2.0, max_kernel_norm=0.5)])
    before = mlp.layers[0].W.detach().double().numpy().copy()
    mlp.enforce_constraints()
    norms = np.sqrt((before ** 2).sum(axis=(1, 2, 3)))
    expected = before * np.minimum(1, 0.5 / norms)[:, None, None, None]
    np.testing.assert_allclose(mlp.layers[0].W.detach().numpy(), expected, rtol=1e-5)
    channels = mlp.layers[0].get_layer_monitoring_channels()
    assert float(channels["kernel_norms_max"]) == pytest.approx(0.5, rel=1e-5)


def test_maxout_conv_c01b():
    space = Conv2DSpace((6, 6), num_channels=2, axes=("c", 0, 1, "b"))
    mlp = MLP(input_space=space, layers=[
        MaxoutConvC01B(num_channels=3, num_pieces=2, kernel_shape=(3, 3), pool_shape=(2, 2),
                       pool_stride=(2, 2), layer_name="h", irange=0.3, pad=1, tied_b=True),
        Softmax(n_classes=4, layer_name="y", irange=0.1)])
    layer = mlp.layers[0]
    x = np.random.default_rng(2).normal(size=(2, 6, 6, 3))  # c01b with batch 3
    xb = x.transpose(3, 0, 1, 2)
    padded = np.pad(xb, ((0, 0), (0, 0), (1, 1), (1, 1)))
    W, b = layer.W.detach().double().numpy(), layer.b.detach().double().numpy()
    det = conv_valid_np(padded, W, b[None, :, None, None]).reshape(3, 3, 2, 6, 6).max(axis=2)
    expected = max_pool_np(det, (2, 2), (2, 2)).transpose(1, 2, 3, 0)
    out = layer.fprop(torch.tensor(x, dtype=torch.float32)).detach().numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    assert mlp.fprop(torch.tensor(x, dtype=torch.float32)).shape == (3, 4)
