"""DBM inference and sampling on tiny models, checked by enumeration in float64."""

import itertools

import numpy as np
import pytest
import torch

from pylearn2.models.dbm import (
    DBM,
    BiasInit,
    BinaryVector,
    BinaryVectorMaxPool,
    GibbsEvenOdd,
    MoreConsistent,
    MoreConsistent2,
    Softmax,
    SuperWeightDoubling,
    UpDown,
    WeightDoubling,
)

PROCEDURES = [WeightDoubling, SuperWeightDoubling, MoreConsistent, MoreConsistent2, BiasInit,
              UpDown]


def bits(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def tiny(procedure=None, nvis=5, dims=(4, 4), pool=1, irange=0.6, niter=200, top_softmax=False,
         seed=0):
    hidden = [BinaryVectorMaxPool(detector_layer_dim=d, pool_size=pool if i == 0 else 1,
                                  layer_name=f"h{i}", irange=irange) for i, d in enumerate(dims)]
    if top_softmax:
        hidden.append(Softmax(n_classes=3, layer_name="y", irange=irange))
    dbm = DBM(batch_size=4, niter=niter, visible_layer=BinaryVector(nvis), hidden_layers=hidden,
              inference_procedure=procedure() if procedure else None, seed=seed).double()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        dbm.visible_layer.bias.copy_(torch.randn(nvis, generator=gen, dtype=torch.float64) * .5)
        for layer in dbm.hidden_layers:
            layer.b.copy_(torch.randn(layer.b.shape, generator=gen, dtype=torch.float64) * .5)
    return dbm


def params(dbm):
    return ([layer.W.detach().numpy() for layer in dbm.hidden_layers],
            [dbm.visible_layer.bias.detach().numpy()] + [layer.b.detach().numpy()
                                                        for layer in dbm.hidden_layers])


def np_energy(dbm, v, hs):
    """Energy of pool-size-1 binary layers: -sum b.x - sum x_{l-1} W_l x_l."""
    Ws, bs = params(dbm)
    xs = [v, *hs]
    e = -sum(x @ b for x, b in zip(xs, bs))
    return e - sum(((xs[i] @ W) * xs[i + 1]).sum(-1) for i, W in enumerate(Ws))


def np_mean_field(dbm, v, sweeps=2000):
    """Plain damped mean field from a uniform start, written from the energy alone."""
    Ws, bs = params(dbm)
    q = [np.full((len(v), len(b)), 0.5) for b in bs[1:]]
    for _ in range(sweeps):
        for j in range(len(q)):
            below = v if j == 0 else q[j - 1]
            z = below @ Ws[j] + bs[j + 1]
            if j + 1 < len(q):
                z = z + q[j + 1] @ Ws[j + 1].T
            q[j] = 0.5 * q[j] + 0.5 / (1 + np.exp(-z))
    return q


@pytest.mark.parametrize("procedure", PROCEDURES)
def test_every_procedure_reaches_the_mean_field_fixed_point(procedure):
    dbm = tiny(procedure)
    v = bits(5)[::5]
    with torch.no_grad():
        H = dbm.mf(torch.tensor(v))
    reference = np_mean_field(dbm, v)
    for (p, h), q in zip(H, reference):
        np.testing.assert_allclose(h.numpy(), q, atol=1e-8)
        np.testing.assert_allclose(p.numpy(), q, atol=1e-8)


@pytest.mark.parametrize("procedure", PROCEDURES)
def test_fixed_point_with_pools_and_labels_is_self_consistent(procedure):
    dbm = tiny(procedure, dims=(4, 4), pool=2, top_softmax=True, irange=1.0)
    V = torch.tensor(bits(5)[1::4])
    with torch.no_grad():
        H = dbm.mf(V)
        layers = dbm.hidden_layers
        for j, layer in enumerate(layers):
            below = dbm.visible_layer.upward_state(V) if j == 0 else layers[j - 1].upward_state(H[j - 1])
            above = layers[j + 1] if j + 1 < len(layers) else None
            again = layer.mf_update(below, above.downward_state(H[j + 1]) if above else None, above)
            for a, b in zip(again if isinstance(again, tuple) else [again],
                            H[j] if isinstance(H[j], tuple) else [H[j]]):
                torch.testing.assert_close(a, b, atol=1e-9, rtol=0)


def test_one_hidden_layer_mean_field_is_the_exact_posterior_with_pools():
    dbm = tiny(dims=(6,), pool=3, irange=1.5, niter=1)
    v = torch.tensor(bits(5))
    W, b = dbm.hidden_layers[0].W.detach().numpy(), dbm.hidden_layers[0].b.detach().numpy()
    configs = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=float)
    with torch.no_grad():
        (p, h), = dbm.mf(v)
    for n, row in enumerate(v.numpy()):
        z = row @ W + b
        for pool in range(2):
            logits = configs @ z[pool * 3:(pool + 1) * 3]
            prob = np.exp(logits) / np.exp(logits).sum()
            np.testing.assert_allclose(h[n, pool * 3:(pool + 1) * 3].numpy(),
                                       prob @ configs, atol=1e-12)
            np.testing.assert_allclose(p[n, pool].numpy(), 1 - prob[0], atol=1e-12)


def test_mean_field_bound_is_below_the_exact_log_marginal():
    dbm = tiny(irange=1.0)
    v = bits(5)
    with torch.no_grad():
        H = dbm.mf(torch.tensor(v))
    q = [h.numpy() for _, h in H]
    h0s, h1s = bits(4), bits(4)
    joint = np.stack([-np_energy(dbm, v, [np.tile(a, (len(v), 1)), np.tile(c, (len(v), 1))])
                      for a in h0s for c in h1s], 1)
    log_marginal = np.log(np.exp(joint).sum(1))  # unnormalised log p(v)
    entropy = -sum((x * np.log(x) + (1 - x) * np.log(1 - x)).sum(1) for x in q)
    bound = -np_energy(dbm, v, q) + entropy  # energy is multilinear: E_q[E] = E(q)
    assert (bound <= log_marginal + 1e-10).all()
    assert (log_marginal - bound).max() < 0.5  # and a reasonable approximation


def exact_joint(dbm):
    """Exact Boltzmann distribution over (v, h0, h1) of a pool-size-1 DBM."""
    n = [dbm.visible_layer.nvis] + [layer.detector_layer_dim for layer in dbm.hidden_layers]
    states = list(itertools.product(*[bits(k) for k in n]))
    e = np.array([np_energy(dbm, s[0][None], [x[None] for x in s[1:]])[0] for s in states])
    p = np.exp(-(e - e.min()))
    return states, p / p.sum()


def code(arrays):
    flat = np.concatenate(arrays, axis=1)
    return flat @ (2 ** np.arange(flat.shape[1] - 1, -1, -1))


def test_gibbs_even_odd_leaves_the_boltzmann_distribution_invariant():
    dbm = tiny(nvis=3, dims=(2, 2), irange=1.0)
    states, p = exact_joint(dbm)
    n = 60000
    gen = torch.Generator().manual_seed(1)
    index = torch.multinomial(torch.tensor(p), n, replacement=True, generator=gen).numpy()
    start = [np.stack([states[i][k] for i in index]) for k in range(3)]
    layers = dbm.get_all_layers()
    layer_to_state = {layers[0]: torch.tensor(start[0])}
    for layer, x in zip(layers[1:], start[1:]):
        t = torch.tensor(x)
        layer_to_state[layer] = (t, t)
    assert isinstance(dbm.sampling_procedure, GibbsEvenOdd)
    with torch.no_grad():
        out = dbm.sample(layer_to_state, gen, num_steps=3)
    after = [out[layers[0]].numpy()] + [out[layer][1].numpy() for layer in layers[1:]]
    counts = np.bincount(code(after).astype(int), minlength=len(p)) / n
    assert 0.5 * np.abs(counts - p).sum() < 0.02
    # chains started anywhere converge to it too
    with torch.no_grad():
        out = dbm.sample(dbm.make_layer_to_state(n, gen), gen, num_steps=30)
    after = [out[layers[0]].numpy()] + [out[layer][1].numpy() for layer in layers[1:]]
    counts = np.bincount(code(after).astype(int), minlength=len(p)) / n
    assert 0.5 * np.abs(counts - p).sum() < 0.02


def test_clamped_gibbs_samples_the_exact_posterior():
    dbm = tiny(nvis=3, dims=(2, 2), irange=1.0)
    states, p = exact_joint(dbm)
    v = np.array([1.0, 0.0, 1.0])
    mask = np.array([np.array_equal(s[0], v) for s in states])
    posterior = p * mask / (p * mask).sum()
    n = 40000
    gen = torch.Generator().manual_seed(2)
    state = dbm.make_layer_to_state(n, gen)
    state[dbm.visible_layer] = torch.tensor(v).expand(n, 3)
    with torch.no_grad():
        out = dbm.sample(state, gen, layer_to_clamp={dbm.visible_layer: True}, num_steps=30)
    after = [out[dbm.visible_layer].numpy()] + [out[layer][1].numpy()
                                               for layer in dbm.hidden_layers]
    counts = np.bincount(code(after).astype(int), minlength=len(p)) / n
    assert 0.5 * np.abs(counts - posterior).sum() < 0.02


@pytest.mark.parametrize("procedure", PROCEDURES)
def test_inpainting_fixed_point_keeps_observed_units(procedure):
    dbm = tiny(procedure, top_softmax=True, irange=0.5)
    V = torch.tensor(bits(5)[3::6])
    Y = torch.eye(3, dtype=torch.float64)[[0, 1, 2, 1, 0, 2][:len(V)]]
    drop = torch.tensor(np.random.default_rng(0).integers(0, 2, V.shape), dtype=torch.float64)
    drop_y = torch.tensor([1.0, 0.0, 1.0, 0.0, 1.0, 0.0][:len(V)], dtype=torch.float64)
    with torch.no_grad():
        history = dbm.do_inpainting(V, Y=Y, drop_mask=drop, drop_mask_Y=drop_y,
                                    return_history=True)
    final = history[-1]
    torch.testing.assert_close(final["V_hat"] * (1 - drop), V * (1 - drop))
    first = dbm.hidden_layers[0]
    recon = dbm.visible_layer.mf_update(first.downward_state(final["H_hat"][0]), first)
    torch.testing.assert_close(final["V_hat"] * drop, recon * drop, atol=1e-8, rtol=0)
    torch.testing.assert_close(torch.sigmoid(final["V_z"]), final["V_hat_unmasked"])
    observed = drop_y == 0
    torch.testing.assert_close(final["Y_hat"][observed], Y[observed])
    torch.testing.assert_close(torch.softmax(final["Y_z"], -1), final["Y_hat_unmasked"])


def test_centered_and_copied_layers_energy_matches_the_formula():
    vis = BinaryVector(4, center=True)
    hidden = [BinaryVectorMaxPool(detector_layer_dim=3, pool_size=1, layer_name="h0",
                                  irange=1.0, center=True, init_bias=-0.5),
              BinaryVectorMaxPool(detector_layer_dim=2, pool_size=1, layer_name="h1",
                                  irange=1.0, copies=2)]
    dbm = DBM(batch_size=2, niter=3, visible_layer=vis, hidden_layers=hidden).double()
    rng = np.random.default_rng(0)
    v, h0, h1 = (rng.integers(0, 2, (5, k)).astype(float) for k in (4, 3, 2))
    W0, W1 = (layer.W.detach().numpy() for layer in hidden)
    ov, o0 = 0.5 * np.ones(4), 1 / (1 + np.exp(0.5)) * np.ones(3)
    bv, b0, b1 = (x.detach().numpy() for x in (vis.bias, hidden[0].b, hidden[1].b))
    cv, c0 = v - ov, h0 - o0
    expected = -(cv @ bv) - (c0 @ b0) - ((cv @ W0) * c0).sum(1) \
        - 2 * ((h1 * 2) @ b1 + ((c0 @ W1) * (2 * h1)).sum(1))
    t = [torch.tensor(x) for x in (v, h0, h1)]
    got = dbm.energy(t[0], [(t[1], t[1]), (t[2], t[2])])
    np.testing.assert_allclose(got.detach().numpy(), expected, atol=1e-6)  # offsets made in float32


def test_mask_weights_keep_masked_weights_zero():
    mask = np.ones((4, 3))
    mask[0, :] = 0
    mask[2, 1] = 0
    layer = BinaryVectorMaxPool(detector_layer_dim=3, pool_size=1, layer_name="h",
                                irange=1.0, mask_weights=mask)
    DBM(batch_size=2, niter=1, visible_layer=BinaryVector(4), hidden_layers=[layer])
    assert (layer.W.detach().numpy()[mask == 0] == 0).all()
    with torch.no_grad():
        layer.W.add_(1.0)
    layer.enforce_constraints()
    assert (layer.W.detach().numpy()[mask == 0] == 0).all()
    assert (layer.W.detach().numpy()[mask == 1] != 0).all()
    sparse = BinaryVectorMaxPool(detector_layer_dim=3, pool_size=1, layer_name="s",
                                 sparse_init=2, mask_weights=mask)
    DBM(batch_size=2, niter=1, visible_layer=BinaryVector(4), hidden_layers=[sparse])
    W = sparse.W.detach().numpy()
    assert (W[mask == 0] == 0).all() and ((W != 0).sum(0) == 2).all()


def test_original_module_paths_import():
    from pylearn2.models.dbm import layer as original_layer
    from pylearn2.models.dbm.layers import BinaryVectorMaxPool as old_path

    assert original_layer.BinaryVectorMaxPool is old_path
    assert original_layer.Softmax(n_classes=3, layer_name="c", center=True).center
    from pylearn2.models.dbm.inference_procedure import SuperWeightDoubling as swd
    assert swd is WeightDoubling


def test_dbm_model_file_round_trip(tmp_path):
    from pylearn2.utils import serial

    mask = np.ones((5, 4))
    mask[1] = 0
    hidden = [BinaryVectorMaxPool(detector_layer_dim=4, pool_size=2, layer_name="h0",
                                  irange=1.0, mask_weights=mask),
              BinaryVectorMaxPool(detector_layer_dim=3, pool_size=1, layer_name="h1",
                                  irange=1.0, center=True, init_bias=-1.0),
              Softmax(n_classes=3, layer_name="y", irange=1.0, copies=2)]
    dbm = DBM(batch_size=4, niter=6, visible_layer=BinaryVector(5, center=True),
              hidden_layers=hidden, inference_procedure=MoreConsistent())
    serial.save(str(tmp_path / "dbm.pkl"), dbm)
    again = serial.load(str(tmp_path / "dbm.pkl"))
    assert isinstance(again.inference_procedure, MoreConsistent)
    assert again.inference_procedure.dbm is again
    V = torch.tensor(bits(5)[::4], dtype=torch.float32)
    with torch.no_grad():
        torch.testing.assert_close(again.mf(V)[-1], dbm.mf(V)[-1])
