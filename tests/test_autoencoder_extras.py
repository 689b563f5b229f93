"""UntiedAutoencoder, build_stacked_ae, sparse autoencoders and their sampled costs,
SparseActivation, DenseMulticlassSVM and IndependentMulticlassLogistic."""

import numpy as np
import pytest
import scipy.sparse
import torch

from pylearn2.blocks import StackedBlocks
from pylearn2.corruption import BinomialCorruptor, DummyCorruptor
from pylearn2.costs.autoencoder import (
    GSNFriendlyCost,
    MeanSquaredReconstructionError,
    SampledMeanBinaryCrossEntropy,
    SampledMeanSquaredReconstructionError,
    SparseActivation,
)
from pylearn2.models.autoencoder import (
    Autoencoder,
    ContractiveAutoencoder,
    DenoisingAutoencoder,
    UntiedAutoencoder,
    build_stacked_ae,
)
from pylearn2.models.independent_multiclass_logistic import Classifier, IndependentMulticlassLogistic
from pylearn2.models.sparse_autoencoder import SparseDenoisingAutoencoder
from pylearn2.models.svm import DenseMulticlassSVM
from pylearn2.utils.exc import ConfigError

rng = np.random.default_rng(0)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_untied_autoencoder_shares_encoder_and_copies_decoder():
    base = Autoencoder(5, 3, "sigmoid", None, tied_weights=True, irange=0.5)
    un = UntiedAutoencoder(base)
    assert un.weights is base.weights and un.hidbias is base.hidbias
    np.testing.assert_array_equal(un.w_prime.detach().numpy(), base.weights.detach().numpy().T)
    X = torch.randn(4, 5)
    torch.testing.assert_close(un.reconstruct(X), base.reconstruct(X))
    with torch.no_grad():
        un.w_prime.add_(1.0)
    assert not torch.allclose(un.reconstruct(X), base.reconstruct(X))
    with pytest.raises(ConfigError, match="tied_weights"):
        UntiedAutoencoder(Autoencoder(5, 3, "sigmoid", None))


def test_build_stacked_ae_layer_kinds_and_sizes():
    stack = build_stacked_ae(6, [4, 3, 2], "sigmoid", None,
                             corruptor=[BinomialCorruptor(0.1), None, None],
                             contracting=[False, True, False], rng=5)
    assert isinstance(stack, StackedBlocks)
    kinds = [type(layer) for layer in stack.layers]
    assert kinds == [DenoisingAutoencoder, ContractiveAutoencoder, Autoencoder]
    assert [(a.nvis, a.nhid) for a in stack.layers] == [(6, 4), (4, 3), (3, 2)]
    with pytest.raises(ConfigError, match="both"):
        build_stacked_ae(6, [4], "sigmoid", None, corruptor=DummyCorruptor(), contracting=True)
    with pytest.raises(ConfigError, match="entries"):
        build_stacked_ae(6, [4, 3], ["sigmoid"], None)


def test_sparse_activation_matches_numpy_kl():
    ae = Autoencoder(5, 3, "sigmoid", None, irange=0.5).double()
    X = rng.uniform(size=(8, 5))
    h = sigmoid(X @ ae.weights.detach().numpy() + ae.hidbias.detach().numpy())
    p, p_hat = 0.1, np.abs(h).mean(0)
    ref = 2.0 * (p * np.log(p / p_hat) + (1 - p) * np.log((1 - p) / (1 - p_hat))).sum()
    got = SparseActivation(coeff=2.0, p=0.1).expr(ae, torch.tensor(X))
    assert float(got.detach()) == pytest.approx(ref, rel=1e-12)
    assert issubclass(MeanSquaredReconstructionError, GSNFriendlyCost)


def make_sparse_ae():
    return SparseDenoisingAutoencoder(DummyCorruptor(), nvis=6, nhid=3, act_enc="sigmoid",
                                      act_dec="sigmoid", irange=0.5).double()


def test_sparse_autoencoder_accepts_scipy_and_torch_sparse():
    ae = make_sparse_ae()
    dense = (rng.uniform(size=(4, 6)) > 0.7).astype(float)
    ref = ae.encode(torch.tensor(dense))
    torch.testing.assert_close(ae.encode(scipy.sparse.csr_matrix(dense)).double(), ref)
    torch.testing.assert_close(ae.encode(torch.tensor(dense).to_sparse()), ref)


def test_sampled_costs_match_numpy_on_their_pattern():
    ae = make_sparse_ae()
    X = (rng.uniform(size=(5, 6)) > 0.7).astype(float)
    W, c = ae.weights.detach().numpy(), ae.hidbias.detach().numpy()
    Wp, bv = ae.w_prime.detach().numpy(), ae.visbias.detach().numpy()
    h = sigmoid(X @ W + c)
    a = h @ Wp + bv
    for cls in (SampledMeanBinaryCrossEntropy, SampledMeanSquaredReconstructionError):
        cost = cls(L1=0.3, ratio=0.25, seed=4)
        P = cls(L1=0.3, ratio=0.25, seed=4).pattern(torch.tensor(X)).numpy()
        assert np.all(P[X > 0] == 1) and 0 < P[X == 0].mean() < 0.7
        if cls is SampledMeanBinaryCrossEntropy:
            a_m = a * P
            per = X * np.log1p(np.exp(-a_m)) + (1 - X) * np.log1p(np.exp(a_m))
        else:
            per = (sigmoid(a) * P - X) ** 2
        ref = (per * P).sum(1).mean() + 0.3 * np.abs(h).sum(1).mean()
        assert float(cost.expr(ae, torch.tensor(X)).detach()) == pytest.approx(ref, rel=1e-10)


def blobs(n=60):
    y = rng.integers(0, 3, size=n)
    X = rng.normal(size=(n, 2)) * 0.3 + np.array([[0, 0], [3, 0], [0, 3]])[y]
    return X, y


def test_dense_multiclass_svm_and_independent_logistic_separate_blobs():
    X, y = blobs()
    svm = DenseMulticlassSVM(C=1.0).fit(X, y)
    assert (svm.predict(X) == y).mean() > 0.95
    assert svm.decision_function(X).shape == (60, 3)
    with pytest.raises(ConfigError, match="fit"):
        DenseMulticlassSVM(C=1.0).predict(X)
    clf = IndependentMulticlassLogistic(C=10.0).fit(X, y)
    assert isinstance(clf, Classifier) and (clf.predict(X) == y).mean() > 0.95
    W, b = clf.W, clf.b
    np.testing.assert_array_equal(clf.predict(X), np.argmax(b + X @ W.T, 1))
    with pytest.raises(ConfigError, match="start at 0"):
        IndependentMulticlassLogistic(C=1.0).fit(X, y + 1)


def test_classifier_from_fitted_logistic_regressions_as_the_original_took_them():
    from sklearn.linear_model import LogisticRegression

    X, y = blobs()
    logistics = [LogisticRegression(C=10.0).fit(X, (y == c).astype(int)) for c in range(3)]
    clf = Classifier(logistics=logistics)
    W = np.stack([m.coef_[0] for m in logistics])
    b = np.array([m.intercept_[0] for m in logistics])
    np.testing.assert_array_equal(clf.predict(X), np.argmax(b + X @ W.T, 1))
    np.testing.assert_array_equal(clf.predict(X), IndependentMulticlassLogistic(C=10.0)
                                  .fit(X, y).predict(X))
    with pytest.raises(ConfigError, match="at least 2"):
        Classifier(logistics=logistics[:1])
    with pytest.raises(ConfigError, match="not both"):
        Classifier(W=W, b=b, logistics=logistics)
