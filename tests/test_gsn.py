"""GSNs: the chain's updates against the autoencoder formulas, and walkback training."""

import numpy as np
import pytest
import torch

from pylearn2.corruption import BinomialSampler, GaussianCorruptor
from pylearn2.costs.autoencoder import MeanBinaryCrossEntropy
from pylearn2.costs.gsn import GSNCost
from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.autoencoder import Autoencoder
from pylearn2.models.gsn import GSN, JointGSN
from pylearn2.termination_criteria import EpochCounter
from pylearn2.training_algorithms.sgd import SGD
from pylearn2.utils.exc import ConfigError


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_updates_follow_the_autoencoder_formulas():
    ae = Autoencoder(nvis=5, nhid=3, act_enc="sigmoid", act_dec="sigmoid", irange=1.0).double()
    gsn = GSN([ae])
    x = torch.rand(4, 5, dtype=torch.float64)
    with torch.no_grad():
        steps = gsn.get_samples([(0, x)])
        torch.testing.assert_close(steps[0][1], ae.encode(x))
        torch.testing.assert_close(steps[0][0], ae.reconstruct(x))
        torch.testing.assert_close(steps[1][1], ae.encode(ae.reconstruct(x)))
    assert len(steps) == 2
    top = Autoencoder(nvis=3, nhid=2, act_enc="tanh", act_dec=None, irange=1.0).double()
    deep = GSN([ae, top])
    with torch.no_grad():
        steps = deep.get_samples([(0, x)], walkback=1, clamped=[0])
    W0, c0 = ae.weights.detach().numpy(), ae.hidbias.detach().numpy()
    W1, c1 = top.weights.detach().numpy(), top.hidbias.detach().numpy()
    h1 = sigmoid(x.numpy() @ W0 + c0)                 # step 1: layer 1 (layer 2 still 0)
    h2 = np.tanh(h1 @ W1 + c1)                        # then layer 2 (even)
    np.testing.assert_allclose(steps[0][1].numpy(), h1, atol=1e-12)
    np.testing.assert_allclose(steps[0][2].numpy(), h2, atol=1e-12)
    Wd = top._decoder_weights().detach().numpy()
    h1b = sigmoid(x.numpy() @ W0 + c0 + h2 @ Wd)      # step 2: layer 1 hears from above
    np.testing.assert_allclose(steps[1][1].numpy(), h1b, atol=1e-12)
    assert len(steps) == 5 and all(torch.equal(s[0], x) for s in steps)


def test_walkback_training_lowers_the_reconstruction_cost():
    rng = np.random.default_rng(0)
    protos = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1]], float)
    X = protos[rng.integers(0, 2, 100)]
    gsn = GSN.new([6, 8], ["sigmoid", "tanh"], [None, GaussianCorruptor(stdev=0.5)],
                  [None, None], [BinomialSampler(), None])
    cost = GSNCost([(0, 1.0, MeanBinaryCrossEntropy())], walkback=1)
    data = torch.tensor(X, dtype=torch.float32)
    with torch.no_grad():
        before = float(cost.expr(gsn, data))
    from pylearn2.train import Train

    Train(dataset=DenseDesignMatrix(X=X), model=gsn, algorithm=SGD(
        learning_rate=0.1, batch_size=20, cost=cost, termination_criterion=EpochCounter(40),
        device="cpu")).main_loop()
    with torch.no_grad():
        after = float(cost.expr(gsn, data))
    assert after < 0.7 * before


def test_joint_gsn_classifies_after_supervised_training():
    rng = np.random.default_rng(1)
    protos = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1]], float)
    labels = rng.integers(0, 2, 100)
    X, Y = protos[labels], np.eye(2)[labels]
    aes = [Autoencoder(nvis=6, nhid=6, act_enc="sigmoid", act_dec="sigmoid", irange=0.1),
           Autoencoder(nvis=6, nhid=2, act_enc="sigmoid", act_dec=None, irange=0.1, rng=3)]
    gsn = JointGSN(aes, input_idx=0, label_idx=2)
    cost = GSNCost([(0, 1.0, MeanBinaryCrossEntropy()), (2, 1.0, MeanBinaryCrossEntropy())],
                   mode="supervised")
    from pylearn2.train import Train

    Train(dataset=DenseDesignMatrix(X=X, y=Y), model=gsn, algorithm=SGD(
        learning_rate=0.5, batch_size=20, cost=cost, termination_criterion=EpochCounter(60),
        device="cpu")).main_loop()
    with torch.no_grad():
        guess = gsn.classify(torch.tensor(X, dtype=torch.float32), trials=1).argmax(1).numpy()
    assert (guess == labels).mean() > 0.95


def test_argument_errors():
    with pytest.raises(ConfigError, match="one entry per layer"):
        GSN([Autoencoder(4, 3, "sigmoid", "sigmoid")], preact_cors=[None])
    with pytest.raises(ConfigError, match="mode"):
        GSNCost([(0, 1.0, MeanBinaryCrossEntropy())], mode="sideways")
