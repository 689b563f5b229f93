"""Ising DBM layers: mean field reaches the fixed point of a float64 reference and
block Gibbs leaves the exact +-1 Boltzmann distribution invariant."""

import itertools

import numpy as np
import pytest
import torch

from pylearn2.models.dbm import DBM
from pylearn2.models.dbm.ising import BoltzmannIsingHidden, IsingHidden, IsingVisible
from pylearn2.utils.exc import ConfigError


def pm1(n):
    return np.array(list(itertools.product([-1.0, 1.0], repeat=n)))


def ising_dbm(nvis=3, dims=(2, 2), niter=200):
    dbm = DBM(batch_size=4, niter=niter, visible_layer=IsingVisible(nvis), hidden_layers=[
        IsingHidden(dim=d, layer_name=f"h{i}", irange=0.5) for i, d in enumerate(dims)]).double()
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        dbm.visible_layer.bias.copy_(torch.randn(nvis, generator=gen, dtype=torch.float64) * .3)
        for layer in dbm.hidden_layers:
            layer.b.copy_(torch.randn(layer.b.shape, generator=gen, dtype=torch.float64) * .3)
    return dbm


def test_mean_field_fixed_point_matches_a_float64_reference():
    dbm = ising_dbm()
    v = pm1(3)
    with torch.no_grad():
        H = dbm.mf(torch.tensor(v))
    W0, W1 = (layer.W.detach().numpy() for layer in dbm.hidden_layers)
    b0, b1 = (layer.b.detach().numpy() for layer in dbm.hidden_layers)
    q0, q1 = np.zeros((8, 2)), np.zeros((8, 2))
    for _ in range(2000):
        q0 = 0.5 * q0 + 0.5 * np.tanh(v @ W0 + b0 + q1 @ W1.T)
        q1 = 0.5 * q1 + 0.5 * np.tanh(q0 @ W1 + b1)
    np.testing.assert_allclose(H[0].numpy(), q0, atol=1e-8)
    np.testing.assert_allclose(H[1].numpy(), q1, atol=1e-8)


def test_gibbs_sampling_is_stationary_for_the_exact_distribution():
    dbm = ising_dbm()
    W0, W1 = (layer.W.detach().numpy() for layer in dbm.hidden_layers)
    bv = dbm.visible_layer.bias.detach().numpy()
    b0, b1 = (layer.b.detach().numpy() for layer in dbm.hidden_layers)
    states = list(itertools.product(pm1(3), pm1(2), pm1(2)))
    neg = np.array([v @ bv + a @ b0 + c @ b1 + v @ W0 @ a + a @ W1 @ c for v, a, c in states])
    p = np.exp(neg - neg.max())
    p /= p.sum()
    gen = torch.Generator().manual_seed(3)
    with torch.no_grad():
        out = dbm.sample(dbm.make_layer_to_state(50000, gen), gen, num_steps=30)
    flat = np.concatenate([out[layer].numpy() for layer in dbm.get_all_layers()], 1)
    codes = ((flat + 1) / 2) @ (2 ** np.arange(6, -1, -1))
    counts = np.bincount(codes.astype(int), minlength=128) / len(codes)
    assert 0.5 * np.abs(counts - p).sum() < 0.02


def test_unavailable_variants_say_so():
    with pytest.raises(ConfigError, match="temperature"):
        IsingVisible(3, beta=2.0)
    with pytest.raises(ConfigError, match="not available"):
        BoltzmannIsingHidden(dim=2, layer_name="h")
