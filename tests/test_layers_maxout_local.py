"""MaxoutLocalC01B against a float64 numpy loop over output positions."""

import numpy as np
import pytest
import torch

from pylearn2.models.maxout import MaxoutLocalC01B
from pylearn2.models.mlp import MLP, BadInputSpaceError, Softmax
from pylearn2.space import Conv2DSpace, VectorSpace


def reference(layer, x_c01b):
    W = layer.W.detach().numpy()  # rows, cols, out, in, kr, kc
    b = layer.b.detach().numpy()
    x = x_c01b.transpose(3, 1, 2, 0)  # (b, rows, cols, channels)
    x = np.pad(x, ((0, 0), (layer.pad,) * 2, (layer.pad,) * 2, (0, 0)))
    R, C, O = W.shape[:3]
    kr, kc = layer.kernel_shape
    z = np.zeros((x.shape[0], O, R, C))
    for i in range(R):
        for j in range(C):
            patch = x[:, i:i + kr, j:j + kc, :].transpose(0, 3, 1, 2)  # b, in, kr, kc
            z[:, :, i, j] = np.einsum("bckl,ockl->bo", patch, W[i, j])
    z += b[None, :, None, None] if layer.tied_b else b[None]
    h = z.reshape(x.shape[0], layer.num_channels, layer.num_pieces, R, C).max(2)
    return h.transpose(1, 2, 3, 0)  # c01b


@pytest.mark.parametrize("tied_b", [False, True])
def test_forward_and_gradient_match_numpy(tied_b):
    layer = MaxoutLocalC01B(num_channels=2, num_pieces=3, kernel_shape=(2, 2), layer_name="h",
                            irange=0.5, pad=1, tied_b=tied_b, init_bias=0.1)
    MLP([layer], input_space=Conv2DSpace((4, 3), 2, axes=("c", 0, 1, "b"))).double()
    x = np.random.default_rng(0).normal(size=(2, 4, 3, 5))
    out = layer.fprop(torch.tensor(x))
    ref = reference(layer, x)
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-10)
    assert layer.get_output_space().shape == (5, 4)
    out.sum().backward()
    # gradient of the summed output with respect to the biases, by central differences
    eps, numeric = 1e-6, np.zeros(layer.b.shape)
    for idx in np.ndindex(*layer.b.shape):
        for s in (1, -1):
            with torch.no_grad():
                layer.b[idx] += s * eps
            numeric[idx] += s * reference(layer, x).sum() / (2 * eps)
            with torch.no_grad():
                layer.b[idx] -= s * eps
    winners = numeric
    np.testing.assert_allclose(layer.b.grad.numpy(), winners, atol=1e-5)


def test_pooling_constraints_and_spaces():
    layer = MaxoutLocalC01B(num_channels=2, num_pieces=2, kernel_shape=(3, 3), layer_name="h",
                            pool_shape=(2, 2), pool_stride=(2, 2), irange=2.0,
                            max_filter_norm=0.5)
    net = MLP([layer, Softmax(n_classes=3, layer_name="y", irange=0.1)],
              input_space=Conv2DSpace((7, 7), 1, axes=("c", 0, 1, "b")))
    x = torch.randn(1, 7, 7, 2)
    assert layer.fprop(x).shape == (2, 3, 3, 2) and net.fprop(x).shape == (2, 3)
    layer.enforce_constraints()
    norms = layer.W.detach().pow(2).sum(dim=(3, 4, 5)).sqrt()
    assert float(norms.max()) <= 0.5 + 1e-6
    with pytest.raises(BadInputSpaceError):
        MLP([MaxoutLocalC01B(num_channels=1, num_pieces=1, kernel_shape=(1, 1), layer_name="q",
                             irange=0.1)], input_space=VectorSpace(3))


def _grouped_reference(layer, x_c01b):
    """Reference with each group of filters seeing only its group of input channels."""
    W = layer.W.detach().numpy().copy()
    n_out, n_in, g = W.shape[2], W.shape[3], layer.input_groups
    for o in range(n_out):
        for c in range(n_in):
            if o // (n_out // g) != c // (n_in // g):
                assert W[:, :, o, c].max() == 0.0 == W[:, :, o, c].min()
    return reference(layer, x_c01b)


def test_original_arguments_are_honoured():
    calls = []

    def norm(c01b):
        calls.append(tuple(c01b.shape))
        return c01b * 2.0

    layer = MaxoutLocalC01B(num_channels=2, num_pieces=2, kernel_shape=(2, 2), layer_name="h",
                            irange=0.5, input_groups=2, max_kernel_norm=0.3,
                            input_normalization=norm, detector_normalization=norm,
                            output_normalization=norm)
    MLP([layer], input_space=Conv2DSpace((3, 3), 2, axes=("c", 0, 1, "b"))).double()
    x = np.random.default_rng(1).normal(size=(2, 3, 3, 4))
    out = layer.fprop(torch.tensor(x)).detach().numpy()
    # input x2 (linear, so the detector doubles before its bias), detector x2, output x2
    W, b = layer.W.detach().numpy(), layer.b.detach().numpy()
    ref_in = _grouped_reference(layer, 2 * x)
    np.testing.assert_allclose(out, 4 * ref_in, rtol=1e-10)
    assert calls == [(2, 3, 3, 4), (2, 2, 2, 4), (2, 2, 2, 4)]
    # the constraint keeps the cross-group weights at zero and caps each filter's norm
    with torch.no_grad():
        layer.W.add_(1.0)
    layer.enforce_constraints()
    assert float(layer.get_filter_norms().max()) <= 0.3 + 1e-9
    _grouped_reference(layer, x)
    assert W.shape == (2, 2, 4, 2, 2, 2) and b.shape == (4, 2, 2)
    assert layer.max_filter_norm == 0.3  # the original's older spelling reads the same cap


def test_fix_options_shrink_infeasible_shapes():
    layer = MaxoutLocalC01B(num_channels=1, num_pieces=2, kernel_shape=(5, 5), layer_name="h",
                            irange=0.1, pool_shape=(4, 4), pool_stride=(5, 5),
                            fix_kernel_shape=True, fix_pool_shape=True, fix_pool_stride=True)
    MLP([layer], input_space=Conv2DSpace((4, 6), 1, axes=("c", 0, 1, "b")))
    assert layer.kernel_shape == (4, 5) and layer.detector_shape == (1, 2)
    assert layer.pool_shape == (1, 2) and layer.pool_stride == (1, 2)
    with pytest.raises(Exception, match="fix_kernel_shape"):
        MLP([MaxoutLocalC01B(num_channels=1, num_pieces=2, kernel_shape=(5, 5), layer_name="q",
                             irange=0.1)], input_space=Conv2DSpace((4, 4), 1, axes=C01B_AXES))


C01B_AXES = ("c", 0, 1, "b")


def test_channels_have_the_original_names_and_values():
    layer = MaxoutLocalC01B(num_channels=2, num_pieces=2, kernel_shape=(2, 2), layer_name="h",
                            irange=0.5)
    MLP([layer], input_space=Conv2DSpace((3, 3), 1, axes=C01B_AXES)).double()
    state = np.random.default_rng(4).normal(size=(2, 2, 2, 5))
    got = layer.get_layer_monitoring_channels(state=torch.tensor(state))
    norms = np.sqrt((layer.W.detach().numpy() ** 2).sum(axis=(3, 4, 5)))
    assert float(got["filter_norms_max"]) == pytest.approx(norms.max(), rel=1e-12)
    per_channel = state.reshape(2, -1)
    assert float(got["mean_x.min_u"]) == pytest.approx(per_channel.mean(1).min(), rel=1e-12)
    assert float(got["max_x.max_u"]) == pytest.approx(state.max(), rel=1e-12)
