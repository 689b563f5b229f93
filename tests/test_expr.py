"""pylearn2.expr functions against float64 numpy references written from the definitions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pylearn2.expr import activations, basic, coding, information_theory, nnet, normalize
from pylearn2.expr.sampling import SampleBernoulli
from pylearn2.expr.stochastic_pool import stochastic_max_pool_bc01, weighted_max_pool_bc01
from pylearn2.utils.exc import ConfigError

RNG = np.random.RandomState(42)


def t(a):
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


def test_basic_norms_min_max_inner_products():
    W = RNG.randn(5, 4)
    ref = np.array([np.sqrt(1e-8 + sum(W[i, j] ** 2 for i in range(5))) for j in range(4)])
    np.testing.assert_allclose(basic.numpy_norms(W), ref, rtol=1e-12)
    np.testing.assert_allclose(basic.norms(t(W)).numpy(), ref, rtol=1e-12)
    V = RNG.randn(2, 3, 4)
    assert basic.full_min(t(V)).item() == V.min() and basic.full_max(t(V)).item() == V.max()
    xs, ys = [RNG.randn(3), RNG.randn(2, 2)], [RNG.randn(3), RNG.randn(2, 2)]
    ref_ip = float(np.concatenate([x.ravel() for x in xs]) @ np.concatenate([y.ravel() for y in ys]))
    assert basic.inner_product([t(x) for x in xs], [t(y) for y in ys]).item() == pytest.approx(ref_ip)
    sq = sum(float((x ** 2).sum()) for x in xs)
    assert basic.sqrt_inner_product([t(x) for x in xs]).item() == pytest.approx(np.sqrt(sq))
    assert basic.is_binary(np.array([0, 1, 1.0])) and not basic.is_binary(np.array([0.5]))
    A = RNG.randn(3, 4) * 50
    np.testing.assert_allclose(basic.log_sum_exp(t(A), axis=1).numpy(),
                               A.max(1) + np.log(np.exp(A - A.max(1, keepdims=True)).sum(1)))
    x = t([-1.0, 0.5, 2.0, 5.0])
    out = basic.multiple_switch(x < 0, t([10.0] * 4), x < 1, t([20.0] * 4), x)
    np.testing.assert_array_equal(out.numpy(), [10.0, 20.0, 2.0, 5.0])
    with pytest.raises(ConfigError):
        basic.multiple_switch(x < 0, x)


@pytest.mark.parametrize("a,b", [(3.0, 4.0), (-3.0, 4.0), (4.0, -3.0), (0.0, 2.0), (2.0, 0.0),
                                 (0.0, 0.0), (1e300, 1e300), (-1e-300, 5e-301)])
def test_sym_givens2_rotates_onto_the_first_axis(a, b):
    c, s, d = (v.item() for v in basic.symGivens2(a, b))
    assert d == pytest.approx(np.hypot(a, b), rel=1e-12)
    if a or b:
        assert c * a + s * b == pytest.approx(d, rel=1e-12)
        assert s * a - c * b == pytest.approx(0.0, abs=1e-12 * max(abs(a), abs(b)))
        assert c * c + s * s == pytest.approx(1.0)


def test_nnet_numpy_helpers_and_inverses():
    x = RNG.randn(4, 5) * 3
    ref = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(nnet.softmax_numpy(x), ref, rtol=1e-12)
    y = nnet.pseudoinverse_softmax_numpy(ref[0])
    np.testing.assert_allclose(nnet.softmax_numpy(y[None])[0], ref[0], rtol=1e-12)
    assert abs(y.mean()) < 1e-12
    p = nnet.sigmoid_numpy(x)
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-x)), rtol=1e-12)
    np.testing.assert_allclose(nnet.inverse_sigmoid_numpy(p), x, rtol=1e-9)


def test_nnet_kl_softmax_ratio_f1():
    z = RNG.randn(6, 3)
    Y = (RNG.rand(6, 3) > 0.5).astype(float)
    p = 1 / (1 + np.exp(-z))
    ref = -(Y * np.log(p) + (1 - Y) * np.log(1 - p))
    np.testing.assert_allclose(nnet.elemwise_kl(t(Y), t(p)).numpy(), ref, rtol=1e-9)
    np.testing.assert_allclose(nnet.elemwise_kl_from_logits(t(Y), t(z)).numpy(), ref, rtol=1e-12)
    np.testing.assert_allclose(nnet.kl(t(Y), t(p), batch_axis=0).numpy(), ref.mean(axis=1),
                               rtol=1e-9)
    with pytest.raises(ConfigError, match="between 0 and 1"):
        nnet.elemwise_kl(t(Y + 1), t(p))
    a, b = nnet.softmax_numpy(RNG.randn(3, 4)), nnet.softmax_numpy(RNG.randn(3, 4))
    np.testing.assert_allclose(nnet.softmax_ratio(t(a), t(b)).numpy(), a / b, rtol=1e-10)
    np.testing.assert_allclose(nnet.arg_of_softmax(t(a)).softmax(dim=1).numpy(), a, rtol=1e-12)
    tp, fp, labels = t(3.0), t(1.0), t([1, 1, 0, 1, 1])
    prec, rec = nnet.compute_precision(tp, fp), nnet.compute_recall(labels, tp)
    assert prec.item() == 0.75 and rec.item() == 0.75
    assert nnet.compute_f1(prec, rec).item() == pytest.approx(2 * 0.75 * 0.75 / 1.5)
    assert nnet.compute_precision(t(0.0), t(0.0)).item() == 0.0


def _lrn_reference(x, alpha, k, beta, n, axis):
    x = np.moveaxis(x, axis, 0)
    out = np.empty_like(x)
    ch, half = x.shape[0], n // 2
    for i in range(ch):
        lo, hi = max(0, i - half), min(ch, i + half + 1)
        out[i] = x[i] / (k + alpha * (x[lo:hi] ** 2).sum(axis=0)) ** beta
    return np.moveaxis(out, 0, axis)


def test_cross_channel_normalization_both_layouts():
    x = RNG.randn(2, 7, 3, 4)
    norm = normalize.CrossChannelNormalizationBC01(alpha=0.1, k=1.5, beta=0.6, n=3)
    np.testing.assert_allclose(norm(t(x)).numpy(), _lrn_reference(x, 0.1, 1.5, 0.6, 3, 1),
                               rtol=1e-12)
    c01b = RNG.randn(6, 3, 3, 2)
    norm2 = normalize.CrossChannelNormalization(alpha=0.2, n=5)
    np.testing.assert_allclose(norm2(t(c01b)).numpy(),
                               _lrn_reference(c01b, 0.2, 2.0, 0.75, 5, 0), rtol=1e-12)
    with pytest.raises(ConfigError, match="odd"):
        normalize.CrossChannelNormalization(n=4)


def test_activations_coding_entropy():
    x = RNG.randn(3, 4)
    tx = t(x)
    assert activations.identity(tx) is tx
    np.testing.assert_array_equal(activations.relu(t(x)).numpy(), np.maximum(0, x))
    sm = activations.rescaled_softmax(t(x), min_val=1e-3).numpy()
    ref = nnet.softmax_numpy(x) * (1 - 4 * 1e-3) + 1e-3
    np.testing.assert_allclose(sm, ref, rtol=1e-12)
    np.testing.assert_allclose(sm.sum(axis=1), 1.0)
    X, C = RNG.randn(5, 3), RNG.randn(4, 3)
    Z = np.sqrt(((X[:, None, :] - C[None, :, :]) ** 2).sum(-1))
    ref_code = np.maximum(0, Z.mean(axis=1, keepdims=True) - Z)
    np.testing.assert_allclose(coding.triangle_code(t(X), t(C)).numpy(), ref_code, atol=1e-10)
    P = np.array([[0.0, 1.0, 0.5], [0.2, 0.9, 0.3]])

    def h(q):
        return 0.0 if q in (0.0, 1.0) else -(q * np.log(q) + (1 - q) * np.log(1 - q))

    ref_h = [sum(h(q) for q in row) for row in P]
    np.testing.assert_allclose(information_theory.entropy_binary_vector(t(P)).numpy(), ref_h,
                               rtol=1e-12)


def test_sample_bernoulli_frequencies_and_resume():
    block = SampleBernoulli(seed=1)
    p = torch.full((20000,), 0.3, dtype=torch.float64)
    first = block(p)
    assert set(first.unique().tolist()) <= {0.0, 1.0}
    assert abs(first.mean().item() - 0.3) < 0.015
    state = block.state_dict()
    a = block(p)
    block.load_state_dict(state)
    torch.testing.assert_close(block(p), a)


def _pool_reference(x, pool, stride):
    b, c, r, cc = x.shape
    (pr, pc), (rs, cs) = pool, stride
    out_r, out_c = int(np.ceil((r - pr) / rs)) + 1, int(np.ceil((cc - pc) / cs)) + 1
    padded = np.zeros((b, c, (out_r - 1) * rs + pr, (out_c - 1) * cs + pc))
    padded[:, :, :r, :cc] = x
    wins = np.empty((b, c, out_r, out_c, pr * pc))
    for i in range(out_r):
        for j in range(out_c):
            wins[:, :, i, j] = padded[:, :, i * rs:i * rs + pr, j * cs:j * cs + pc].reshape(b, c, -1)
    return wins


def test_weighted_and_stochastic_max_pool():
    x = np.abs(RNG.randn(2, 3, 5, 5))
    x[0, 0] = 0.0  # an all-zero map gives zero pools
    wins = _pool_reference(x, (2, 2), (2, 2))
    s = wins.sum(-1, keepdims=True)
    ref = np.where(s[..., 0] > 0, (wins ** 2).sum(-1) / np.where(s[..., 0] > 0, s[..., 0], 1), 0)
    out = weighted_max_pool_bc01(t(x), (2, 2), (2, 2), (5, 5))
    assert out.shape == (2, 3, 3, 3)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12)
    samp = stochastic_max_pool_bc01(t(x), (2, 2), (2, 2), (5, 5), rng=0).numpy()
    # each pooled value is one of its pool's entries; zero pools stay zero
    assert np.all(np.isclose(samp[..., None], wins).any(-1))
    assert np.all(samp[0, 0] == 0)
    # frequencies follow value / pool sum
    one = t(np.array([1.0, 3.0]).reshape(1, 1, 1, 2))
    gen = torch.Generator().manual_seed(0)
    draws = torch.stack([stochastic_max_pool_bc01(one, (1, 2), (1, 1), rng=gen) for _ in range(4000)])
    assert abs((draws == 3.0).double().mean().item() - 0.75) < 0.03


def _all_pr_reference(pos, neg):
    thresholds = sorted(set(pos) | set(neg), reverse=True)
    precision, recall = [1.0], [0.0]
    for t in thresholds:
        tp = sum(s >= t for s in pos)
        fp = sum(s >= t for s in neg)
        precision.append(tp / (tp + fp) if tp + fp else 1.0)
        recall.append(tp / len(pos))
    return precision, recall


def test_all_pr_matches_threshold_enumeration():
    from pylearn2.expr.evaluation import all_pr

    pos = [0.9, 0.8, 0.8, 0.3, 0.1]
    neg = [0.8, 0.5, 0.3, 0.2]
    p, r = all_pr(pos, neg)
    rp, rr = _all_pr_reference(pos, neg)
    np.testing.assert_allclose(p, rp)
    np.testing.assert_allclose(r, rr)
    assert r[-1] == 1.0 and p[-1] == pytest.approx(5 / 9)
    rng = np.random.RandomState(3)
    pos, neg = list(rng.rand(30).round(2)), list(rng.rand(40).round(2))
    for ours, ref in zip(all_pr(pos, neg), _all_pr_reference(pos, neg)):
        np.testing.assert_allclose(ours, ref)


def test_color_to_gray_numpy_and_torch():
    from pylearn2.expr.image import color_to_gray

    img = RNG.rand(2, 3, 4, 3)
    ref = np.einsum("bijc,c->bij", img, [0.299, 0.587, 0.114])[..., None]
    np.testing.assert_allclose(color_to_gray(img), ref, rtol=1e-12)
    np.testing.assert_allclose(color_to_gray(t(img)).numpy(), ref, rtol=1e-12)
