"""Linear transforms: loop references, exact adjoints, tiling equivalences, gradchecks."""

import numpy as np
import pytest
import torch

from pylearn2.config import yaml_parse
from pylearn2.linear import (
    Conv2D,
    LocalConnected,
    MatrixMul,
    TiledConv2D,
    make_random_conv2D,
    make_random_local,
    make_random_tiled_conv2D,
)
from pylearn2.space import Conv2DSpace

AXES = [("b", 0, 1, "c"), ("b", "c", 0, 1), ("c", 0, 1, "b")]


def local_np(x_bc01, W_local, stride):
    """W_local (orow, ocol, out, in, kr, kc); explicit loops over output positions."""
    B = x_bc01.shape[0]
    orow, ocol, out_ch, _, kr, kc = W_local.shape
    out = np.zeros((B, out_ch, orow, ocol))
    for b in range(B):
        for i in range(orow):
            for j in range(ocol):
                patch = x_bc01[b, :, i * stride[0]:i * stride[0] + kr, j * stride[1]:j * stride[1] + kc]
                for o in range(out_ch):
                    out[b, o, i, j] = (patch * W_local[i, j, o]).sum()
    return out


def to_axes(bc01, axes):
    return Conv2DSpace.convert(bc01, ("b", "c", 0, 1), axes)


def adjoint_gap(t, rng):
    x = torch.tensor(rng.normal(size=t.input_space.get_origin_batch(3).shape))
    y = torch.tensor(rng.normal(size=t.output_space.get_origin_batch(3).shape))
    return float(((t.lmul(x) * y).sum() - (x * t.lmul_T(y)).sum()).detach())


def build(kind, axes, stride=(1, 1), border="valid", rng=None):
    rng = rng or np.random.default_rng(0)
    space = Conv2DSpace((7, 6), num_channels=2, axes=axes)
    if kind == "conv":
        return Conv2D(rng.normal(size=(3, 2, 3, 2)), space, axes, stride, border).double()
    out = tuple((s - k) // st + 1 for s, k, st in zip((7, 6), (3, 2), stride))
    if kind == "local":
        return LocalConnected(rng.normal(size=out + (3, 2, 3, 2)), space, axes, stride).double()
    return TiledConv2D(rng.normal(size=(2, 2, 3, 2, 3, 2)), space, axes, stride).double()


@pytest.mark.parametrize("axes", AXES)
@pytest.mark.parametrize("stride", [(1, 1), (2, 1)])
@pytest.mark.parametrize("kind", ["conv", "local", "tiled"])
def test_lmul_matches_loops_and_lmul_T_is_adjoint(kind, axes, stride):
    rng = np.random.default_rng(1)
    t = build(kind, axes, stride)
    x_bc01 = rng.normal(size=(2, 2, 7, 6))
    if kind == "conv":
        orow, ocol = t.output_space.shape
        W_local = np.broadcast_to(t.filters.detach().numpy(), (orow, ocol) + tuple(t.filters.shape))
    else:
        W_local = t.local_filters().detach().numpy().reshape(
            t.output_space.shape + (3, 2, 3, 2))
    expected = local_np(x_bc01, W_local, stride)
    got = t.lmul(torch.tensor(to_axes(x_bc01, axes)))
    np.testing.assert_allclose(Conv2DSpace.convert(got.detach().numpy(), axes, ("b", "c", 0, 1)),
                               expected, rtol=1e-10, atol=1e-10)
    assert abs(adjoint_gap(t, rng)) < 1e-10


def test_full_border_conv_adjoint_and_matrixmul():
    rng = np.random.default_rng(2)
    t = build("conv", ("b", 0, 1, "c"), border="full")
    assert t.output_space.shape == (9, 7)
    assert abs(adjoint_gap(t, rng)) < 1e-10
    m = MatrixMul(rng.normal(size=(4, 3))).double()
    x, y = torch.tensor(rng.normal(size=(5, 4))), torch.tensor(rng.normal(size=(5, 3)))
    assert abs(float(((m.lmul(x) * y).sum() - (x * m.lmul_T(y)).sum()).detach())) < 1e-10


def test_tiling_extremes_equal_conv_and_local():
    rng = np.random.default_rng(3)
    space = Conv2DSpace((6, 6), num_channels=2)
    filters = rng.normal(size=(3, 2, 3, 3))
    conv = Conv2D(filters, space).double()
    tiled1 = TiledConv2D(filters[None, None], space).double()
    x = torch.tensor(rng.normal(size=(2, 6, 6, 2)))
    torch.testing.assert_close(tiled1.lmul(x), conv.lmul(x))
    local_filters = rng.normal(size=(4, 4, 3, 2, 3, 3))
    tiled_full = TiledConv2D(local_filters, space).double()
    local = LocalConnected(local_filters, space).double()
    torch.testing.assert_close(tiled_full.lmul(x), local.lmul(x))
    torch.testing.assert_close(tiled_full.lmul_T(local.lmul(x)), local.lmul_T(local.lmul(x)))


@pytest.mark.parametrize("kind", ["conv", "local", "tiled"])
def test_gradcheck(kind):
    t = build(kind, ("b", "c", 0, 1))
    x = torch.randn(1, 2, 7, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda inp: t.lmul(inp), (x,))
    y = torch.randn(t.output_space.get_origin_batch(1).shape, dtype=torch.float64,
                    requires_grad=True)
    assert torch.autograd.gradcheck(lambda inp: t.lmul_T(inp), (y,))


@pytest.mark.parametrize("factory,extra", [
    ("make_random_conv2D", ""), ("make_random_local", ""),
    ("make_random_tiled_conv2D", "tile_shape: [2, 2],"),
])
def test_rbm_switches_transform_by_configuration(factory, extra):
    rbm = yaml_parse.load(f"""
        !obj:pylearn2.models.rbm.RBM {{
            transformer: !obj:pylearn2.linear.{factory} {{
                irange: .1, kernel_shape: [3, 3], {extra}
                input_space: !obj:pylearn2.space.Conv2DSpace {{shape: [6, 6], num_channels: 1}},
                output_space: !obj:pylearn2.space.Conv2DSpace {{shape: [4, 4], num_channels: 2}},
            }},
        }}""")
    assert (rbm.nvis, rbm.nhid) == (36, 32)
    v = torch.bernoulli(torch.full((5, 36), 0.5))
    W = rbm.weight_matrix()
    torch.testing.assert_close(rbm.hidden_input(v), v @ W + rbm.bias_hid)
    torch.testing.assert_close(rbm.mean_v_given_h(rbm.mean_h_given_v(v)),
                               torch.sigmoid(rbm.mean_h_given_v(v) @ W.T + rbm.bias_vis))
    from pylearn2.costs.ebm_estimation import CDk

    grads, _ = CDk(nsteps=1).get_gradients(rbm, v)
    assert {id(p) for p in grads} == {id(p) for p in rbm.get_params()}


def test_factory_shape_errors():
    space_in = Conv2DSpace((6, 6), 1)
    with pytest.raises(Exception, match="not to"):
        make_random_conv2D(0.1, space_in, Conv2DSpace((5, 5), 2), (3, 3))
    with pytest.raises(Exception, match="not to"):
        make_random_local(0.1, space_in, Conv2DSpace((5, 5), 2), (3, 3))
    make_random_tiled_conv2D(0.1, space_in, Conv2DSpace((4, 4), 2), (3, 3), (2, 2))
