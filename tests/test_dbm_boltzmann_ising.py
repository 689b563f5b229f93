"""BoltzmannIsingVisible/BoltzmannIsingHidden: a binary RBM's parameters run in Ising
form. Checked by enumeration in float64: the distribution over s = 2x - 1 equals the
{0, 1} Boltzmann machine's, the conditionals match, block Gibbs is stationary for it, and
the Ising-parameter clipping and sampling noise do what they say."""

import itertools

import numpy as np
import pytest
import torch
from dbm_blocks import noise_level

from pylearn2.models.dbm import DBM, BinaryVector, BinaryVectorMaxPool
from pylearn2.models.dbm.ising import BoltzmannIsingHidden, BoltzmannIsingVisible
from pylearn2.utils import serial
from pylearn2.utils.exc import ConfigError

NVIS, NHID = 3, 2


def boltzmann_dbm(beta=1.0, **hidden_args):
    vis = BoltzmannIsingVisible(NVIS, beta=beta)
    dbm = DBM(batch_size=4, niter=1, visible_layer=vis, seed=3, hidden_layers=[
        BoltzmannIsingHidden(NHID, "h", vis, beta=beta, irange=1.5, **hidden_args)]).double()
    gen = torch.Generator().manual_seed(2)
    with torch.no_grad():
        vis.boltzmann_bias.copy_(torch.randn(NVIS, generator=gen, dtype=torch.float64))
        dbm.hidden_layers[0].boltzmann_b.copy_(torch.randn(NHID, generator=gen,
                                                           dtype=torch.float64))
    return dbm


def boltzmann_params(dbm):
    h = dbm.hidden_layers[0]
    return (dbm.visible_layer.boltzmann_bias.detach().numpy(), h.boltzmann_b.detach().numpy(),
            h.W.detach().numpy())


def binary_distribution(c, d, W, beta):
    """p(x, y) of the {0, 1} machine exp(beta (c.x + d.y + x W y)), rows in the order of
    itertools.product over x then y."""
    states = list(itertools.product(itertools.product([0.0, 1.0], repeat=NVIS),
                                    itertools.product([0.0, 1.0], repeat=NHID)))
    neg = np.array([beta * (c @ x + d @ y + np.array(x) @ W @ np.array(y)) for x, y in states])
    p = np.exp(neg - neg.max())
    return states, p / p.sum()


def ising_distribution(dbm):
    states = list(itertools.product(itertools.product([-1.0, 1.0], repeat=NVIS),
                                    itertools.product([-1.0, 1.0], repeat=NHID)))
    V = torch.tensor([s[0] for s in states], dtype=torch.float64)
    H = torch.tensor([s[1] for s in states], dtype=torch.float64)
    with torch.no_grad():
        e = dbm.energy(V, [H]).numpy()
    p = np.exp(-(e - e.min()))
    return states, p / p.sum()


@pytest.mark.parametrize("beta", [1.0, 2.5])
def test_distribution_equals_the_binary_boltzmann_machine(beta):
    dbm = boltzmann_dbm(beta)
    c, d, W = boltzmann_params(dbm)
    _, p_binary = binary_distribution(c, d, W, beta)
    _, p_ising = ising_distribution(dbm)  # same order: -1 <-> 0, +1 <-> 1
    np.testing.assert_allclose(p_ising, p_binary, rtol=1e-10, atol=1e-14)
    # the same as an ordinary binary DBM with beta folded into its parameters
    binary = DBM(batch_size=4, niter=1, visible_layer=BinaryVector(NVIS), hidden_layers=[
        BinaryVectorMaxPool(detector_layer_dim=NHID, pool_size=1, layer_name="h",
                            irange=0.1)]).double()
    with torch.no_grad():
        binary.visible_layer.bias.copy_(torch.tensor(beta * c))
        binary.hidden_layers[0].b.copy_(torch.tensor(beta * d))
        binary.hidden_layers[0].W.copy_(torch.tensor(beta * W))
    X = torch.tensor(list(itertools.product([0.0, 1.0], repeat=NVIS)), dtype=torch.float64)
    with torch.no_grad():
        (p, _), = binary.mf(X)
        s_mean = dbm.mf(2 * X - 1)[0]
        v_mean = dbm.visible_layer.mf_update(torch.tensor([[1.0, -1.0]], dtype=torch.float64),
                                             dbm.hidden_layers[0])
        x_prob = binary.visible_layer.mf_update(torch.tensor([[1.0, 0.0]], dtype=torch.float64),
                                                binary.hidden_layers[0])
    np.testing.assert_allclose(s_mean.numpy(), 2 * p.numpy() - 1, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(v_mean.numpy(), 2 * x_prob.numpy() - 1, rtol=1e-12, atol=1e-14)


def test_gibbs_sampling_is_stationary_for_the_binary_machine():
    dbm = boltzmann_dbm(beta=1.5)
    c, d, W = boltzmann_params(dbm)
    _, p = binary_distribution(c, d, W, 1.5)
    n = 40000
    gen = torch.Generator().manual_seed(4)
    with torch.no_grad():
        out = dbm.sample(dbm.make_layer_to_state(n, gen), gen, num_steps=25)
    bits = (np.concatenate([out[dbm.visible_layer].numpy(),
                            out[dbm.hidden_layers[0]].numpy()], 1) + 1) / 2
    codes = (bits @ 2 ** np.arange(NVIS + NHID - 1, -1, -1)).astype(int)
    counts = np.bincount(codes, minlength=len(p)) / n
    assert 0.5 * np.abs(counts - p).sum() < 1.5 * noise_level(p, n) + 0.005


def test_ising_clipping_bounds_the_ising_parameters_and_keeps_the_map():
    dbm = boltzmann_dbm(min_ising_W=-0.2, max_ising_W=0.25, min_ising_b=-0.3, max_ising_b=0.4)
    h, v = dbm.hidden_layers[0], dbm.visible_layer
    with torch.no_grad():
        h.W.mul_(3.0)
        v.boltzmann_bias.add_(2.0)
        h.enforce_constraints()
    W, bh, bv = h.ising_weights().detach(), h.ising_b().detach(), v.ising_bias().detach()
    assert W.min() >= -0.2 - 1e-12 and W.max() <= 0.25 + 1e-12
    for b in (bh, bv):
        assert b.min() >= -0.3 - 1e-12 and b.max() <= 0.4 + 1e-12
    assert (W == 0.25).any() and (bv == 0.4).any()  # the bounds were active
    c, d, Wb = boltzmann_params(dbm)  # and the Boltzmann form still gives those values
    np.testing.assert_allclose(W.numpy(), Wb / 4, rtol=1e-12)
    np.testing.assert_allclose(bv.numpy(), c / 2 + Wb.sum(1) / 4, rtol=1e-12)
    np.testing.assert_allclose(bh.numpy(), d / 2 + Wb.sum(0) / 4, rtol=1e-12)


def test_sampling_noise_has_its_stdev_and_leaves_mean_field_alone():
    vis = BoltzmannIsingVisible(40, beta=1.0)
    hid = BoltzmannIsingHidden(30, "h", vis, irange=0.5, sampling_W_stdev=0.1,
                               sampling_b_stdev=0.05)
    dbm = DBM(batch_size=2, niter=1, visible_layer=vis, hidden_layers=[hid])
    noise_W = (hid.noisy_W - hid.ising_weights()).detach()
    noise_b = torch.cat([hid.noisy_b - hid.ising_b(), hid.noisy_bv - vis.ising_bias()]).detach()
    assert abs(noise_W.std().item() - 0.1) < 0.01 and abs(noise_W.mean().item()) < 0.01
    assert abs(noise_b.std().item() - 0.05) < 0.015
    before = hid.noisy_W.clone()
    hid.enforce_constraints()  # after each update: new noise
    assert not torch.equal(before, hid.noisy_W)
    V = torch.ones(2, 40)
    with torch.no_grad():
        z = V @ hid.ising_weights() + hid.ising_b()
        torch.testing.assert_close(dbm.mf(V)[0], torch.tanh(z))


def test_model_file_relinks_the_layers(tmp_path):
    dbm = boltzmann_dbm(beta=2.0)
    serial.save(str(tmp_path / "m.pkl"), dbm)
    again = serial.load(str(tmp_path / "m.pkl")).double()
    assert again.hidden_layers[0].layer_below is again.visible_layer
    assert again.visible_layer.layer_above is again.hidden_layers[0]
    np.testing.assert_allclose(ising_distribution(again)[1], ising_distribution(dbm)[1],
                               rtol=1e-6)


def test_boltzmann_hidden_needs_the_boltzmann_visible_layer_below():
    with pytest.raises(ConfigError, match="BoltzmannIsingVisible"):
        DBM(batch_size=2, niter=1, visible_layer=BinaryVector(3), hidden_layers=[
            BoltzmannIsingHidden(2, "h", None, irange=0.1)])
    with pytest.raises(ConfigError, match="needs a BoltzmannIsingHidden"):
        BoltzmannIsingVisible(3).ising_bias()
