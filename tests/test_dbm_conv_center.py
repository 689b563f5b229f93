"""ConvMaxPool(center=True): the layers around see the pool and detector states minus
their mean-field maps at the initial biases. Checked in float64 on a 3x3 Gaussian
visible layer, a 2x2-kernel layer with one 2x2 pool per channel and a binary layer on
top, by enumerating every hidden configuration."""

import itertools

import numpy as np
import pytest
import torch
from dbm_blocks import noise_level
from test_dbm_conv import conv_dbm, numpy_filter, pool_configs

from pylearn2.models.dbm import BinaryVectorMaxPool
from pylearn2.models.dbm.layer import ConvC01B_MaxPool, ConvMaxPool

INIT_BIAS = 0.7  # the offsets come from the biases at construction (conv_dbm then changes b)
MAKERS = [
    lambda: ConvMaxPool(2, 2, 2, 2, 2, "h0", center=True, irange=1.0, init_bias=INIT_BIAS),
    lambda: ConvC01B_MaxPool(2, [2, 2], 2, 2, "h0", center=True, irange=1.0,
                             init_bias=INIT_BIAS),
]


def centred_model(make):
    layer = make()
    top = BinaryVectorMaxPool(detector_layer_dim=2, pool_size=1, layer_name="h1", irange=1.0)
    dbm = conv_dbm(layer, top)
    with torch.no_grad():
        top.b.copy_(torch.tensor([0.2, -0.5], dtype=torch.float64))
    return dbm, layer, top


def bias_only_offsets():
    """Pool and detector means of one 2x2 pool per channel with only the biases."""
    b = np.full(2, INIT_BIAS)
    on = np.exp(b) / (1 + 4 * np.exp(b))
    return 4 * on, np.repeat(on, 4)


def hidden_log_weights(dbm, layer, top, v):
    """log p(h0, h1 | v) (unnormalised) for every configuration, from the centred energy
    -b.(h - c_h) - filter(v).(h - c_h) - b1.t - (p - c_p) W1 t."""
    W, b = layer.W.detach().numpy(), layer.b.detach().numpy()
    W1, b1 = top.W.detach().numpy(), top.b.detach().numpy()
    c_p, c_h = layer.p_offset.numpy(), layer.h_offset.numpy()  # checked just below
    f = numpy_filter(v.reshape(1, 3, 3), W, getattr(layer, "pad", 0)).reshape(-1)
    configs = []
    for (h, p), t in itertools.product(pool_configs(), itertools.product([0.0, 1.0], repeat=2)):
        h, t = h.reshape(-1), np.array(t)
        neg_e = (np.repeat(b, 4) + f) @ (h - c_h) + b1 @ t + (p - c_p) @ W1 @ t
        configs.append((h, p, t, neg_e))
    return configs


@pytest.mark.parametrize("make", MAKERS)
def test_offsets_are_the_bias_only_mean_field_maps(make):
    _, layer, _ = centred_model(make)
    c_p, c_h = bias_only_offsets()
    # computed at construction, in float32 like the initial parameters
    np.testing.assert_allclose(layer.p_offset.numpy(), c_p, rtol=1e-6)
    np.testing.assert_allclose(layer.h_offset.numpy(), c_h, rtol=1e-6)


@pytest.mark.parametrize("make", MAKERS)
def test_energy_and_conditionals_follow_the_centred_energy(make):
    dbm, layer, top = centred_model(make)
    v = np.random.default_rng(4).normal(size=9)
    configs = hidden_log_weights(dbm, layer, top, v)
    V = torch.tensor(v)[None]
    # energy differences between configurations match the centred formula
    with torch.no_grad():
        ours = np.array([dbm.energy(V, [(torch.tensor(p)[None], torch.tensor(h)[None]),
                                        (torch.tensor(t)[None],) * 2])[0].item()
                         for h, p, t, _ in configs])
    neg = np.array([c[3] for c in configs])
    np.testing.assert_allclose(ours - ours[0], -(neg - neg[0]), rtol=1e-10, atol=1e-10)
    # p(h0 | v, h1) and p(h1 | h0) from the layers' updates equal the enumerated ones
    prob = np.exp(neg - neg.max())
    for t in ([0.0, 1.0], [1.0, 1.0]):
        rows = [k for k, c in enumerate(configs) if np.array_equal(c[2], t)]
        q = prob[rows] / prob[rows].sum()
        Eh = sum(w * configs[k][0] for w, k in zip(q, rows))
        with torch.no_grad():
            above = torch.tensor([t], dtype=torch.float64)
            _, h_mf = layer.mf_update(V, top.downward_state((above, above)), top)
        np.testing.assert_allclose(h_mf[0].numpy(), Eh, rtol=1e-10)
    h, p = configs[7][0], configs[7][1]
    with torch.no_grad():
        t_mf, _ = top.mf_update(layer.upward_state((torch.tensor(p)[None], torch.tensor(h)[None])))
    W1, b1 = top.W.detach().numpy(), top.b.detach().numpy()
    c_p = layer.p_offset.numpy()
    np.testing.assert_allclose(t_mf[0].numpy(), 1 / (1 + np.exp(-((p - c_p) @ W1 + b1))),
                               rtol=1e-10)


@pytest.mark.parametrize("make", MAKERS)
def test_clamped_gibbs_samples_the_enumerated_posterior(make):
    dbm, layer, top = centred_model(make)
    v = np.random.default_rng(5).normal(size=9)
    configs = hidden_log_weights(dbm, layer, top, v)
    neg = np.array([c[3] for c in configs])
    prob = np.exp(neg - neg.max())
    prob /= prob.sum()
    n = 40000
    gen = torch.Generator().manual_seed(6)
    state = dbm.make_layer_to_state(n, gen)
    state[dbm.visible_layer] = torch.tensor(v).expand(n, 9)
    with torch.no_grad():
        out = dbm.sample(state, gen, layer_to_clamp={dbm.visible_layer: True}, num_steps=25)
    h, t = out[layer][1].numpy(), out[top][1].numpy()
    keys = {tuple(np.concatenate([c[0], c[2]])): k for k, c in enumerate(configs)}
    index = np.array([keys[tuple(row)] for row in np.concatenate([h, t], 1)])
    counts = np.bincount(index, minlength=len(configs)) / n
    assert 0.5 * np.abs(counts - prob).sum() < 1.5 * noise_level(prob, n) + 0.005
