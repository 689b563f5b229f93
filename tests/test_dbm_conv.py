"""Convolutional DBM layers (ConvMaxPool, ConvC01B_MaxPool) on a 1-channel 3x3 Gaussian
visible layer with a 2x2 kernel and 2x2 pools, checked in float64 against explicit-loop
numpy convolutions and enumeration of every pool configuration."""

import itertools

import numpy as np
import pytest
import torch

from pylearn2.costs.cost import SumOfCosts
from pylearn2.costs.dbm import VariationalPCD, WeightDecay
from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.dbm import DBM, BinaryVectorMaxPool, GaussianVisLayer
from pylearn2.models.dbm.layer import ConvC01B_MaxPool, ConvMaxPool
from pylearn2.termination_criteria import EpochCounter
from pylearn2.train import Train
from pylearn2.training_algorithms.sgd import SGD
from pylearn2.utils.exc import ConfigError

CHANNELS = 2  # two detector channels, each a 2x2 map = one 2x2 pool


def conv_dbm(layer, top=None, batch_size=4):
    hidden = [layer] + ([top] if top is not None else [])
    dbm = DBM(batch_size=batch_size, niter=30, seed=3, hidden_layers=hidden,
              visible_layer=GaussianVisLayer(rows=3, cols=3, channels=1, init_beta=1.5,
                                             min_beta=0.5)).double()
    with torch.no_grad():
        layer.b.copy_(torch.tensor([0.4, -0.3], dtype=torch.float64))
        dbm.visible_layer.mu.copy_(torch.linspace(-0.5, 0.5, 9, dtype=torch.float64))
        dbm.visible_layer.beta.copy_(torch.linspace(1.0, 2.0, 9, dtype=torch.float64))
    return dbm


def numpy_filter(v, W, pad=0):
    """Cross-correlation by loops: v (1, 3, 3) single example, W (k, 1, 2, 2)."""
    v = np.pad(v, ((0, 0), (pad, pad), (pad, pad)))
    k, _, kr, kc = W.shape
    out = np.zeros((k, v.shape[1] - kr + 1, v.shape[2] - kc + 1))
    for c in range(k):
        for i in range(out.shape[1]):
            for j in range(out.shape[2]):
                out[c, i, j] = (v[:, i:i + kr, j:j + kc] * W[c]).sum()
    return out


def pool_configs():
    """Every joint state of the two 2x2 pools: (h as (2, 2, 2), p as (2,))."""
    singles = [None, 0, 1, 2, 3]
    for a, b in itertools.product(singles, singles):
        h = np.zeros((CHANNELS, 2, 2))
        for c, on in enumerate((a, b)):
            if on is not None:
                h[c].flat[on] = 1
        yield h, h.reshape(CHANNELS, -1).sum(1)


def exact_posterior(layer, v, top_down=None):
    W, b = layer.W.detach().numpy(), layer.b.detach().numpy()
    f = numpy_filter(v.reshape(1, 3, 3), W, getattr(layer, "pad", 0))
    configs = list(pool_configs())
    logits = np.array([(f * h).sum() + (b[:, None, None] * h).sum()
                       + (0 if top_down is None else top_down @ p) for h, p in configs])
    prob = np.exp(logits - logits.max())
    prob /= prob.sum()
    Eh = sum(q * h for q, (h, _) in zip(prob, configs))
    Ep = sum(q * p for q, (_, p) in zip(prob, configs))
    return prob, Eh.reshape(-1), Ep, configs


@pytest.mark.parametrize("make_layer", [
    lambda: ConvMaxPool(output_channels=2, kernel_rows=2, kernel_cols=2, pool_rows=2,
                        pool_cols=2, layer_name="h0", irange=1.0),
    lambda: ConvC01B_MaxPool(output_channels=2, kernel_shape=[2, 2], pool_rows=2,
                             pool_cols=2, layer_name="h0", irange=1.0),
])
def test_hidden_posterior_matches_enumeration(make_layer):
    dbm = conv_dbm(make_layer())
    layer = dbm.hidden_layers[0]
    assert layer.output_dim() == 2 and layer.detector_shape == (2, 2, 2)
    V = np.random.default_rng(0).normal(size=(4, 9))
    with torch.no_grad():
        (p, h), = dbm.mf(torch.tensor(V))
    for n in range(4):
        _, Eh, Ep, _ = exact_posterior(layer, V[n])
        np.testing.assert_allclose(h[n].numpy(), Eh, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(p[n].numpy(), Ep, rtol=1e-12, atol=1e-14)


def test_pool_top_down_input_and_visible_conditional():
    layer = ConvMaxPool(2, 2, 2, 2, 2, "h0", irange=1.0)
    dbm = conv_dbm(layer)
    rng = np.random.default_rng(1)
    V, top = rng.normal(size=(1, 9)), rng.normal(size=(1, 2))

    class Above:  # a layer above sending a fixed message to the pool units
        def downward_message(self, s):
            return s

    with torch.no_grad():
        p, h = layer.mf_update(torch.tensor(V), torch.tensor(top), Above())
    _, Eh, Ep, _ = exact_posterior(layer, V[0], top[0])
    np.testing.assert_allclose(h[0].numpy(), Eh, rtol=1e-12)
    np.testing.assert_allclose(p[0].numpy(), Ep, rtol=1e-12)
    # v | h ~ N(mu + W^T h / beta, 1 / beta): the derivative of the energy in v
    hs = np.zeros((2, 2, 2))
    hs[0, 1, 0] = hs[1, 0, 1] = 1
    W = layer.W.detach().numpy()
    msg = np.zeros((1, 3, 3))
    for c, i, j in zip(*np.nonzero(hs)):
        msg[:, i:i + 2, j:j + 2] += W[c]
    vis = dbm.visible_layer
    mu, beta = vis.mu.detach().numpy(), vis.beta.detach().numpy()
    with torch.no_grad():
        mean = vis.mf_update(torch.tensor(hs.reshape(1, -1)), layer)
    np.testing.assert_allclose(mean[0].numpy(), mu + msg.reshape(-1) / beta, rtol=1e-12)
    # the energy the layer reports matches -b.h - filter(v).h
    with torch.no_grad():
        e = layer.expected_energy_term((None, torch.tensor(hs.reshape(1, -1))),
                                       state_below=torch.tensor(V))
    f = numpy_filter(V.reshape(1, 3, 3), W)
    b = layer.b.detach().numpy()
    np.testing.assert_allclose(e.item(), -(b[:, None, None] * hs).sum() - (f * hs).sum(),
                               rtol=1e-12)


def test_sampling_frequencies_match_exact_probabilities():
    layer = ConvMaxPool(2, 2, 2, 2, 2, "h0", irange=1.0)
    conv_dbm(layer)  # connects the layer to the 3x3 visible layer
    v = np.random.default_rng(2).normal(size=9)
    n = 40000
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        p, h = layer.sample(state_below=torch.tensor(v).expand(n, -1), theano_rng=gen)
    prob, _, _, configs = exact_posterior(layer, v)
    index = {tuple(c[0].reshape(-1)): k for k, c in enumerate(configs)}
    counts = np.bincount([index[tuple(row)] for row in h.numpy()], minlength=len(configs))
    np.testing.assert_allclose(counts / n, prob, atol=4 * np.sqrt(prob.max() / n))
    np.testing.assert_array_equal(p.numpy(), h.numpy().reshape(n, 2, 4).sum(2))
    # bias-only chains start from the exact bias-only pool distribution
    with torch.no_grad():
        _, h0 = layer.make_state(n, torch.Generator().manual_seed(1))
    b = layer.b.detach().numpy()
    on = np.exp(b) / (1 + 4 * np.exp(b))
    np.testing.assert_allclose(h0.numpy().mean(0), np.repeat(on, 4), atol=0.01)


def test_two_layer_mean_field_reaches_its_fixed_point():
    layer = ConvMaxPool(2, 2, 2, 2, 2, "h0", irange=1.0)
    top = BinaryVectorMaxPool(detector_layer_dim=3, pool_size=1, layer_name="h1", irange=1.0)
    dbm = conv_dbm(layer, top)
    V = torch.tensor(np.random.default_rng(3).normal(size=(4, 9)))
    with torch.no_grad():
        s0, s1 = dbm.mf(V, niter=60)
        again0 = layer.mf_update(V, top.downward_state(s1), top)
        again1 = top.mf_update(layer.upward_state(s0))
    for a, b in zip(again0 + again1, s0 + s1):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-10)


def test_pcd_training_step_lowers_free_energy_of_the_data():
    rng = np.random.default_rng(0)
    protos = np.array([[1, 1, 0, 1, 1, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1, 0, 1, 1.0]])
    X = protos[rng.integers(0, 2, 40)] * 2 + 0.1 * rng.normal(size=(40, 9))
    layer = ConvMaxPool(2, 2, 2, 2, 2, "h0", irange=0.1)
    dbm = conv_dbm(layer, batch_size=20)

    def data_free_energy():
        # -log sum_h exp(-E(v, h)) for the one-hidden-layer model, by enumeration
        with torch.no_grad():
            configs = list(pool_configs())
            H = torch.tensor(np.stack([c[0].reshape(-1) for c in configs]))
            P = torch.tensor(np.stack([c[1] for c in configs]))
            V = torch.tensor(X)
            e = torch.stack([dbm.energy(V, [(P[k].expand(len(V), -1), H[k].expand(len(V), -1))])
                             for k in range(len(H))], 1)
            return float(-torch.logsumexp(-e, 1).mean())

    W0 = layer.W.detach().clone()
    before = data_free_energy()
    cost = SumOfCosts([VariationalPCD(num_chains=20, num_gibbs_steps=2), WeightDecay([1e-4])])
    Train(dataset=DenseDesignMatrix(X=X), model=dbm, algorithm=SGD(
        learning_rate=0.05, cost=cost, termination_criterion=EpochCounter(3),
        device="cpu")).main_loop()
    assert not torch.equal(W0, layer.W.detach())
    assert np.isfinite(data_free_energy())
    assert data_free_energy() < before


def test_conv_layer_arguments_are_checked():
    with pytest.raises(ConfigError, match="exactly one of irange"):
        ConvMaxPool(2, 2, 2, 2, 2, "h0")
    with pytest.raises(ConfigError, match="border_mode"):
        ConvMaxPool(2, 2, 2, 2, 2, "h0", irange=1.0, border_mode="same")
    with pytest.raises(ConfigError, match="topological"):
        DBM(batch_size=2, niter=1, visible_layer=GaussianVisLayer(nvis=9),
            hidden_layers=[ConvMaxPool(2, 2, 2, 2, 2, "h0", irange=1.0)])
    with pytest.raises(ConfigError, match="pools"):
        conv_dbm(ConvMaxPool(2, 2, 2, 3, 3, "h0", irange=1.0))
    with pytest.raises(ConfigError, match="rows/cols/channels"):
        GaussianVisLayer(rows=3, cols=3)
    full = conv_dbm(ConvMaxPool(2, 2, 2, 2, 2, "h0", irange=1.0, border_mode="full"))
    assert full.hidden_layers[0].detector_shape == (2, 4, 4)
    assert full.hidden_layers[0].get_lr_scalers()[full.hidden_layers[0].W] == 1 / 16


def test_bvmp_gaussian_scales_its_input_by_the_visible_precision():
    from pylearn2.models.dbm.layer import BVMP_Gaussian
    vis = GaussianVisLayer(nvis=4)
    hid = BVMP_Gaussian(input_layer=vis, detector_layer_dim=4, pool_size=2, layer_name="h",
                        irange=1.0)
    dbm = DBM(batch_size=3, niter=1, visible_layer=vis, hidden_layers=[hid]).double()
    with torch.no_grad():
        vis.beta.copy_(torch.tensor([0.5, 1.0, 2.0, 4.0], dtype=torch.float64))
        vis.mu.copy_(torch.tensor([0.1, -0.2, 0.3, 0.0], dtype=torch.float64))
    W, b = hid.W.detach().numpy(), hid.b.detach().numpy()
    beta, mu = vis.beta.detach().numpy(), vis.mu.detach().numpy()
    V = np.random.default_rng(5).normal(size=(3, 4))
    with torch.no_grad():
        (p, h), = dbm.mf(torch.tensor(V))
    # enumeration over each pool's three states (off, first on, second on)
    z = (V * beta) @ W + b
    for n in range(3):
        for g in range(2):
            e = np.exp(np.r_[0.0, z[n, 2 * g:2 * g + 2]])
            np.testing.assert_allclose(h[n, 2 * g:2 * g + 2].numpy(), e[1:] / e.sum(), rtol=1e-12)
            np.testing.assert_allclose(p[n, g].item(), e[1:].sum() / e.sum(), rtol=1e-12)
    hs = torch.tensor([[1.0, 0, 0, 1]], dtype=torch.float64)
    with torch.no_grad():
        mean = vis.mf_update(hs, hid)
        energy = dbm.energy(torch.tensor(V[:1]), [(hs[:, ::2] + hs[:, 1::2], hs)])
    np.testing.assert_allclose(mean[0].numpy(), mu + W @ hs[0].numpy(), rtol=1e-12)
    expected = 0.5 * (beta * (V[0] - mu) ** 2).sum() - b @ hs[0].numpy() \
        - (V[0] * beta) @ W @ hs[0].numpy()
    np.testing.assert_allclose(energy.item(), expected, rtol=1e-12)
    with pytest.raises(ConfigError, match="GaussianVisLayer"):
        BVMP_Gaussian(input_layer=object(), detector_layer_dim=4, pool_size=2, layer_name="h",
                      irange=1.0)
