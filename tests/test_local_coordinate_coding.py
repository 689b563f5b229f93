"""Local coordinate coding: codes satisfy the lasso optimality conditions, and the
dictionary step is the exact minimiser of the batch objective."""

import numpy as np

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.local_coordinate_coding import LocalCoordinateCoding, lasso


def test_lasso_meets_its_optimality_conditions():
    rng = np.random.default_rng(0)
    A, y, coeff = rng.normal(size=(6, 8)), rng.normal(size=6), 0.7
    x = lasso(A, y, coeff)
    g = 2 * A.T @ (y - A @ x)
    on = x != 0
    np.testing.assert_allclose(g[on], coeff * np.sign(x[on]), atol=1e-8)
    assert (np.abs(g[~on]) <= coeff + 1e-8).all() and on.any() and (~on).any()


def test_codes_are_optimal_and_the_dictionary_step_is_exact():
    lcc = LocalCoordinateCoding(nvis=4, nhid=6, coeff=0.3)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 4))
    v = X[0]
    gamma = lcc.optimize_gamma(v)
    best = lcc.objective(v, gamma)
    for _ in range(200):  # no nearby code is better
        assert lcc.objective(v, gamma + rng.normal(size=6) * 1e-3) >= best - 1e-12
    codes = lcc.encode(X)
    W = lcc.solve_dictionary(X, codes)

    def J(flat):
        Wm = flat.reshape(W.shape)
        return sum(((x - g @ Wm) ** 2).sum() + 0.3 * np.abs(g) @ ((Wm - x) ** 2).sum(1)
                   for x, g in zip(X, codes))

    eps, base = 1e-5, W.ravel()
    grad = np.array([(J(base + eps * e) - J(base - eps * e)) / (2 * eps)
                     for e in np.eye(base.size)])
    np.testing.assert_allclose(grad, 0, atol=1e-5)
    before = sum(lcc.objective(x, g) for x, g in zip(X, codes))
    total = lcc.learn(DenseDesignMatrix(X=X), batch_size=30)
    assert np.isclose(total, J(base)) and total < before  # learn took exactly that step
