"""Partition functions: exact enumeration against brute force, AIS against the exact
value on tiny RBMs and DBMs (within 0.05 nats, error shrinking with more chains)."""

import itertools

import numpy as np
import pytest
import torch

from pylearn2 import rbm_tools
from pylearn2.models.dbm import DBM, BinaryVector, BinaryVectorMaxPool, Softmax
from pylearn2.models.dbm.ais import (
    dbm_ais,
    exact_log_likelihood,
    exact_log_z,
    variational_lower_bound,
)
from pylearn2.models.rbm import RBM


def bits(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def tiny_rbm(nvis=8, nhid=5, seed=0):
    torch.manual_seed(seed)
    rbm = RBM(nvis=nvis, nhid=nhid, irange=1.0).double()
    with torch.no_grad():
        rbm.bias_vis.normal_()
        rbm.bias_hid.normal_()
    return rbm


def brute_force_rbm_log_z(rbm):
    W, b, c = rbm_tools.rbm_params(rbm)
    v, h = bits(len(b)), bits(len(c))
    neg = v @ b[:, None] + (h @ c)[None, :] + v @ W @ h.T
    return float(np.log(np.exp(neg - neg.max()).sum()) + neg.max())


def test_compute_log_z_and_nll_match_brute_force():
    rbm = tiny_rbm()
    exact = brute_force_rbm_log_z(rbm)
    assert abs(rbm_tools.compute_log_z(rbm, max_bits=3) - exact) < 1e-10
    assert abs(rbm_tools.compute_log_z(rbm) - exact) < 1e-10
    data = bits(8)[::17]
    with torch.no_grad():
        model_fe = rbm.free_energy(torch.tensor(data)).numpy()
    np.testing.assert_allclose(rbm_tools.free_energy_of(rbm_tools.rbm_params(rbm))(data),
                               model_fe, atol=1e-10)
    nll = rbm_tools.compute_nll(rbm, data, exact, bufsize=3)
    assert abs(nll - (model_fe.mean() + exact)) < 1e-10


def test_rbm_ais_is_within_0_05_nats_and_improves_with_chains():
    rbm = tiny_rbm(nvis=10, nhid=6)
    exact = rbm_tools.compute_log_z(rbm)
    data = np.random.default_rng(0).integers(0, 2, (60, 10))
    (log_z, var), ais = rbm_tools.rbm_ais(rbm_tools.rbm_params(rbm), 200, data=data,
                                         betas=np.linspace(0, 1, 1000), seed=1)
    assert abs(log_z - exact) < 0.05
    assert abs(log_z - exact) < 5 * np.sqrt(var) + 1e-3
    errors = {}
    for n in (5, 200):
        errors[n] = np.sqrt(np.mean([
            (rbm_tools.rbm_ais(rbm_tools.rbm_params(rbm), n, data=data,
                               betas=np.linspace(0, 1, 60), seed=s)[0][0] - exact) ** 2
            for s in range(6)]))
    assert errors[200] < 0.5 * errors[5]


def test_ais_betas_and_key_betas():
    rbm = tiny_rbm(nvis=6, nhid=3)
    params = rbm_tools.rbm_params(rbm)
    _, ais = rbm_tools.rbm_ais(params, 50, betas=np.linspace(0, 1, 200), key_betas=[0.5])
    assert len(ais.key_log_ais_w) == 1
    with pytest.raises(Exception, match="betas"):
        rbm_tools.rbm_ais(params, 5, betas=np.array([0.2, 1.0]))
    with pytest.raises(Exception, match="betas"):
        rbm_tools.rbm_ais(params, 5, betas=np.array([0.0, 0.6, 0.4, 1.0]))


def test_the_default_schedule_is_the_originals_and_runs():
    """21,000 temperatures with 0.5 and 0.9 repeated, as the original's default; it is
    accepted (a repeat adds nothing to the weights) and lands on the exact log Z."""
    betas = rbm_tools.AIS.dflt_beta
    assert len(betas) == 21000 and betas[0] == 0 and betas[-1] == 1
    assert int((np.diff(betas) == 0).sum()) == 2
    rbm = tiny_rbm(nvis=6, nhid=3)
    (log_z, _), ais = rbm_tools.rbm_ais(rbm_tools.rbm_params(rbm), 20, seed=3)
    assert len(ais.betas) == 21000
    assert abs(log_z - rbm_tools.compute_log_z(rbm)) < 0.05


def dbm(nvis=6, dims=(4, 4), pool=1, softmax=False, seed=0, irange=1.0):
    hidden = [BinaryVectorMaxPool(detector_layer_dim=d, pool_size=pool if i == 0 else 1,
                                  layer_name=f"h{i}", irange=irange) for i, d in enumerate(dims)]
    if softmax:
        hidden.append(Softmax(n_classes=3, layer_name="y", irange=irange))
    model = DBM(batch_size=5, niter=30, visible_layer=BinaryVector(nvis), hidden_layers=hidden,
                seed=seed).double()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        model.visible_layer.bias.copy_(torch.randn(nvis, generator=gen, dtype=torch.float64))
        for layer in model.hidden_layers:
            layer.b.copy_(torch.randn(layer.b.shape, generator=gen, dtype=torch.float64) * .5)
    return model


def brute_force_dbm_log_z(model):
    """Sum of exp(-E) over every joint state, pool configurations included."""
    options = [bits(model.visible_layer.nvis)]
    for layer in model.hidden_layers:
        if isinstance(layer, Softmax):
            options.append(np.eye(layer.n_classes))
        else:
            pool = np.vstack([np.zeros(layer.pool_size), np.eye(layer.pool_size)])
            options.append(np.array([np.concatenate(c)
                                     for c in itertools.product(pool, repeat=layer.output_dim())]))
    Ws = [layer.W.detach().numpy() for layer in model.hidden_layers]
    bs = [model.visible_layer.bias.detach().numpy()] + [l.b.detach().numpy()
                                                       for l in model.hidden_layers]
    sizes = [layer.pool_size if isinstance(layer, BinaryVectorMaxPool) else 1
             for layer in model.hidden_layers]
    total = []
    for combo in itertools.product(*options):
        e = -sum(x @ b for x, b in zip(combo, bs))
        for j, W in enumerate(Ws):
            below = combo[j]
            if j > 0 and sizes[j - 1] > 1:
                below = below.reshape(-1, sizes[j - 1]).sum(1)
            e -= below @ W @ combo[j + 1]
        total.append(-e)
    total = np.array(total)
    return float(np.log(np.exp(total - total.max()).sum()) + total.max())


@pytest.mark.parametrize("kind", [dict(), dict(pool=2), dict(dims=(4, 2), softmax=True)])
def test_exact_dbm_log_z_matches_brute_force(kind):
    nvis = 4 if kind.get("softmax") else 5
    model = dbm(nvis=nvis, **kind)
    assert abs(exact_log_z(model) - brute_force_dbm_log_z(model)) < 1e-9


def test_exact_dbm_likelihood_normalises_and_bounds_hold():
    model = dbm(nvis=5, dims=(4, 3))
    log_z = exact_log_z(model)
    ll = exact_log_likelihood(model, bits(5), log_z)
    assert abs(np.exp(ll).sum() - 1) < 1e-9
    bound = variational_lower_bound(model, bits(5), log_z)
    assert (bound <= ll + 1e-9).all() and (ll - bound).mean() < 0.5
    rbm_like = dbm(nvis=5, dims=(4,))
    log_z1 = exact_log_z(rbm_like)
    np.testing.assert_allclose(variational_lower_bound(rbm_like, bits(5), log_z1),
                               exact_log_likelihood(rbm_like, bits(5), log_z1), atol=1e-9)


@pytest.mark.parametrize("kind", [dict(), dict(pool=2, dims=(6, 4))])
def test_dbm_ais_is_within_0_05_nats_and_improves_with_chains(kind):
    model = dbm(**kind)
    exact = exact_log_z(model)
    data = np.random.default_rng(1).integers(0, 2, (50, 6))
    (log_z, var), _ = dbm_ais(model, 200, betas=np.linspace(0, 1, 500), data=data, seed=3)
    assert abs(log_z - exact) < 0.05
    errors = {}
    for n in (4, 160):
        errors[n] = np.sqrt(np.mean([
            (dbm_ais(model, n, betas=np.linspace(0, 1, 30), seed=s)[0][0] - exact) ** 2
            for s in range(5)]))
    assert errors[160] < 0.5 * errors[4]


def test_pylearn2_ais_command(tmp_path, capsys):
    from pylearn2.scripts import cli
    from pylearn2.utils import serial

    rbm = tiny_rbm(nvis=8, nhid=4)
    serial.save(str(tmp_path / "rbm.pkl"), rbm)
    data = bits(8)[::5]
    np.save(tmp_path / "test.npy", data)
    dataset = f"!obj:pylearn2.datasets.npy_npz.NpyDataset {{file: '{tmp_path / 'test.npy'}'}}"
    assert cli.main(["ais", str(tmp_path / "rbm.pkl"), "--chains", "100", "--betas", "400",
                     "--data", dataset]) == 0
    out = capsys.readouterr().out
    exact = rbm_tools.compute_log_z(rbm)
    ais_line = next(line for line in out.splitlines() if line.startswith("log Z (AIS"))
    estimate = float(ais_line.split(":")[1].split("+/-")[0])
    assert abs(estimate - exact) < 0.05
    assert f"log Z (exact enumeration): {exact:.4f}" in out
    nll = rbm_tools.compute_nll(rbm, data, estimate)
    assert f"log-likelihood ({len(data)} examples, exact given log Z): {-nll:.4f}" in out

    model = dbm(nvis=6)
    serial.save(str(tmp_path / "dbm.pkl"), model)
    assert cli.main(["ais", str(tmp_path / "dbm.pkl"), "--betas", "200"]) == 0
    assert "pass --data" in capsys.readouterr().out
    assert cli.main(["ais", str(tmp_path / "nope.pkl")]) == 2
