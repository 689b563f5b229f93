"""Ising DBM layers: mean field reaches the fixed point of a float64 reference and
block Gibbs leaves the exact +-1 Boltzmann distribution invariant."""

import itertools

import numpy as np
import pytest
import torch

from pylearn2.models.dbm import DBM
from pylearn2.models.dbm.ising import IsingHidden, IsingVisible
from pylearn2.utils import sharedX
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.init_args import get_init_args


def pm1(n):
    return np.array(list(itertools.product([-1.0, 1.0], repeat=n)))


def ising_dbm(nvis=3, dims=(2, 2), niter=200, beta=1.0):
    dbm = DBM(batch_size=4, niter=niter, visible_layer=IsingVisible(nvis, beta=beta),
              hidden_layers=[IsingHidden(dim=d, layer_name=f"h{i}", beta=beta, irange=0.5)
                             for i, d in enumerate(dims)]).double()
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        dbm.visible_layer.bias.copy_(torch.randn(nvis, generator=gen, dtype=torch.float64) * .3)
        for layer in dbm.hidden_layers:
            layer.b.copy_(torch.randn(layer.b.shape, generator=gen, dtype=torch.float64) * .3)
    return dbm


@pytest.mark.parametrize("beta", [1.0, 1.7])
def test_mean_field_fixed_point_matches_a_float64_reference(beta):
    dbm = ising_dbm(beta=beta)
    v = pm1(3)
    with torch.no_grad():
        H = dbm.mf(torch.tensor(v))
    W0, W1 = (layer.W.detach().numpy() for layer in dbm.hidden_layers)
    b0, b1 = (layer.b.detach().numpy() for layer in dbm.hidden_layers)
    q0, q1 = np.zeros((8, 2)), np.zeros((8, 2))
    for _ in range(2000):
        q0 = 0.5 * q0 + 0.5 * np.tanh(beta * (v @ W0 + b0 + q1 @ W1.T))
        q1 = 0.5 * q1 + 0.5 * np.tanh(beta * (q0 @ W1 + b1))
    np.testing.assert_allclose(H[0].numpy(), q0, atol=1e-8)
    np.testing.assert_allclose(H[1].numpy(), q1, atol=1e-8)


@pytest.mark.parametrize("beta", [1.0, 1.7])
def test_gibbs_sampling_is_stationary_for_the_exact_distribution(beta):
    dbm = ising_dbm(beta=beta)
    W0, W1 = (layer.W.detach().numpy() for layer in dbm.hidden_layers)
    bv = dbm.visible_layer.bias.detach().numpy()
    b0, b1 = (layer.b.detach().numpy() for layer in dbm.hidden_layers)
    states = list(itertools.product(pm1(3), pm1(2), pm1(2)))
    neg = beta * np.array([v @ bv + a @ b0 + c @ b1 + v @ W0 @ a + a @ W1 @ c
                           for v, a, c in states])
    p = np.exp(neg - neg.max())
    p /= p.sum()
    gen = torch.Generator().manual_seed(3)
    with torch.no_grad():
        out = dbm.sample(dbm.make_layer_to_state(50000, gen), gen, num_steps=30)
    flat = np.concatenate([out[layer].numpy() for layer in dbm.get_all_layers()], 1)
    codes = ((flat + 1) / 2) @ (2 ** np.arange(6, -1, -1))
    counts = np.bincount(codes.astype(int), minlength=128) / len(codes)
    assert 0.5 * np.abs(counts - p).sum() < 0.02


def test_a_shared_learned_beta_is_one_parameter_across_layers():
    beta = sharedX(1.3)
    dbm = DBM(batch_size=2, niter=3, visible_layer=IsingVisible(3, beta=beta, learn_beta=True),
              hidden_layers=[IsingHidden(dim=2, layer_name="h", beta=beta, learn_beta=True,
                                         irange=0.5)])
    assert dbm.visible_layer.beta is dbm.hidden_layers[0].beta is beta
    assert sum(p is beta for p in dbm.get_params()) == 1
    energy = dbm.energy(torch.ones(2, 3), [torch.ones(2, 2)]).sum()
    (grad,) = torch.autograd.grad(energy, [beta])
    assert torch.isfinite(grad) and grad != 0
    assert get_init_args(dbm.visible_layer)["beta"] == pytest.approx(1.3)


def test_beta_must_be_positive():
    with pytest.raises(ConfigError, match="positive"):
        IsingVisible(3, beta=0.0)
