"""PCA variants against numpy's SVD of the centred data."""

import numpy as np
import pytest
import torch
from scipy import sparse

from pylearn2.models.pca import (
    SVDPCA,
    Cov,
    CovEigPCA,
    OnlinePCA,
    PcaOnlineEstimator,
    SparseMatPCA,
    SparsePCA,
)
from pylearn2.utils.exc import ConfigError


def data(n=200, d=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + rng.normal(size=d)


def reference(X):
    centred = X - X.mean(0)
    _, s, Vh = np.linalg.svd(centred, full_matrices=False)
    return s, Vh.T, centred


def same_subspace(W, V):
    """Columns equal up to sign."""
    np.testing.assert_allclose(np.abs(np.sum(W * V, 0)), 1.0, atol=1e-8)


@pytest.mark.parametrize("make", [lambda **k: CovEigPCA(**k), lambda **k: CovEigPCA(cov_batch_size=7, **k),
                                  lambda **k: SVDPCA(**k), lambda **k: OnlinePCA(minibatch_size=13, **k)])
def test_components_and_projections_match_svd(make):
    X = data()
    s, V, centred = reference(X)
    pca = make(num_components=4)
    pca.train(X)
    same_subspace(pca.W, V[:, :4])
    Y = pca(X)
    np.testing.assert_allclose(np.abs(Y), np.abs(centred @ V[:, :4]), atol=1e-8)
    torch.testing.assert_close(pca(torch.tensor(X)).abs(), torch.tensor(np.abs(Y)))
    full = make()
    full.train(X)
    np.testing.assert_allclose(full.reconstruct(full(X)), X, atol=1e-8)


def test_whitening_and_eigenvalue_scales():
    X = data()
    s, V, _ = reference(X)
    cov = CovEigPCA(whiten=True)
    cov.train(X)
    np.testing.assert_allclose(cov.v, s ** 2 / (len(X) - 1), rtol=1e-10)
    np.testing.assert_allclose(np.cov(cov(X).T), np.eye(6), atol=1e-8)
    svd = SVDPCA(whiten=True)
    svd.train(X)
    np.testing.assert_allclose(svd.v, s ** 2, rtol=1e-10)  # the original's convention
    np.testing.assert_allclose(Cov(batch_size=9)(X.T), np.cov(X.T), atol=1e-10)


def test_min_variance_drops_small_components():
    X = data()
    s, _, _ = reference(X)
    share = s ** 2 / (s ** 2).sum()
    pca = CovEigPCA(min_variance=float(share[2]) - 1e-9)
    pca.train(X)
    assert pca.W.shape[1] == 3
    with pytest.raises(ConfigError, match="min_variance"):
        CovEigPCA(min_variance=1.0).train(X)
    with pytest.raises(ConfigError, match="not trained"):
        SVDPCA()(X)


def test_sparse_variants():
    X = data()
    X[X < 0.5] = 0
    s, V, centred = reference(X)
    for pca in (SparseMatPCA(batch_size=17, num_components=3), SparsePCA(num_components=3)):
        pca.train(sparse.csr_matrix(X))
        same_subspace(pca.W, V[:, :3])
        np.testing.assert_allclose(np.abs(pca(sparse.csr_matrix(X))),
                                   np.abs(centred @ V[:, :3]), atol=1e-8)
    with pytest.raises(ConfigError, match="sparse"):
        SparseMatPCA().train(X)


def test_online_estimator_with_forgetting_tracks_recent_data():
    rng = np.random.default_rng(1)
    old = rng.normal(size=(400, 3)) * [5, 1, 1]
    new = rng.normal(size=(400, 3)) * [1, 1, 5]
    est = PcaOnlineEstimator(3, n_eigen=1, minibatch_size=20, gamma=0.9, centering=False)
    for row in np.vstack([old, new]):
        est.observe(row)
    vals, vecs = est.getLeadingEigen()
    assert abs(abs(vecs[-1][2]) - 1) < 0.05 and vals[-1] > 10
