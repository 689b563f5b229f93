"""Gaussian density, linear SVM and VAE against closed forms and simple facts."""

import math

import numpy as np
import pytest
import torch

from pylearn2.costs.vae import ImportanceSamplingCriterion, VAECriterion
from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.gaussian import GaussianDensity, GaussianNLL
from pylearn2.models.mlp import MLP, RectifiedLinear
from pylearn2.models.svm import HingeLoss, LinearSVM
from pylearn2.models.vae import VAE
from pylearn2.models.vae.conditional import BernoulliVector, DiagonalGaussian
from pylearn2.models.vae.prior import DiagonalGaussianPrior
from pylearn2.termination_criteria import EpochCounter
from pylearn2.train import Train
from pylearn2.training_algorithms.learning_rule import Adam
from pylearn2.training_algorithms.sgd import SGD
from pylearn2.utils import serial


def test_gaussian_density_mle_and_log_prob():
    rng = np.random.default_rng(0)
    X = rng.normal(loc=[1.0, -2.0, 0.5], scale=[0.5, 2.0, 1.0], size=(500, 3))
    model = GaussianDensity(nvis=3, min_variance=0.0)
    Train(dataset=DenseDesignMatrix(X=X.astype(np.float32)), model=model).main_loop()
    assert model.monitor.get_epochs_seen() == 1
    np.testing.assert_allclose(model.mean.detach().numpy(), X.mean(0), rtol=1e-5)
    np.testing.assert_allclose(model.log_std.detach().exp().numpy(), X.std(0), rtol=1e-4)
    from scipy.stats import multivariate_normal

    x = torch.tensor(X[:4], dtype=torch.float32)
    expected = multivariate_normal(X.mean(0), np.diag(X.var(0))).logpdf(X[:4])
    np.testing.assert_allclose(model.log_prob(x).detach().numpy(), expected, rtol=1e-5)
    full = GaussianDensity(nvis=3, diagonal=False, min_variance=0.0)
    full.train_all(DenseDesignMatrix(X=X.astype(np.float32)))
    expected = multivariate_normal(X.mean(0), np.cov(X, rowvar=False, bias=True)).logpdf(X[:4])
    np.testing.assert_allclose(full.log_prob(x).detach().numpy(), expected, rtol=1e-4)
    sgd_model = GaussianDensity(nvis=3)
    Train(dataset=DenseDesignMatrix(X=X.astype(np.float32)), model=sgd_model, algorithm=SGD(
        learning_rate=0.05, batch_size=50, termination_criterion=EpochCounter(40))).main_loop()
    nll = float(GaussianNLL().expr(sgd_model, torch.tensor(X, dtype=torch.float32)).detach())
    best = float(GaussianNLL().expr(model, torch.tensor(X, dtype=torch.float32)).detach())
    assert nll == pytest.approx(best, abs=0.02)


def test_linear_svm_hinge_and_separable_data():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 2)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.int64)
    X[y == 1] += 0.5
    model = LinearSVM(nvis=2, n_classes=2, C=10.0)
    data = DenseDesignMatrix(X=X, y=y[:, None], y_labels=2)
    Train(dataset=data, model=model, algorithm=SGD(
        learning_rate=0.05, batch_size=20, monitoring_dataset=data,
        termination_criterion=EpochCounter(30))).main_loop()
    assert model.monitor.last("misclass") < 0.02
    Xt, Y = torch.tensor(X), torch.eye(2)[torch.tensor(y)]
    scores = model.fprop(Xt).detach().numpy()
    t = 2 * Y.numpy() - 1
    expected = np.maximum(0, 1 - t * scores).sum(1).mean() + \
        (model.W.detach().numpy() ** 2).sum() / 20.0
    assert float(HingeLoss().expr(model, (Xt, Y)).detach()) == pytest.approx(expected, rel=1e-5)


def make_vae(nvis=6, nhid=2):
    def mlp():
        return MLP(layers=[RectifiedLinear(dim=8, layer_name="h", irange=0.3)])
    return VAE(nvis=nvis, nhid=nhid, prior=DiagonalGaussianPrior(),
               conditional=BernoulliVector(mlp=mlp(), name="conditional"),
               posterior=DiagonalGaussian(mlp=mlp(), name="posterior"))


def test_vae_kl_closed_form_and_bounds(tmp_path):
    torch.manual_seed(0)
    vae = make_vae().double()
    mean, log_sigma = torch.randn(4, 2, dtype=torch.float64), torch.randn(4, 2, dtype=torch.float64)
    with torch.no_grad():
        vae.prior.mean.copy_(torch.tensor([0.3, -0.2]))
        vae.prior.log_sigma.copy_(torch.tensor([0.1, -0.4]))
    s1, s2 = log_sigma.exp(), vae.prior.log_sigma.exp()
    expected = (torch.log(s2 / s1) + (s1 ** 2 + (mean - vae.prior.mean) ** 2) / (2 * s2 ** 2)
                - 0.5).sum(1)
    torch.testing.assert_close(vae.prior.kl_from(mean, log_sigma), expected.detach())
    X = torch.bernoulli(torch.full((16, 6), 0.3, dtype=torch.float64))
    neg_elbo = VAECriterion(num_samples=200).expr(vae, X)
    neg_log_p = ImportanceSamplingCriterion(num_samples=2000).expr(vae, X)
    assert float(neg_log_p.detach()) <= float(neg_elbo.detach()) + 1e-3  # log p(x) >= ELBO
    serial.save(str(tmp_path / "vae.pkl"), vae.float())
    loaded = serial.load(str(tmp_path / "vae.pkl"))
    torch.testing.assert_close(loaded.encode(X.float()), vae.encode(X.float()))


def test_vae_training_lowers_the_bound():
    rng = np.random.default_rng(2)
    prototypes = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1]])
    X = prototypes[rng.integers(0, 2, size=200)].astype(np.float32)
    vae = make_vae()
    data = DenseDesignMatrix(X=X)
    Train(dataset=data, model=vae, algorithm=SGD(
        learning_rate=0.01, batch_size=20, monitoring_dataset=data, learning_rule=Adam(),
        cost=VAECriterion(num_samples=1), termination_criterion=EpochCounter(30))).main_loop()
    record = vae.monitor.channels["objective"].val_record
    assert record[-1] < record[0] - 1.0
    assert record[-1] < 6 * math.log(2)  # better than coding every bit at random
