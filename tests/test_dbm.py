"""Deep Boltzmann machines: exact checks on tiny models and the RBM-as-DBM tutorial."""

import itertools

import numpy as np
import torch

from pylearn2.config import yaml_parse
from pylearn2.costs.cost import SumOfCosts
from pylearn2.costs.dbm import TorontoSparsity, VariationalPCD, WeightDecay
from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.dbm import DBM, BinaryVector, BinaryVectorMaxPool, Softmax
from pylearn2.models.rbm import RBM
from pylearn2.termination_criteria import EpochCounter
from pylearn2.train import Train
from pylearn2.training_algorithms.sgd import SGD


def states(n):
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n)), dtype=torch.float64)


def one_layer(nvis=6, nhid=4, pool=1, seed=(1,), batch_size=10):
    return DBM(batch_size=batch_size, niter=1, seed=seed, visible_layer=BinaryVector(nvis),
               hidden_layers=[BinaryVectorMaxPool(detector_layer_dim=nhid, pool_size=pool,
                                                  layer_name="h", irange=0.5)]).double()


def test_one_layer_dbm_is_an_rbm():
    dbm = one_layer()
    rbm = RBM(nvis=6, nhid=4).double()
    with torch.no_grad():
        rbm.weights.copy_(dbm.hidden_layers[0].W)
        rbm.bias_hid.copy_(dbm.hidden_layers[0].b)
        rbm.bias_vis.copy_(torch.linspace(-1, 1, 6))
        dbm.visible_layer.bias.copy_(rbm.bias_vis)
    v = states(6)
    pool, det = dbm.mf(v)[0]
    torch.testing.assert_close(det, rbm.mean_h_given_v(v))
    h = states(4)[5].expand(64, 4)
    torch.testing.assert_close(dbm.energy(v, [(h, h)]), rbm.energy(v, h))


def test_probabilistic_max_pooling_matches_enumeration():
    layer = BinaryVectorMaxPool(detector_layer_dim=3, pool_size=3, layer_name="p", irange=0.1)
    z = torch.tensor([[0.5, -1.0, 2.0]], dtype=torch.float64)
    configs = torch.tensor([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=torch.float64)
    weights = torch.exp(configs @ z[0])
    probs = weights / weights.sum()
    pool, det = layer.pooled(z)
    torch.testing.assert_close(det[0], (probs[:, None] * configs).sum(0))
    torch.testing.assert_close(pool[0, 0], 1 - probs[0])
    gen = torch.Generator().manual_seed(0)
    samples = torch.stack([layer.sample_pooled(z, gen)[1][0] for _ in range(4000)])
    assert (samples.sum(1) <= 1).all()
    np.testing.assert_allclose(samples.mean(0).numpy(), det[0].numpy(), atol=0.03)


def test_mean_field_reaches_a_fixed_point():
    dbm = DBM(batch_size=5, niter=50, visible_layer=BinaryVector(5), hidden_layers=[
        BinaryVectorMaxPool(detector_layer_dim=6, pool_size=2, layer_name="h0", irange=1.0),
        Softmax(n_classes=3, layer_name="y", irange=1.0)]).double()
    v = states(5)[::3]
    h0, y = dbm.mf(v)
    again = dbm.hidden_layers[0].mf_update(v, y, dbm.hidden_layers[1])
    torch.testing.assert_close(again[1], h0[1], atol=1e-6, rtol=0)
    torch.testing.assert_close(dbm.hidden_layers[1].mf_update(h0[0]), y, atol=1e-6, rtol=0)
    torch.testing.assert_close(y.sum(1), torch.ones(len(v), dtype=torch.float64))


def exact_ll(dbm, data):
    v, h = states(dbm.visible_layer.nvis), states(dbm.hidden_layers[0].detector_layer_dim)
    with torch.no_grad():
        energies = torch.stack([dbm.energy(v, [(hh.expand(len(v), -1),) * 2]) for hh in h], 1)
        free = -torch.logsumexp(-energies, dim=1)
        log_z = torch.logsumexp(-free, dim=0)
        index = (data @ (2 ** torch.arange(data.shape[1] - 1, -1, -1, dtype=data.dtype))).long()
        return float((-free[index]).mean() - log_z)


def test_variational_pcd_raises_exact_likelihood():
    rng = np.random.default_rng(0)
    prototypes = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 1, 1, 1, 0], [1, 0, 0, 0, 1, 1]])
    X = prototypes[rng.integers(0, 3, size=60)].astype(np.float64)
    dbm = one_layer(seed=(3,), batch_size=20)
    with torch.no_grad():
        dbm.hidden_layers[0].W.mul_(0.1)
    before = exact_ll(dbm, torch.tensor(X))
    cost = SumOfCosts([VariationalPCD(num_chains=20, num_gibbs_steps=2),
                       WeightDecay([1e-4]), TorontoSparsity(targets=[0.3], coeffs=[1e-3])])
    Train(dataset=DenseDesignMatrix(X=X), model=dbm, algorithm=SGD(
        learning_rate=0.1, batch_size=20, cost=cost, termination_criterion=EpochCounter(150),
        device="cpu")).main_loop()
    assert exact_ll(dbm, torch.tensor(X)) > before + 0.8


def test_rbm_as_dbm_tutorial_yaml(tmp_path):
    job = yaml_parse.load(f"""
    !obj:pylearn2.train.Train {{
        dataset: &data !obj:pylearn2.datasets.binarizer.Binarizer {{
            raw: !obj:pylearn2.datasets.digits.Digits {{ which_set: 'train', stop: 100 }} }},
        model: !obj:pylearn2.models.dbm.DBM {{
            batch_size: 20, niter: 1,
            visible_layer: !obj:pylearn2.models.dbm.BinaryVector {{ nvis: 64 }},
            hidden_layers: [ !obj:pylearn2.models.dbm.BinaryVectorMaxPool {{
                detector_layer_dim: 10, pool_size: 1, layer_name: 'h', irange: .05,
                init_bias: -2. }} ],
        }},
        algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {{
            learning_rate: .01, batch_size: 20, monitoring_dataset: *data,
            cost: !obj:pylearn2.costs.cost.SumOfCosts {{ costs: [
                !obj:pylearn2.costs.dbm.VariationalPCD {{ num_chains: 20, num_gibbs_steps: 5 }},
                !obj:pylearn2.costs.dbm.WeightDecay {{ coeffs: [ .0001 ] }},
                !obj:pylearn2.costs.dbm.TorontoSparsity {{ targets: [ .2 ], coeffs: [ .001 ] }},
            ] }},
            termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter {{ max_epochs: 2 }},
        }},
        save_path: '{tmp_path}/dbm.pkl', save_freq: 1,
    }}""")
    job.main_loop()
    assert "h_mean_activation" in job.model.monitor.channels
    assert (tmp_path / "dbm.pkl").exists()
