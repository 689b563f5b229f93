"""Preprocessors against float64 numpy references; fit on train, apply to test."""

import numpy as np
import pytest

from pylearn2.datasets import preprocessing as pp
from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.expr.preprocessing import global_contrast_normalize
from pylearn2.utils.exc import ConfigError


def design(n=300, d=6, seed=0):
    rng = np.random.default_rng(seed)
    mix = rng.normal(size=(d, d))
    return (rng.normal(size=(n, d)) @ mix + rng.normal(size=d)).astype(np.float32)


def images(n=20, rows=8, cols=6, ch=3, seed=1):
    return np.random.default_rng(seed).uniform(size=(n, rows, cols, ch)).astype(np.float32)


def test_zca_whitens_and_inverts():
    X = design()
    ds = DenseDesignMatrix(X=X.copy())
    zca = pp.ZCA(filter_bias=1e-8)
    ds.apply_preprocessor(zca, can_fit=True)
    W = ds.X.astype(np.float64)
    np.testing.assert_allclose(np.cov(W, rowvar=False, bias=True), np.eye(6), atol=1e-4)
    np.testing.assert_allclose(zca.inverse(ds.X), X, rtol=1e-4, atol=1e-4)
    # ZCA is the symmetric whitening: P = C^{-1/2}
    C = np.cov(X.astype(np.float64), rowvar=False, bias=True)
    vals, vecs = np.linalg.eigh(C)
    np.testing.assert_allclose(zca.P_, vecs @ np.diag(vals ** -0.5) @ vecs.T, rtol=1e-5, atol=1e-6)
    with pytest.raises(ConfigError, match="not both"):
        pp.ZCA(n_components=2, n_drop_components=1)


def test_fitted_statistics_apply_to_test_data_without_refitting(tmp_path):
    train, test = DenseDesignMatrix(X=design(seed=0)), DenseDesignMatrix(X=design(seed=5) + 3)
    raw_test = test.X.astype(np.float64).copy()
    std = pp.Standardize()
    with pytest.raises(ConfigError, match="not been fitted"):
        std.apply(test)
    std.apply(train, can_fit=True)
    std.apply(test, can_fit=False)
    mean, sd = train.X.mean(0), train.X.std(0)
    np.testing.assert_allclose(mean, 0, atol=1e-5)
    assert np.abs(test.X.mean(0)).max() > 0.5  # test data keeps its own offset
    np.testing.assert_allclose(test.X, (raw_test - std.mean_) / (1e-4 + std.std_), rtol=1e-5)
    assert sd == pytest.approx(np.ones(6), abs=1e-3)
    path = tmp_path / "std.npz"
    std.save(str(path))
    again = pp.Preprocessor.load(str(path))
    fresh = DenseDesignMatrix(X=raw_test.astype(np.float32))
    again.apply(fresh)
    np.testing.assert_array_equal(fresh.X, test.X)


def test_gcn_norms_and_zero_rows():
    X = design(n=10)
    X[3] = 0.0
    out = global_contrast_normalize(X, scale=2.0)
    norms = np.linalg.norm(out, axis=1)
    np.testing.assert_allclose(np.delete(norms, 3), 2.0, rtol=1e-6)
    assert np.all(np.isfinite(out)) and np.all(out[3] == 0)
    out_std = global_contrast_normalize(X, scale=1.0, use_std=True, sqrt_bias=0.0)
    np.testing.assert_allclose(np.delete(out_std.std(axis=1, ddof=1), 3), 1.0, rtol=1e-6)
    ds = DenseDesignMatrix(X=X)
    pp.GlobalContrastNormalization(scale=2.0, batch_size=4).apply(ds)
    np.testing.assert_allclose(ds.X, out, rtol=1e-5, atol=1e-6)


def test_pca_matches_svd_up_to_sign():
    X = design()
    ds = DenseDesignMatrix(X=X.copy())
    pca = pp.PCA(num_components=3)
    ds.apply_preprocessor(pca, can_fit=True)
    centred = X.astype(np.float64) - X.mean(0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    expected = u[:, :3] * s[:3]
    signs = np.sign((ds.X * expected).sum(0))
    np.testing.assert_allclose(ds.X * signs, expected, rtol=1e-3, atol=1e-3)


def test_grid_patches_reassemble_exactly():
    V = images(n=4, rows=8, cols=6)
    ds = DenseDesignMatrix(topo_view=V, y=np.arange(4)[:, None], y_labels=4)
    pp.ExtractGridPatches((4, 3), (4, 3)).apply(ds)
    assert ds.X.shape == (16, 36) and ds.y[:, 0].tolist() == sum([[i] * 4 for i in range(4)], [])
    np.testing.assert_array_equal(ds.get_topological_view()[1], V[0, 0:4, 3:6])
    pp.ReassembleGridPatches((8, 6), (4, 3)).apply(ds)
    np.testing.assert_array_equal(ds.get_topological_view(), V)
    assert ds.y[:, 0].tolist() == [0, 1, 2, 3]


def test_extract_patches_cifar_shaped_data():
    V = images(n=50, rows=32, cols=32, ch=3)
    ds = DenseDesignMatrix(topo_view=V)
    pp.ExtractPatches((6, 6), 200, rng=[3]).apply(ds)
    patches = ds.get_topological_view()
    assert patches.shape == (200, 6, 6, 3) and ds.y is None
    for patch in patches[:20]:  # each patch is a window of some source image
        hits = [(i, r, c) for i in range(50) for r in range(27) for c in range(27)
                if np.array_equal(V[i, r:r + 6, c:c + 6], patch)]
        assert hits


def test_pipeline_and_simple_examplewise_preprocessors():
    V = images(n=3, rows=6, cols=6)
    ds = DenseDesignMatrix(topo_view=V)
    pp.Pipeline([pp.CentralWindow((4, 4)), pp.Downsample((2, 2))]).apply(ds)
    np.testing.assert_array_equal(ds.get_topological_view(), V[:, 1:5, 1:5][:, ::2, ::2])
    ds = DenseDesignMatrix(X=design(n=5))
    pp.MakeUnitNorm().apply(ds)
    np.testing.assert_allclose(np.linalg.norm(ds.X, axis=1), 1.0, rtol=1e-6)
    ds = DenseDesignMatrix(X=np.array([[0.0, 5.0, 10.0]], np.float32))
    pp.RemapInterval([0, 10], [-1, 1]).apply(ds)
    np.testing.assert_allclose(ds.X, [[-1, 0, 1]])


def test_rgb_yuv_round_trip_and_lcn():
    V = images(n=2, rows=9, cols=9)
    ds = DenseDesignMatrix(topo_view=V)
    pp.RGB_YUV().apply(ds)
    y_channel = ds.get_topological_view()[..., 0]
    np.testing.assert_allclose(y_channel, V @ np.array([0.299, 0.587, 0.114]), rtol=1e-5)
    pp.RGB_YUV(rgb_yuv=False).apply(ds)
    np.testing.assert_allclose(ds.get_topological_view(), V, atol=1e-5)
    flat = DenseDesignMatrix(topo_view=np.full((1, 9, 9, 1), 0.7, np.float32))
    pp.LeCunLCN((9, 9), kernel_size=5).apply(flat)
    np.testing.assert_allclose(flat.X, 0.0, atol=1e-6)  # constant images have no contrast
    noisy = DenseDesignMatrix(topo_view=images(n=2, rows=9, cols=9, ch=1))
    pp.LeCunLCN((9, 9), kernel_size=5).apply(noisy)
    assert np.abs(noisy.X.mean()) < 0.2 and np.isfinite(noisy.X).all()


def test_shuffle_and_split():
    ds = DenseDesignMatrix(X=np.arange(10, dtype=np.float32)[:, None],
                           y=np.arange(10)[:, None], y_labels=10)
    pp.ShuffleAndSplit(seed=0, start=2, stop=6).apply(ds)
    order = np.random.default_rng(0).permutation(10)[2:6]
    assert ds.X[:, 0].tolist() == order.tolist() and ds.y[:, 0].tolist() == order.tolist()


def test_block_preprocessor_maps_a_block_over_the_dataset():
    from pylearn2.blocks import ExamplewiseAddScaleTransform

    X = design(n=7)
    ds = DenseDesignMatrix(X=X.copy())
    pp.BlockPreprocessor(ExamplewiseAddScaleTransform(add=1.0, multiply=3.0), batch_size=3).apply(ds)
    np.testing.assert_allclose(ds.X, (X + 1.0) * 3.0, rtol=1e-6)
