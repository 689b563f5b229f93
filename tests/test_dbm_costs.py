"""DBM costs: multi-prediction against a float64 formula, CD estimators on tiny models
by exact likelihood."""

import itertools

import numpy as np
import pytest
import torch

from pylearn2.costs.cost import SumOfCosts
from pylearn2.costs.dbm import (
    PCD,
    MaskGen,
    MultiPrediction,
    VariationalCD,
    VariationalPCD,
    WeightDecay,
)
from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.dbm import DBM, BinaryVector, BinaryVectorMaxPool, Softmax
from pylearn2.termination_criteria import EpochCounter
from pylearn2.train import Train
from pylearn2.training_algorithms.sgd import SGD
from pylearn2.utils.exc import ConfigError


def softplus(x):
    return np.logaddexp(0, x)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def log_softmax(z):
    z = z - z.max(1, keepdims=True)
    return z - np.log(np.exp(z).sum(1, keepdims=True))


def labelled_dbm(batch_size=6, niter=2):
    dbm = DBM(batch_size=batch_size, niter=niter, visible_layer=BinaryVector(5), hidden_layers=[
        BinaryVectorMaxPool(detector_layer_dim=4, pool_size=1, layer_name="h0", irange=1.0),
        Softmax(n_classes=3, layer_name="y", irange=1.0)]).double()
    with torch.no_grad():
        dbm.visible_layer.bias.copy_(torch.linspace(-1, 1, 5))
        dbm.hidden_layers[1].b.copy_(torch.tensor([0.3, -0.2, 0.1]))
    return dbm


def test_multiprediction_matches_the_inpainting_formula():
    dbm = labelled_dbm()
    rng = np.random.default_rng(0)
    V = rng.integers(0, 2, (6, 5)).astype(float)
    Y = np.eye(3)[rng.integers(0, 3, 6)]
    mask = rng.integers(0, 2, (6, 5)).astype(float)
    mask_y = np.array([1, 0, 1, 1, 0, 1.0])
    W0, W1 = (layer.W.detach().numpy() for layer in dbm.hidden_layers)
    bv, b0, b1 = (x.detach().numpy() for x in (dbm.visible_layer.bias, dbm.hidden_layers[0].b,
                                               dbm.hidden_layers[1].b))
    # the original's weight-doubling inpainting, niter = 2
    V_hat = mask * sigmoid(bv) + (1 - mask) * V
    Y_hat = mask_y[:, None] * np.exp(log_softmax(b1[None])) + (1 - mask_y[:, None]) * Y
    H0 = sigmoid(V_hat @ W0 + b0 + Y_hat @ W1.T)
    H0 = sigmoid(V_hat @ W0 + b0 + Y_hat @ W1.T)
    Vz = H0 @ W0.T + bv
    Yz = H0 @ W1 + b1
    expected = (mask * (V * softplus(-Vz) + (1 - V) * softplus(Vz))).mean() \
        - (mask_y * (Y * log_softmax(Yz)).sum(1)).mean() / 5
    cost = MultiPrediction(mask_gen=MaskGen(drop_prob=0.5, sync_channels=False), supervised=True)
    t = [torch.tensor(x) for x in (V, Y, mask, mask_y)]
    got = cost.expr(dbm, (t[0], t[1]), drop_mask=t[2], drop_mask_Y=t[3])
    np.testing.assert_allclose(got.item(), expected, rtol=1e-12)
    both = MultiPrediction(mask_gen=MaskGen(drop_prob=0.5, sync_channels=False),
                           both_directions=True)
    one = MultiPrediction(mask_gen=MaskGen(drop_prob=0.5, sync_channels=False))
    flipped = 0.5 * one.expr(dbm, t[0], drop_mask=t[2]) + 0.5 * one.expr(dbm, t[0], drop_mask=1 - t[2])
    torch.testing.assert_close(both.expr(dbm, t[0], drop_mask=t[2]), flipped)


def test_mask_gen_rates_balance_and_resume():
    X = torch.zeros(4000, 10, dtype=torch.float64)
    Y = torch.zeros(4000, 3, dtype=torch.float64)
    gen = MaskGen(drop_prob=0.2, sync_channels=False, drop_prob_y=0.7, seed=3)
    mask, mask_y = gen(X, Y)
    assert abs(float(mask.mean()) - 0.2) < 0.01 and abs(float(mask_y.mean()) - 0.7) < 0.02
    balanced = MaskGen(drop_prob=0.1, balance=True, sync_channels=False)(X)
    rates = balanced.mean(1)
    assert abs(float(balanced.mean()) - 0.5) < 0.01 and float(rates.std()) > 0.3
    state = gen.state_dict()
    first = gen(X)
    gen.load_state_dict(state)
    torch.testing.assert_close(gen(X), first)
    with pytest.raises(ConfigError, match="sync_channels"):
        MaskGen(drop_prob=0.5)(X)
    images = torch.zeros(50, 4, 4, 3)
    synced = MaskGen(drop_prob=0.5)(images)
    assert (synced == synced[..., :1]).all()


def test_multiprediction_training_lowers_the_inpainting_cost():
    rng = np.random.default_rng(1)
    protos = np.array([[1, 1, 1, 0, 0], [0, 0, 1, 1, 1], [1, 0, 0, 0, 1]], float)
    labels = rng.integers(0, 3, 120)
    X = protos[labels]
    dbm = labelled_dbm(batch_size=20, niter=4)
    cost = MultiPrediction(mask_gen=MaskGen(drop_prob=0.5, sync_channels=False, seed=5),
                           supervised=True)
    data = (torch.tensor(X), torch.tensor(np.eye(3)[labels]))
    fixed = MaskGen(drop_prob=0.5, sync_channels=False, seed=9)(data[0], data[1])
    with torch.no_grad():
        before = float(cost.expr(dbm, data, drop_mask=fixed[0], drop_mask_Y=fixed[1]))
    Train(dataset=DenseDesignMatrix(X=X, y=np.eye(3)[labels]), model=dbm, algorithm=SGD(
        learning_rate=0.5, cost=cost, termination_criterion=EpochCounter(30),
        device="cpu")).main_loop()
    with torch.no_grad():
        after = float(cost.expr(dbm, data, drop_mask=fixed[0], drop_mask_Y=fixed[1]))
        channels = cost.get_monitoring_channels(dbm, data)
    assert after < 0.6 * before
    assert float(channels["err"]) < 0.1
    assert "total_inpaint_cost_term_0_inpaint_cost" in channels
    assert "final_inpaint_y_mean_max_class" in channels


def bits(n):
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n)), dtype=torch.float64)


def exact_ll(dbm, X):
    """Exact mean log-likelihood of a 2-hidden-layer pool-size-1 DBM by enumeration."""
    v, h0, h1 = bits(dbm.visible_layer.nvis), bits(4), bits(3)
    with torch.no_grad():
        neg = torch.stack([torch.stack([-dbm.energy(v, [(a.expand(len(v), -1),) * 2,
                                                        (c.expand(len(v), -1),) * 2])
                                        for c in h1], 1) for a in h0], 1).reshape(len(v), -1)
    log_pv = torch.logsumexp(neg, 1)
    log_z = torch.logsumexp(log_pv, 0)
    index = (X @ (2 ** torch.arange(X.shape[1] - 1, -1, -1, dtype=X.dtype))).long()
    return float(log_pv[index].mean() - log_z)


@pytest.mark.parametrize("make_cost", [
    lambda: VariationalPCD(num_chains=30, num_gibbs_steps=2),
    lambda: VariationalPCD(num_chains=30, num_gibbs_steps=2, toronto_neg=True),
    lambda: PCD(num_chains=30, num_gibbs_steps=3),
    lambda: VariationalCD(num_chains=30, num_gibbs_steps=2),
])
def test_cd_family_raises_the_exact_likelihood_of_a_two_layer_dbm(make_cost):
    rng = np.random.default_rng(0)
    protos = np.array([[1, 1, 1, 0, 0], [0, 0, 1, 1, 1], [1, 0, 0, 0, 1]], float)
    X = protos[rng.integers(0, 3, 90)]
    dbm = DBM(batch_size=30, niter=5, visible_layer=BinaryVector(5), hidden_layers=[
        BinaryVectorMaxPool(detector_layer_dim=4, pool_size=1, layer_name="h0", irange=0.1),
        BinaryVectorMaxPool(detector_layer_dim=3, pool_size=1, layer_name="h1", irange=0.1)],
        seed=4).double()
    before = exact_ll(dbm, torch.tensor(X))
    cost = SumOfCosts([make_cost(), WeightDecay([1e-4, 1e-4])])
    Train(dataset=DenseDesignMatrix(X=X), model=dbm, algorithm=SGD(
        learning_rate=0.5, cost=cost, termination_criterion=EpochCounter(100),
        device="cpu")).main_loop()
    assert exact_ll(dbm, torch.tensor(X)) > before + 1.0


def test_supervised_variational_pcd_learns_the_labels():
    rng = np.random.default_rng(2)
    protos = np.array([[1, 1, 1, 0, 0], [0, 0, 1, 1, 1], [1, 0, 0, 0, 1]], float)
    labels = rng.integers(0, 3, 90)
    dbm = labelled_dbm(batch_size=30, niter=5)
    with torch.no_grad():
        for layer in dbm.hidden_layers:
            layer.W.mul_(0.1)
    cost = VariationalPCD(num_chains=30, num_gibbs_steps=3, supervised=True)
    Train(dataset=DenseDesignMatrix(X=protos[labels], y=np.eye(3)[labels]), model=dbm,
          algorithm=SGD(learning_rate=0.1, cost=cost, termination_criterion=EpochCounter(80),
                        device="cpu")).main_loop()
    with torch.no_grad():
        guess = dbm.mf(torch.tensor(protos[labels]))[-1].argmax(1).numpy()
    assert (guess == labels).mean() > 0.9


def test_cd_chains_round_trip_through_state_dict():
    dbm = labelled_dbm(batch_size=4)
    cost = VariationalPCD(num_chains=4, num_gibbs_steps=1, supervised=True)
    X = torch.tensor(np.eye(5)[:4])
    Y = torch.tensor(np.eye(3)[[0, 1, 2, 0]])
    cost.get_gradients(dbm, (X, Y))
    state = cost.state_dict()
    g1, _ = cost.get_gradients(dbm, (X, Y))
    cost.load_state_dict(state)
    g2, _ = cost.get_gradients(dbm, (X, Y))
    for p in g1:
        torch.testing.assert_close(g1[p], g2[p])


def test_sgd_takes_the_dbm_batch_size():
    X = np.random.default_rng(0).integers(0, 2, (40, 5)).astype(float)
    dbm = DBM(batch_size=20, niter=2, visible_layer=BinaryVector(5), hidden_layers=[
        BinaryVectorMaxPool(detector_layer_dim=3, pool_size=1, layer_name="h", irange=0.1)])
    sgd = SGD(learning_rate=0.01, cost=VariationalPCD(num_chains=20, num_gibbs_steps=1),
              termination_criterion=EpochCounter(1), device="cpu")
    Train(dataset=DenseDesignMatrix(X=X), model=dbm, algorithm=sgd).main_loop()
    assert sgd.batch_size == 20


def test_unusable_original_arguments_are_refused():
    with pytest.raises(ConfigError, match="stdev_rewards"):
        MultiPrediction(mask_gen=MaskGen(0.5), stdev_rewards=[1.0])
    with pytest.raises(ConfigError, match="mask_gen"):
        MultiPrediction()
