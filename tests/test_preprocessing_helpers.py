"""lecun_lcn / gaussian_filter against loop references; PCA_ViewConverter round trips."""

from __future__ import annotations

import numpy as np
import pytest

from pylearn2.datasets.dense_design_matrix import DefaultViewConverter
from pylearn2.datasets.preprocessing import PCA_ViewConverter, gaussian_filter, lecun_lcn
from pylearn2.utils.exc import ConfigError, ShapeError


def test_gaussian_filter_matches_formula():
    k = gaussian_filter(5)
    ref = np.array([[np.exp(-((i - 2) ** 2 + (j - 2) ** 2) / 8.0) for j in range(5)]
                    for i in range(5)])
    np.testing.assert_allclose(k, ref / ref.sum(), rtol=1e-6)
    assert k.dtype == np.float32 and k.sum() == pytest.approx(1.0)


def _smooth_ref(img, k):
    r, c = img.shape
    h = k.shape[0] // 2
    out = np.zeros_like(img)
    for i in range(r):
        for j in range(c):
            for a in range(k.shape[0]):
                for b in range(k.shape[1]):
                    ii, jj = i + a - h, j + b - h
                    if 0 <= ii < r and 0 <= jj < c:
                        out[i, j] += k[a, b] * img[ii, jj]
    return out


@pytest.mark.parametrize("centered", [False, True])
def test_lecun_lcn_matches_loop_reference(centered):
    rng = np.random.RandomState(0)
    X = rng.rand(3, 6, 7)
    k = gaussian_filter(3).astype(np.float64)
    out = lecun_lcn(X, (6, 7), 3, centered_norm=centered)
    for img, got in zip(X, out):
        centred = img - _smooth_ref(img, k)
        denom = np.sqrt(_smooth_ref((centred if centered else img) ** 2, k))
        divisor = np.maximum(np.maximum(denom.mean(), denom), 1e-4)
        np.testing.assert_allclose(got, centred / divisor, rtol=1e-10)
    np.testing.assert_allclose(lecun_lcn(X.reshape(3, 42), (6, 7), 3), lecun_lcn(X, (6, 7), 3))
    with pytest.raises(ShapeError):
        lecun_lcn(X, (7, 6), 3)
    with pytest.raises(ConfigError, match="odd"):
        lecun_lcn(X, (6, 7), 4)


def test_pca_view_converter_round_trip():
    rng = np.random.RandomState(1)
    X = rng.randn(20, 12)
    mean = X.mean(0)
    _, _, vt = np.linalg.svd(X - mean, full_matrices=False)
    W = vt  # all 12 components: an exact round trip
    conv = PCA_ViewConverter(to_pca=lambda A: (A - mean) @ W.T, to_input=lambda Z: Z @ W + mean,
                             to_weights=lambda Z: Z @ W,
                             orig_view_converter=DefaultViewConverter((2, 3, 2)))
    codes = (X - mean) @ W.T
    topo = conv.design_mat_to_topo_view(codes)
    np.testing.assert_allclose(topo, DefaultViewConverter((2, 3, 2)).design_mat_to_topo_view(X),
                               atol=1e-10)
    np.testing.assert_allclose(conv.topo_view_to_design_mat(topo), codes, atol=1e-10)
    assert conv.view_shape() == (2, 3, 2)
    assert conv.design_mat_to_weights_view(codes[:2]).shape == (2, 2, 3, 2)
