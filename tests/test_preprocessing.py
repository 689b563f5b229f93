"""Preprocessors against float64 numpy references; fit on train, apply to test."""

import numpy as np
import pytest

from pylearn2.datasets import preprocessing as pp
from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.expr.preprocessing import global_contrast_normalize
from pylearn2.utils.exc import ConfigError, ShapeError


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
    # a constant image has no contrast away from the zero-padded border
    np.testing.assert_allclose(flat.get_topological_view()[0, 2:-2, 2:-2, 0], 0.0, atol=1e-6)
    reflected = DenseDesignMatrix(topo_view=np.full((1, 9, 9, 1), 0.7, np.float32))
    pp.LeCunLCN((9, 9), kernel_size=5, variant="centred_reflect").apply(reflected)
    np.testing.assert_allclose(reflected.X, 0.0, atol=1e-6)  # nowhere, with reflected borders
    raw = images(n=2, rows=9, cols=9, ch=1)
    noisy = DenseDesignMatrix(topo_view=raw.copy())
    pp.LeCunLCN((9, 9), kernel_size=5).apply(noisy)
    np.testing.assert_allclose(noisy.get_topological_view()[1, :, :, 0],
                               lcn_reference(raw[1, :, :, 0].astype(np.float64), 5, 1e-4),
                               rtol=1e-5, atol=1e-6)


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


# -- ZCA details ------------------------------------------------------------------------------
def zca_reference(X, filter_bias, keep):
    """P and its inverse from the float64 eigendecomposition of cov + bias * I."""
    X = X.astype(np.float64)
    C = np.cov(X, rowvar=False, bias=True) + filter_bias * np.eye(X.shape[1])
    vals, vecs = np.linalg.eigh(C)
    vals, vecs = vals[::-1][:keep], vecs[:, ::-1][:, :keep]
    return vecs @ np.diag(vals ** -0.5) @ vecs.T, vecs @ np.diag(vals ** 0.5) @ vecs.T


def test_zca_kept_components_and_inverse_computed_when_not_stored():
    X = design(n=400, d=6, seed=3)
    P4, inv4 = zca_reference(X, 0.1, 4)
    kept = pp.ZCA(n_components=4)
    kept.apply(DenseDesignMatrix(X=X.copy()), can_fit=True)
    np.testing.assert_allclose(kept.P_, P4, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(kept.inv_P_, inv4, rtol=1e-7, atol=1e-9)
    dropped = pp.ZCA(n_drop_components=2)
    dropped.apply(DenseDesignMatrix(X=X.copy()), can_fit=True)
    np.testing.assert_allclose(dropped.P_, P4, rtol=1e-7, atol=1e-9)

    lean = pp.ZCA(store_inverse=False)
    ds = DenseDesignMatrix(X=X.copy())
    lean.apply(ds, can_fit=True)
    assert lean.inv_P_ is None and lean.P_.dtype == np.float64 and ds.X.dtype == np.float32
    lean.invert()
    np.testing.assert_allclose(lean.inv_P_ @ lean.P_, np.eye(6), atol=1e-8)
    np.testing.assert_allclose(lean.inverse(ds.X), X, rtol=1e-4, atol=1e-4)
    with pytest.raises(ConfigError, match="n_components"):
        pp.ZCA(n_components=7).apply(DenseDesignMatrix(X=X.copy()), can_fit=True)


def test_unfitted_preprocessors_refuse_test_data():
    for prep in (pp.ZCA(), pp.PCA(2), pp.RemoveMean(), pp.RemoveZeroColumns(), pp.Standardize()):
        with pytest.raises(ConfigError, match="not been fitted"):
            prep.apply(DenseDesignMatrix(X=design(n=20)), can_fit=False)
    fitted = pp.ZCA()
    fitted.apply(DenseDesignMatrix(X=design(n=50, d=6)), can_fit=True)
    with pytest.raises(ShapeError, match="6 features"):
        fitted.apply(DenseDesignMatrix(X=design(n=50, d=5)))


def test_zca_statistics_come_from_train_only():
    train_X, test_X = design(seed=0), design(seed=9) * 2 + 5
    train, test = DenseDesignMatrix(X=train_X.copy()), DenseDesignMatrix(X=test_X.copy())
    zca = pp.ZCA(filter_bias=1e-3)
    train.apply_preprocessor(zca, can_fit=True)
    P_after_train = zca.P_.copy()
    test.apply_preprocessor(zca, can_fit=False)
    np.testing.assert_array_equal(zca.P_, P_after_train)
    P_ref, _ = zca_reference(train_X, 1e-3, 6)
    expected = (test_X.astype(np.float64) - train_X.astype(np.float64).mean(0)) @ P_ref
    np.testing.assert_allclose(test.X, expected, rtol=1e-4, atol=1e-4)
    assert np.abs(test.X.mean(0)).max() > 1.0  # its own statistics were not used


# -- saving and loading without pickle ----------------------------------------------------------
def test_pipeline_state_saved_and_loaded_without_pickle(tmp_path):
    train_X, test_X = design(n=200, seed=1), design(n=30, seed=2)
    pipeline = pp.Pipeline([pp.GlobalContrastNormalization(sqrt_bias=10.0, use_std=True),
                            pp.ZCA(n_drop_components=1), pp.Standardize(global_std=True),
                            pp.RemoveZeroColumns()])
    pipeline.apply(DenseDesignMatrix(X=train_X.copy()), can_fit=True)
    path = tmp_path / "prep.bin"  # the exact name is kept
    pipeline.save(str(path))
    with np.load(path, allow_pickle=False) as data:  # readable without pickle
        assert "__meta__" in data.files and len(data.files) > 4
    loaded = pp.load_preprocessor(str(path))
    assert isinstance(loaded, pp.Pipeline) and len(loaded.items) == 4
    assert loaded.items[0].sqrt_bias == 10.0 and loaded.items[1].n_drop_components == 1
    a, b = DenseDesignMatrix(X=test_X.copy()), DenseDesignMatrix(X=test_X.copy())
    pipeline.apply(a)
    loaded.apply(b)
    np.testing.assert_array_equal(a.X, b.X)
    for original, again in zip(pipeline.state_dict()["items"], loaded.state_dict()["items"]):
        assert original.keys() == again.keys()
        for key in original:
            if original[key] is not None:
                np.testing.assert_array_equal(original[key], again[key])


def test_preprocessor_file_errors(tmp_path):
    from pylearn2.utils.exc import DataNotFoundError, ModelFileError

    with pytest.raises(DataNotFoundError):
        pp.load_preprocessor(str(tmp_path / "missing.npz"))
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(ModelFileError, match="not a saved preprocessor"):
        pp.load_preprocessor(str(tmp_path / "other.npz"))


# -- other fitted preprocessors ---------------------------------------------------------------
def test_standardize_remove_mean_and_zero_columns_against_numpy():
    X = design(n=50, d=4).astype(np.float64)
    ds = DenseDesignMatrix(X=X.astype(np.float32))
    std = pp.Standardize(global_mean=True, global_std=True, std_eps=0.5)
    std.apply(ds, can_fit=True)
    np.testing.assert_allclose(ds.X, (X - X.mean()) / (0.5 + X.std()), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(std.inverse(ds.X), X, rtol=1e-5, atol=1e-5)

    ds = DenseDesignMatrix(X=X.astype(np.float32))
    pp.RemoveMean(axis=1).apply(ds)
    np.testing.assert_allclose(ds.X, X - X.mean(1, keepdims=True), atol=1e-5)
    rm = pp.RemoveMean()
    ds = DenseDesignMatrix(X=X.astype(np.float32))
    rm.apply(ds, can_fit=True)
    np.testing.assert_allclose(rm.inverse(ds.X), X, rtol=1e-5, atol=1e-5)

    Z = np.zeros((5, 4), np.float32)
    Z[:, [0, 2]] = design(n=5, d=2)
    rz = pp.RemoveZeroColumns()
    ds = DenseDesignMatrix(X=Z)
    rz.apply(ds, can_fit=True)
    np.testing.assert_array_equal(ds.X, Z[:, [0, 2]])
    np.testing.assert_array_equal(rz.inverse(ds.X), Z)


def test_pca_whitening_reduction_and_inverse():
    X = design(n=500, d=5, seed=4).astype(np.float64)
    ds = DenseDesignMatrix(X=X.astype(np.float32))
    pca = pp.PCA(num_components=5, whiten=True)
    pca.apply(ds, can_fit=True)
    np.testing.assert_allclose(np.cov(ds.X.astype(np.float64), rowvar=False, bias=True),
                               np.eye(5), atol=1e-4)
    np.testing.assert_allclose(pca.inverse(ds.X), X, rtol=1e-4, atol=1e-4)
    two = pp.PCA(num_components=2)
    ds = DenseDesignMatrix(X=X.astype(np.float32))
    two.apply(ds, can_fit=True)
    residual = ((two.inverse(ds.X) - X) ** 2).sum(1).mean()
    variances = np.sort(np.linalg.eigvalsh(np.cov(X, rowvar=False, bias=True)))[::-1]
    assert residual == pytest.approx(variances[2:].sum(), rel=1e-3)  # the dropped variance


def test_gcn_matches_the_coates_formula():
    X = np.random.default_rng(7).uniform(0, 255, size=(40, 27)).astype(np.float32)
    ds = DenseDesignMatrix(X=X.copy())
    pp.GlobalContrastNormalization(scale=55.0, sqrt_bias=10.0, use_std=True).apply(ds)
    X64 = X.astype(np.float64)
    centred = X64 - X64.mean(1, keepdims=True)
    divisor = np.sqrt(10.0 + centred.var(1, ddof=1, keepdims=True)) / 55.0
    np.testing.assert_allclose(ds.X, centred / divisor, rtol=1e-5)
    flat = DenseDesignMatrix(X=np.full((2, 5), 3.0, np.float32))
    pp.GlobalContrastNormalization(subtract_mean=False, sqrt_bias=0.0).apply(flat)
    np.testing.assert_allclose(flat.X, 3.0 / np.sqrt(45.0), rtol=1e-6)


def test_remap_interval_inverse_and_bad_arguments():
    ds = DenseDesignMatrix(X=np.array([[2.0, 4.0]], np.float32))
    remap = pp.RemapInterval([0, 4], [-1, 1])
    remap.apply(ds)
    np.testing.assert_allclose(ds.X, [[0.0, 1.0]])
    np.testing.assert_allclose(remap.inverse(ds.X), [[2.0, 4.0]])
    with pytest.raises(ConfigError, match="map_from"):
        pp.RemapInterval([1, 1], [0, 1])
    with pytest.raises(ConfigError, match="patch_shape"):
        pp.ExtractPatches((6,), 10)


# -- patches -------------------------------------------------------------------------------------
def coded_images(n, rows, cols, ch):
    """Images whose every value encodes (image, row, col, channel) exactly in float32."""
    i, r, c, k = np.meshgrid(np.arange(n), np.arange(rows), np.arange(cols), np.arange(ch),
                             indexing="ij")
    return (((i * rows + r) * cols + c) * ch + k).astype(np.float32)


def test_extract_patches_from_500_cifar_shaped_images():
    V = coded_images(500, 32, 32, 3)
    ds = DenseDesignMatrix(topo_view=V.transpose(3, 1, 2, 0), axes=("c", 0, 1, "b"),
                           y=np.zeros((500, 1), np.int64), y_labels=10)
    pp.ExtractPatches((6, 6), 2000, rng=[0]).apply(ds)
    assert ds.X.shape == (2000, 108) and ds.y is None
    assert ds.view_converter.axes == ("c", 0, 1, "b")
    patches = ds.get_topological_view().transpose(3, 1, 2, 0)  # back to b01c
    corner = patches[:, 0, 0, 0].astype(np.int64) // 3  # decodes (image, row, col)
    img, r0, c0 = corner // (32 * 32), (corner // 32) % 32, corner % 32
    assert r0.max() <= 26 and c0.max() <= 26
    windows = V[img[:, None, None], r0[:, None, None] + np.arange(6)[None, :, None],
                c0[:, None, None] + np.arange(6)[None, None, :]]
    np.testing.assert_array_equal(patches, windows)  # every patch lies in its source image
    assert len(np.unique(img)) > 450 and r0.min() == 0 and r0.max() == 26
    again = DenseDesignMatrix(topo_view=V[:10])
    pp.ExtractPatches((6, 6), 5, rng=[0]).apply(again)
    twice = DenseDesignMatrix(topo_view=V[:10])
    pp.ExtractPatches((6, 6), 5, rng=[0]).apply(twice)
    np.testing.assert_array_equal(again.X, twice.X)  # seeded


def test_overlapping_grid_patches_and_reassembly_errors():
    V = coded_images(2, 5, 5, 1)
    ds = DenseDesignMatrix(topo_view=V)
    pp.ExtractGridPatches((3, 3), (2, 2)).apply(ds)
    patches = ds.get_topological_view()
    assert patches.shape == (8, 3, 3, 1)
    np.testing.assert_array_equal(patches[5], V[1, 0:3, 2:5])
    with pytest.raises(ShapeError, match="not a multiple"):
        pp.ReassembleGridPatches((6, 6), (3, 3)).apply(
            DenseDesignMatrix(topo_view=coded_images(3, 3, 3, 1)))
    with pytest.raises(ConfigError, match="multiple of the patch shape"):
        pp.ReassembleGridPatches((5, 5), (2, 2))


def lcn_reference(img, k, threshold, original=True):
    """Loop implementation in float64. ``original``: the original's lecun_lcn (window of
    sigma 2, zero padding, norm of the raw pixels); otherwise the 'centred_reflect'
    variant (sigma k/4, reflected borders, norm of the centred pixels)."""
    sigma = 2.0 if original else k / 4
    x = np.arange(k) - k // 2
    g = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma ** 2))
    g /= g.sum()
    pad = k // 2

    def smooth(a):
        padded = np.pad(a, pad, mode="constant" if original else "reflect")
        return np.array([[(padded[r:r + k, c:c + k] * g).sum() for c in range(a.shape[1])]
                         for r in range(a.shape[0])])

    centred = img - smooth(img)
    norm = np.sqrt(smooth((img if original else centred) ** 2))
    return centred / np.maximum(np.maximum(norm, norm.mean()), threshold)


@pytest.mark.parametrize("variant", ["original", "centred_reflect"])
def test_lecun_lcn_against_a_loop_reference(variant):
    V = images(n=2, rows=8, cols=7, ch=2, seed=5).astype(np.float64)
    ds = DenseDesignMatrix(topo_view=V.astype(np.float32))
    pp.LeCunLCN((8, 7), kernel_size=5, channels=[1], variant=variant, batch_size=1).apply(ds)
    out = ds.get_topological_view()
    for b in range(2):
        np.testing.assert_allclose(
            out[b, :, :, 1], lcn_reference(V[b, :, :, 1], 5, 1e-4, variant == "original"),
            rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[..., 0], V[..., 0], rtol=1e-6)  # channel 0 untouched
    with pytest.raises(ShapeError, match="img_shape"):
        pp.LeCunLCN((9, 9)).apply(DenseDesignMatrix(topo_view=V.astype(np.float32)))


def test_lecun_lcn_matches_the_function_and_defaults_to_three_channels():
    from pylearn2.datasets.preprocessing.lcn import lecun_lcn

    V = images(n=3, rows=9, cols=9, ch=4, seed=2).astype(np.float32)
    ds = DenseDesignMatrix(topo_view=V.copy())
    pp.LeCunLCN((9, 9), kernel_size=7).apply(ds)
    out = ds.get_topological_view()
    for c in range(3):
        np.testing.assert_allclose(out[..., c], lecun_lcn(V[..., c], (9, 9), 7),
                                   rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(out[..., 3], V[..., 3])  # the original normalised three
    with pytest.raises(ConfigError, match="variant"):
        pp.LeCunLCN((9, 9), variant="fancy")
    with pytest.raises(ConfigError, match="not a channel"):
        pp.LeCunLCN((9, 9), channels=[5]).apply(DenseDesignMatrix(topo_view=V.copy()))


# -- the k-means example -------------------------------------------------------------------------
def test_kmeans_patches_example_loads_and_clusters(tmp_path, monkeypatch):
    from pathlib import Path

    from pylearn2.config import yaml_parse

    text = (Path(__file__).resolve().parents[1] / "examples" / "kmeans_patches.yaml").read_text()
    text = text.replace("num_patches: 20000", "num_patches: 1500").replace("k: 64", "k: 8")
    text = text.replace("max_iter: 10", "max_iter: 200")
    (tmp_path / "km.yaml").write_text(text)
    monkeypatch.setenv("PYLEARN2_TRAIN_DIR", str(tmp_path) + "/")
    job = yaml_parse.load_path(str(tmp_path / "km.yaml"))
    assert job.model.k == 8 and job.dataset.X.shape == (1500, 108)
    gcn, zca = job.dataset.preprocessor.items
    assert zca.is_fitted()  # fitted on the patches themselves
    np.testing.assert_allclose(job.dataset.X.mean(0), 0, atol=1e-4)
    job.main_loop()
    X = job.dataset.X.astype(np.float64)
    mu = job.model.mu.numpy()
    labels = ((X[:, None, :] - mu[None]) ** 2).sum(-1).argmin(1)
    assert len(np.unique(labels)) == 8
    inertia = ((X - mu[labels]) ** 2).sum(1).mean()
    baseline = ((X - X.mean(0)) ** 2).sum(1).mean()  # one centre at the mean
    assert inertia < baseline
    assert job.model.converged  # Lloyd's fixed point: each centre is its cluster's mean
    means = np.stack([X[labels == j].mean(0) for j in range(8)])
    np.testing.assert_allclose(means, mu, rtol=1e-5, atol=1e-6)
