"""Converter families the shared pickles do not cover, checked on crafted files with the
original's byte structure (protocols 0 and 2) against float64 numpy references of the
original's formulas computed from the same weights."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
import torch
from legacy_craft import Crafter, globals_of

from pylearn2.scripts.legacy_models import CONVERTERS, LAYER_CLASSES, convert_file
from pylearn2.utils.exc import ModelFileError, UnsafeObjectError
from pylearn2.utils.legacy.unpickler import KNOWN_STANDINS

PROTOCOLS = pytest.mark.parametrize("protocol", [0, 2])
MLP = "pylearn2.models.mlp."


def _write(tmp_path, blob: bytes, name: str = "crafted.pkl") -> str:
    path = tmp_path / name
    path.write_bytes(blob)
    return str(path)


def _np(t) -> np.ndarray:
    return t.detach().numpy().astype(np.float64) if isinstance(t, torch.Tensor) else t


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _softmax(z):
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def _f32(x):
    return np.asarray(x, np.float32).astype(np.float64)


def _mlp(c, layers, input_space, seed=3):
    for layer in layers:
        layer.__dict__.setdefault("mlp", None)
    mlp = c.obj(MLP + "MLP", own_class=True, layers=layers, input_space=input_space,
                batch_size=None, layer_name=None, rng=c.rng(seed), seed=[2013, 1, 4],
                monitor_targets=True, freeze_set=set(), names_to_del=set(), extensions=[])
    for layer in layers:
        layer.__dict__["mlp"] = mlp
    return mlp


# -- maxout convolution in ('c', 0, 1, 'b'), locally connected maxout ---------------------

def _c01b_conv(x, filters, pad):
    """cuda-convnet FilterActs: no kernel flip; x (c, r, c, b), filters (c, kr, kc, o)."""
    ch, rows, cols, batch = x.shape
    _, kr, kc, out = filters.shape
    xp = np.zeros((ch, rows + 2 * pad, cols + 2 * pad, batch))
    xp[:, pad:pad + rows, pad:pad + cols] = x
    orows, ocols = rows + 2 * pad - kr + 1, cols + 2 * pad - kc + 1
    z = np.zeros((out, orows, ocols, batch))
    for i in range(orows):
        for j in range(ocols):
            z[:, i, j] = np.einsum("cuvo,cuvb->ob", filters, xp[:, i:i + kr, j:j + kc])
    return z


def _pieces(z, num_pieces):
    """Output channel k = max over detector channels k*num_pieces + p (z[p::num_pieces])."""
    return np.max(np.stack([z[p::num_pieces] for p in range(num_pieces)]), axis=0)


def _pool_c01b(z, pool, stride):
    """Max pooling whose last window may hang over the edge (cuda-convnet's count)."""
    _, rows, cols, _ = z.shape
    n_r = int(np.ceil((rows - pool) / stride)) + 1
    n_c = int(np.ceil((cols - pool) / stride)) + 1
    out = np.zeros((z.shape[0], n_r, n_c, z.shape[3]))
    for i in range(n_r):
        for j in range(n_c):
            out[:, i, j] = z[:, i * stride:i * stride + pool, j * stride:j * stride + pool].max(
                axis=(1, 2))
    return out


def _local_c01b(x, filters):
    """TheanoLinear LocalDot: filters (rows, cols, colours, kr, kc, groups=1, per group)."""
    rows, cols, _, kr, kc, _, per = filters.shape
    out = np.zeros((per, rows, cols, x.shape[3]))
    for i in range(rows):
        for j in range(cols):
            out[:, i, j] = np.einsum("cuvf,cuvb->fb", filters[i, j, :, :, :, 0],
                                     x[:, i:i + kr, j:j + kc])
    return out


@PROTOCOLS
def test_maxout_conv_c01b_and_local_c01b_match_the_original_formulas(tmp_path, monkeypatch,
                                                                     protocol):
    rng = np.random.default_rng(0)
    in_ch, dummy, size, batch = 5, 3, 6, 4  # 5 channels: the original padded to 8
    conv_filters = rng.normal(size=(in_ch + dummy, 3, 3, 16)) * 0.3
    conv_b = rng.normal(size=(16, 6, 6)) * 0.1
    local_filters = rng.normal(size=(2, 2, 8, 2, 2, 1, 4)) * 0.3
    local_b = rng.normal(size=4) * 0.1

    with Crafter(monkeypatch) as c:
        space_in = c.conv_space((size, size), in_ch, ("c", 0, 1, "b"))
        detector = c.conv_space((6, 6), 16, ("c", 0, 1, "b"))
        conv_out = c.conv_space((3, 3), 8, ("c", 0, 1, "b"))
        conv = c.obj(
            "pylearn2.models.maxout.MaxoutConvC01B", own_class=True, num_channels=8,
            num_pieces=2, kernel_shape=[3, 3], pool_shape=[3, 3], pool_stride=[2, 2],
            layer_name="h0", irange=0.05, init_bias=0.0, W_lr_scale=None, b_lr_scale=None,
            pad=1, fix_pool_shape=False, fix_pool_stride=False, fix_kernel_shape=False,
            partial_sum=1, tied_b=False, max_kernel_norm=1.9, input_normalization=None,
            detector_normalization=None, min_zero=False, output_normalization=None,
            kernel_stride=(1, 1), detector_channels=16, input_space=space_in,
            dummy_channels=dummy, dummy_space=c.conv_space((size, size), 8, ("c", 0, 1, "b")),
            detector_space=detector, output_space=conv_out,
            transformer=c.obj("pylearn2.linear.conv2d_c01b.Conv2D",
                              _filters=c.shared(conv_filters, "W", cuda=True),
                              input_axes=("c", 0, 1, "b"), output_axes=("c", 0, 1, "b"),
                              pad=1, partial_sum=1, kernel_stride=(1, 1)),
            b=c.shared(conv_b, "b", cuda=True))
        local = c.obj(
            "pylearn2.models.maxout.MaxoutLocalC01B", own_class=True, num_channels=2,
            num_pieces=2, kernel_shape=[2, 2], layer_name="h1", pool_shape=[1, 1],
            pool_stride=[1, 1], irange=0.05, init_bias=0.0, W_lr_scale=None, b_lr_scale=None,
            pad=0, fix_pool_shape=False, fix_pool_stride=False, fix_kernel_shape=False,
            partial_sum=1, tied_b=True, max_kernel_norm=None, input_normalization=None,
            detector_normalization=None, min_zero=True, output_normalization=None,
            input_groups=1, kernel_stride=(1, 1), detector_channels=4, input_space=conv_out,
            desired_space=conv_out, dummy_channels=0,
            detector_space=c.conv_space((2, 2), 4, ("c", 0, 1, "b")),
            output_space=c.conv_space((2, 2), 2, ("c", 0, 1, "b")),
            transformer=c.obj("pylearn2.linear.local_c01b.Local",
                              _filters=c.shared(local_filters, "W"), input_groups=1),
            b=c.shared(local_b, "b"))
        blob = c.dumps(_mlp(c, [conv, local], space_in), protocol)
    assert {"pylearn2.models.maxout.MaxoutConvC01B", "theano.sandbox.cuda.type."
            "CudaNdarray_unpickler", "numpy.random.__RandomState_ctor"} <= globals_of(blob)
    model = convert_file(_write(tmp_path, blob))

    x = rng.normal(size=(in_ch, size, size, batch))
    padded = np.concatenate([x, np.zeros((dummy, size, size, batch))])  # the dummy channels
    z = _c01b_conv(padded, _f32(conv_filters), pad=1) + _f32(conv_b)[..., None]
    h0 = _pool_c01b(_pieces(z, 2), pool=3, stride=2)
    z1 = _local_c01b(h0, _f32(local_filters)) + _f32(local_b)[:, None, None, None]
    h1 = np.maximum(_pieces(z1, 2), 0.0)
    with torch.no_grad():
        ours = model.fprop(torch.as_tensor(x, dtype=torch.float32), return_all=True)
    assert ours[0].shape == h0.shape and ours[1].shape == h1.shape
    np.testing.assert_allclose(_np(ours[0]), h0, atol=2e-5)
    np.testing.assert_allclose(_np(ours[1]), h1, atol=2e-5)
    assert model.layers[0].max_kernel_norm == 1.9 and model.layers[1].tied_b


# -- the structural layers and the rest of the original's MLP layer classes --------------

def _dense(c, kind, name, W, b, **extra):
    return c.obj(MLP + kind, own_class=kind not in ("Tanh", "Sigmoid", "RectifiedLinear"),
                 layer_name=name, dim=W.shape[1], irange=0.1, b=c.shared(b, name + "_b"),
                 transformer=c.obj("pylearn2.linear.matrixmul.MatrixMul",
                                   _W=c.shared(W, name + "_W")),
                 max_col_norm=None, max_row_norm=None, use_bias=True, **extra)


@PROTOCOLS
def test_structural_and_remaining_mlp_layers_match_the_original_formulas(tmp_path,
                                                                        monkeypatch, protocol):
    rng = np.random.default_rng(1)
    W = {k: rng.normal(size=s) * 0.5 for k, s in
         {"lg": (5, 3), "sp": (5, 4), "t": (5, 4), "mx": (4, 4), "ae": (2, 3),
          "aeT": (3, 2), "y": (3, 2)}.items()}
    b = {k: rng.normal(size=v.shape[1]) * 0.2 for k, v in W.items()}
    beta = rng.uniform(0.5, 2.0, size=3)

    with Crafter(monkeypatch) as c:
        lg = _dense(c, "LinearGaussian", "lg", W["lg"], b["lg"], beta=c.shared(beta, "beta"),
                    init_beta=1.0, min_beta=0.1, max_beta=10.0, beta_lr_scale=None, kwargs={})
        sp = c.obj(MLP + "SoftmaxPool", own_class=True, detector_layer_dim=4, layer_name="sp",
                   pool_size=2, irange=0.1, b=c.shared(b["sp"], "sp_b"),
                   transformer=c.obj("pylearn2.linear.matrixmul.MatrixMul",
                                     _W=c.shared(W["sp"], "sp_W")))
        comp = c.obj(MLP + "CompositeLayer", own_class=True, layer_name="comp",
                     layers=[lg, sp], inputs_to_layers=None)
        flat = c.obj(MLP + "FlattenerLayer", own_class=True, raw_layer=comp,
                     layer_name="comp")
        inner_t = _dense(c, "Tanh", "t", W["t"], b["t"])
        inner_mx = c.obj("pylearn2.models.maxout.Maxout", own_class=True, layer_name="mx",
                         num_units=2, num_pieces=2, pool_stride=2, pool_size=2,
                         detector_layer_dim=4, randomize_pools=False, min_zero=False,
                         max_col_norm=None, max_row_norm=None, b=c.shared(b["mx"], "mx_b"),
                         transformer=c.obj("pylearn2.linear.matrixmul.MatrixMul",
                                           _W=c.shared(W["mx"], "mx_W")))
        inner = _mlp(c, [inner_t, inner_mx], c.vector_space(5))
        inner.__dict__["layer_name"] = "inner"
        sigmoid = c.obj("theano.tensor.elemwise.Elemwise", name="sigmoid",
                        scalar_op=c.obj("theano.tensor.nnet.sigm.ScalarSigmoid",
                                        name="scalar_sigmoid"),
                        destroy_map={}, nfunc_spec=None, openmp=False)
        ae = c.obj("pylearn2.models.autoencoder.Autoencoder", own_class=True, nvis=2, nhid=3,
                   act_enc=sigmoid, act_dec=None, tied_weights=False, irange=0.1,
                   weights=c.shared(W["ae"], "W"), hidbias=c.shared(b["ae"], "hb"),
                   visbias=c.shared(b["aeT"], "vb"), w_prime=c.shared(W["aeT"], "Wprime"),
                   input_space=c.vector_space(2), output_space=c.vector_space(3))
        pre = c.obj(MLP + "PretrainedLayer", own_class=True, layer_name="pre",
                    layer_content=ae, freeze_params=False)
        y = c.obj(MLP + "Softmax", own_class=True, layer_name="y", n_classes=2,
                  W=c.shared(W["y"], "softmax_W"), b=c.shared(b["y"], "softmax_b"),
                  max_col_norm=None, no_affine=False)
        blob = c.dumps(_mlp(c, [flat, inner, pre, y], c.vector_space(5)), protocol)
    model = convert_file(_write(tmp_path, blob))

    f = {k: _f32(v) for k, v in W.items()}
    g = {k: _f32(v) for k, v in b.items()}
    x = rng.normal(size=(6, 5))
    z = x @ f["sp"] + g["sp"]
    e = np.exp(z.reshape(6, 2, 2))
    pooled = (e / (1 + e.sum(2, keepdims=True))).sum(2)  # probabilistic max pooling
    flat_ref = np.concatenate([x @ f["lg"] + g["lg"], pooled], axis=1)
    t = np.tanh(flat_ref @ f["t"] + g["t"])
    mx = (t @ f["mx"] + g["mx"]).reshape(6, 2, 2).max(2)
    code = _sigmoid(mx @ f["ae"] + g["ae"])
    out = _softmax(code @ f["y"] + g["y"])
    with torch.no_grad():
        states = model.fprop(torch.as_tensor(x, dtype=torch.float32), return_all=True)
    for ours, ref in zip(states, [flat_ref, mx, code, out]):
        np.testing.assert_allclose(_np(ours), ref, atol=1e-5)
    composite = model.layers[0].raw_layer
    np.testing.assert_allclose(_np(composite.layers[0].beta), _f32(beta), atol=0)


@PROTOCOLS
def test_window_and_space_converter_layers(tmp_path, monkeypatch, protocol):
    rng = np.random.default_rng(2)
    with Crafter(monkeypatch) as c:
        bc01 = ("b", "c", 0, 1)
        window = c.obj(MLP + "WindowLayer", own_class=True, layer_name="win",
                       window=(1, 0, 3, 2))
        conv = c.obj(MLP + "SpaceConverter", own_class=True, layer_name="sc",
                     output_space=c.conv_space((3, 3), 2, ("b", 0, 1, "c")))
        blob = c.dumps(_mlp(c, [window, conv], c.conv_space((4, 4), 2, bc01)), protocol)
    model = convert_file(_write(tmp_path, blob))
    x = rng.normal(size=(3, 2, 4, 4))
    with torch.no_grad():
        ours = model.fprop(torch.as_tensor(x, dtype=torch.float32))
    np.testing.assert_allclose(_np(ours), x[:, :, 1:4, 0:3].transpose(0, 2, 3, 1), atol=1e-6)


def test_every_mlp_layer_class_of_the_original_is_converted():
    """The Layer subclasses of the original's models/mlp.py and models/maxout.py."""
    original = {MLP + n for n in (
        "MLP", "Softmax", "SoftmaxPool", "Linear", "Tanh", "Sigmoid", "RectifiedLinear",
        "Softplus", "SpaceConverter", "ConvElemwise", "ConvRectifiedLinear", "LinearGaussian",
        "PretrainedLayer", "CompositeLayer", "FlattenerLayer", "WindowLayer")} | {
        "pylearn2.models.maxout." + n for n in ("Maxout", "MaxoutConvC01B", "MaxoutLocalC01B")}
    assert original <= set(LAYER_CLASSES)
    known = {f"{m}.{n}" for m, n in KNOWN_STANDINS}
    assert set(LAYER_CLASSES) <= known and set(CONVERTERS) <= known


# -- autoencoders ------------------------------------------------------------------------

def _elemwise(c, scalar: str, name: str):
    return c.obj("theano.tensor.elemwise.Elemwise", name=name,
                 scalar_op=c.obj(scalar, name="scalar_" + name), destroy_map={},
                 nfunc_spec=None, openmp=False)


def _ae(c, kind, W, hb, vb, act_enc, act_dec, w_prime=None, **extra):
    return c.obj("pylearn2.models.autoencoder." + kind, own_class=True, nvis=W.shape[0],
                 nhid=W.shape[1], act_enc=act_enc, act_dec=act_dec,
                 tied_weights=w_prime is None, irange=0.1, weights=c.shared(W, "W"),
                 hidbias=c.shared(hb, "hb"), visbias=c.shared(vb, "vb"),
                 w_prime=None if w_prime is None else c.shared(w_prime, "Wprime"), **extra)


@PROTOCOLS
def test_contractive_and_deep_composed_autoencoders(tmp_path, monkeypatch, protocol):
    rng = np.random.default_rng(3)
    W1, hb1, vb1 = rng.normal(size=(6, 4)) * 0.5, rng.normal(size=4), rng.normal(size=6)
    W2, hb2, vb2 = rng.normal(size=(4, 3)) * 0.5, rng.normal(size=3), rng.normal(size=4)
    W2p = rng.normal(size=(3, 4)) * 0.5
    with Crafter(monkeypatch) as c:
        tanh = _elemwise(c, "theano.scalar.basic.Tanh", "tanh")
        cae = _ae(c, "ContractiveAutoencoder", W1, hb1, vb1, tanh, None)
        blob_cae = c.dumps(cae, protocol)
        softplus = _elemwise(c, "theano.tensor.nnet.sigm.ScalarSoftplus", "softplus")
        sig = _elemwise(c, "theano.tensor.nnet.sigm.ScalarSigmoid", "sigmoid")
        lower = _ae(c, "ContractiveAutoencoder", W1, hb1, vb1, tanh, None)
        upper = _ae(c, "Autoencoder", W2, hb2, vb2, softplus, sig, w_prime=W2p)
        deep = c.obj("pylearn2.models.autoencoder.DeepComposedAutoencoder", own_class=True,
                     autoencoders=[lower, upper], input_space=c.vector_space(6),
                     output_space=c.vector_space(3))
        blob_deep = c.dumps(deep, protocol)
        stack = c.obj("pylearn2.blocks.StackedBlocks", _layers=[lower, upper],
                      _params=set())
        blob_stack = c.dumps(stack, protocol)
    x = rng.normal(size=(5, 6))
    X = torch.as_tensor(x, dtype=torch.float32)
    w1, w2, w2p = _f32(W1), _f32(W2), _f32(W2p)
    h1 = np.tanh(x @ w1 + _f32(hb1))
    h2 = np.log1p(np.exp(h1 @ w2 + _f32(hb2)))

    cae_model = convert_file(_write(tmp_path, blob_cae, "cae.pkl"))
    from pylearn2.models.autoencoder import ContractiveAutoencoder
    assert isinstance(cae_model, ContractiveAutoencoder)
    with torch.no_grad():
        np.testing.assert_allclose(_np(cae_model.encode(X)), h1, atol=1e-5)
        np.testing.assert_allclose(_np(cae_model.decode(cae_model.encode(X))),
                                   h1 @ w1.T + _f32(vb1), atol=1e-5)
        # contraction penalty: mean over examples of ||d tanh(xW + b) / dx||_F^2
        jac = ((1 - h1 ** 2) ** 2) @ (w1 ** 2).sum(0)
        np.testing.assert_allclose(float(cae_model.contraction_penalty(X)), jac.mean(),
                                   rtol=1e-5)

    deep_model = convert_file(_write(tmp_path, blob_deep, "deep.pkl"))
    with torch.no_grad():
        np.testing.assert_allclose(_np(deep_model.encode(X)), h2, atol=1e-5)
        back = _sigmoid(h2 @ w2p + _f32(vb2)) @ w1.T + _f32(vb1)
        np.testing.assert_allclose(_np(deep_model.reconstruct(X)), back, atol=1e-5)

    stack_model = convert_file(_write(tmp_path, blob_stack, "stack.pkl"))
    with torch.no_grad():
        np.testing.assert_allclose(_np(stack_model.perform(X)), h2, atol=1e-5)


# -- DBM ---------------------------------------------------------------------------------

def _pool_channels(z, pool, top_down=None):
    """Probabilistic max pooling: P(h_i) = e^(z_i + t) / (1 + sum_j e^(z_j + t))."""
    n = z.shape[0]
    groups = z.reshape(n, -1, pool)
    if top_down is not None:
        groups = groups + top_down[:, :, None]
    e = np.exp(groups)
    h = e / (1.0 + e.sum(2, keepdims=True))
    return h.sum(2), h.reshape(n, -1)


def _bvmp(c, name, W, b, pool, input_dim):
    det = W.shape[1]
    return c.obj("pylearn2.models.dbm.layer.BinaryVectorMaxPool", own_class=True,
                 detector_layer_dim=det, pool_size=pool, layer_name=name, irange=0.1,
                 sparse_init=None, sparse_stdev=1.0, include_prob=1.0, init_bias=0.0,
                 W_lr_scale=None, b_lr_scale=None, center=False, mask_weights=None,
                 max_col_norm=None, copies=1, b=c.shared(b, name + "_b"),
                 input_space=c.vector_space(input_dim), requires_reformat=False,
                 input_dim=input_dim, h_space=c.vector_space(det), pool_layer_dim=det // pool,
                 output_space=c.vector_space(det // pool),
                 transformer=c.obj("pylearn2.linear.matrixmul.MatrixMul",
                                   _W=c.shared(W, name + "_W")))


def _dbm(c, visible, hidden, niter, procedure="WeightDoubling"):
    dbm = c.obj("pylearn2.models.dbm.dbm.DBM", own_class=True, batch_size=4,
                visible_layer=visible, hidden_layers=hidden, niter=niter,
                sampling_procedure=c.obj("pylearn2.models.dbm.sampling_procedure.GibbsEvenOdd"),
                inference_procedure=c.obj(
                    f"pylearn2.models.dbm.inference_procedure.{procedure}"),
                rng=c.rng(5), layer_names={layer.layer_name for layer in hidden},
                force_batch_size=4, freeze_set=set())
    for layer in [visible, *hidden]:
        layer.__dict__["dbm"] = dbm
    dbm.inference_procedure.__dict__["dbm"] = dbm
    dbm.sampling_procedure.__dict__["dbm"] = dbm
    return dbm


@PROTOCOLS
def test_dbm_mean_field_matches_the_original_weight_doubling(tmp_path, monkeypatch, protocol):
    rng = np.random.default_rng(4)
    W0, b0 = rng.normal(size=(6, 4)), rng.normal(size=4) * 0.3
    W1, b1 = rng.normal(size=(2, 3)), rng.normal(size=3) * 0.3
    Wy, by = rng.normal(size=(3, 3)), rng.normal(size=3) * 0.3
    vis_b = rng.normal(size=6)
    with Crafter(monkeypatch) as c:
        visible = c.obj("pylearn2.models.dbm.layer.BinaryVector", own_class=True, nvis=6,
                        center=False, copies=1, learn_init_inpainting_state=False,
                        space=c.vector_space(6), input_space=c.vector_space(6),
                        bias=c.shared(vis_b, "visible_bias"))
        h0 = _bvmp(c, "h0", W0, b0, pool=2, input_dim=6)
        h1 = _bvmp(c, "h1", W1, b1, pool=1, input_dim=2)
        y = c.obj("pylearn2.models.dbm.layer.Softmax", own_class=True, n_classes=3,
                  layer_name="y", irange=0.1, sparse_init=None, sparse_istdev=1.0,
                  W_lr_scale=None, b_lr_scale=None, max_col_norm=None, copies=1, center=False,
                  learn_init_inpainting_state=True, output_space=c.vector_space(3),
                  b=c.shared(by, "softmax_b"), W=c.shared(Wy, "softmax_W"),
                  input_space=c.vector_space(3), input_dim=3, needs_reformat=False,
                  desired_space=c.vector_space(3))
        blob = c.dumps(_dbm(c, visible, [h0, h1, y], niter=5), protocol)
    model = convert_file(_write(tmp_path, blob))

    w0, w1, wy = _f32(W0), _f32(W1), _f32(Wy)
    g0, g1, gy = _f32(b0), _f32(b1), _f32(by)
    v = (rng.uniform(size=(4, 6)) < 0.5).astype(np.float64)
    # bottom-up pass, weights doubled for every layer but the top
    p0, d0 = _pool_channels(2 * v @ w0 + g0, 2)
    p1, d1 = _pool_channels(2 * p0 @ w1 + g1, 1)
    q = _softmax(p1 @ wy + gy)
    for _ in range(4):  # niter - 1 alternating even / odd sweeps
        p0, d0 = _pool_channels(v @ w0 + g0, 2, d1 @ w1.T)
        q = _softmax(p1 @ wy + gy)
        p1, d1 = _pool_channels(p0 @ w1 + g1, 1, q @ wy.T)
    with torch.no_grad():
        H = model.mf(torch.as_tensor(v, dtype=torch.float32))
    np.testing.assert_allclose(_np(H[0][0]), p0, atol=1e-5)
    np.testing.assert_allclose(_np(H[0][1]), d0, atol=1e-5)
    np.testing.assert_allclose(_np(H[1][1]), d1, atol=1e-5)
    np.testing.assert_allclose(_np(H[2]), q, atol=1e-5)
    # the energy of the original, -b_v.v - sum_layers (b.d + (u W) . d)
    with torch.no_grad():
        energy = model.energy(torch.as_tensor(v, dtype=torch.float32), H)
    ref = (-v @ _f32(vis_b) - d0 @ g0 - ((v @ w0) * d0).sum(1) - d1 @ g1
           - ((p0 @ w1) * d1).sum(1) - q @ gy - ((p1 @ wy) * q).sum(1))
    np.testing.assert_allclose(_np(energy), ref, atol=1e-4)
    assert type(model.inference_procedure).__name__ == "WeightDoubling"


@PROTOCOLS
def test_dbm_with_a_gaussian_visible_layer(tmp_path, monkeypatch, protocol):
    rng = np.random.default_rng(5)
    W, b = rng.normal(size=(5, 3)), rng.normal(size=3) * 0.3
    mu, beta = rng.normal(size=5), rng.uniform(0.5, 3.0, size=5)
    with Crafter(monkeypatch) as c:
        visible = c.obj("pylearn2.models.dbm.layer.GaussianVisLayer", own_class=True,
                        rows=None, cols=None, learn_init_inpainting_state=True, channels=None,
                        nvis=5, init_beta=1.0, min_beta=0.5, init_mu=None, tie_beta=None,
                        tie_mu=None, beta_lr_scale="by_sharing", axes=("b", 0, 1, "c"),
                        space=c.vector_space(5), input_space=c.vector_space(5), axes_to_sum=1,
                        batch_axis=None, beta=c.shared(beta, "beta"), mu=c.shared(mu, "mu"))
        h0 = _bvmp(c, "h0", W, b, pool=1, input_dim=5)
        blob = c.dumps(_dbm(c, visible, [h0], niter=3, procedure="BiasInit"), protocol)
    model = convert_file(_write(tmp_path, blob))

    w, m, bt = _f32(W), _f32(mu), _f32(beta)
    v = rng.normal(size=(4, 5))
    up = (v - m) * bt  # the original GaussianVisLayer.upward_state
    h = _sigmoid(up @ w + _f32(b))
    with torch.no_grad():
        V = torch.as_tensor(v, dtype=torch.float32)
        H = model.mf(V)
        v_mean = model.visible_layer.mf_update(model.hidden_layers[0].downward_state(H[0]),
                                               model.hidden_layers[0])
        energy = model.energy(V, H)
    np.testing.assert_allclose(_np(H[0][1]), h, atol=1e-5)
    np.testing.assert_allclose(_np(v_mean), m + h @ w.T, atol=1e-5)  # msg + mu
    ref = 0.5 * (bt * (v - m) ** 2).sum(1) - h @ _f32(b) - (up @ w * h).sum(1)
    np.testing.assert_allclose(_np(energy), ref, atol=1e-4)
    assert type(model.inference_procedure).__name__ == "BiasInit"
    assert model.visible_layer.min_beta == 0.5


# -- refusing hostile or unknown content inside the new families ------------------------

class _Canary:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


@PROTOCOLS
@pytest.mark.parametrize("family", ["dbm", "maxout_conv", "deep_ae"])
def test_hostile_content_in_the_new_families_is_refused_unrun(tmp_path, monkeypatch, protocol,
                                                             family):
    canary = tmp_path / "canary_created"
    with Crafter(monkeypatch) as c:
        bomb = _Canary(str(canary))
        if family == "dbm":
            visible = c.obj("pylearn2.models.dbm.layer.BinaryVector", nvis=2, bias=bomb)
            obj = _dbm(c, visible, [_bvmp(c, "h0", np.ones((2, 2)), np.ones(2), 1, 2)], 1)
        elif family == "maxout_conv":
            layer = c.obj("pylearn2.models.maxout.MaxoutConvC01B", layer_name="h0",
                          input_normalization=bomb)
            obj = _mlp(c, [layer], c.conv_space((4, 4), 1, ("c", 0, 1, "b")))
        else:
            obj = c.obj("pylearn2.models.autoencoder.DeepComposedAutoencoder",
                        autoencoders=[bomb])
        blob = pickle.dumps(obj, protocol=protocol)
    path = _write(tmp_path, blob)
    with pytest.raises(UnsafeObjectError, match="system"):
        convert_file(path)
    assert not canary.exists()


@PROTOCOLS
def test_an_unknown_layer_class_in_a_dbm_is_refused_by_name(tmp_path, monkeypatch, protocol):
    extra = ("pylearn2.models.dbm.layer.HandWrittenLayer",)
    with Crafter(monkeypatch, extra=extra) as c:
        visible = c.obj("pylearn2.models.dbm.layer.BinaryVector", nvis=2)
        hidden = c.obj(extra[0], layer_name="odd")
        blob = c.dumps(_dbm(c, visible, [hidden], 1), protocol)
    with pytest.raises(UnsafeObjectError, match="HandWrittenLayer"):
        convert_file(_write(tmp_path, blob))


@PROTOCOLS
def test_a_known_but_unsupported_layer_names_itself(tmp_path, monkeypatch, protocol):
    with Crafter(monkeypatch) as c:
        visible = c.obj("pylearn2.models.dbm.layer.BinaryVector", nvis=4, center=False,
                        bias=c.shared(np.zeros(4)))
        conv = c.obj("pylearn2.models.dbm.layer.ConvMaxPool", layer_name="cmp")
        blob = c.dumps(_dbm(c, visible, [conv], 1), protocol)
    with pytest.raises(ModelFileError, match="cmp.*ConvMaxPool"):
        convert_file(_write(tmp_path, blob))


@pytest.mark.parametrize("family", ["dbm", "stacked_blocks", "structural_mlp"])
def test_convert_command_saves_the_new_families(tmp_path, monkeypatch, capsys, family):
    """``pylearn2 convert`` writes a model file that serial.load reads back unchanged."""
    from pylearn2.scripts.cli import main
    from pylearn2.utils import serial

    rng = np.random.default_rng(6)
    with Crafter(monkeypatch) as c:
        if family == "dbm":
            visible = c.obj("pylearn2.models.dbm.layer.BinaryVector", nvis=4, center=False,
                            bias=c.shared(rng.normal(size=4)))
            obj = _dbm(c, visible, [_bvmp(c, "h0", rng.normal(size=(4, 2)),
                                          rng.normal(size=2), 1, 4)], 2)
        else:
            sig = _elemwise(c, "theano.tensor.nnet.sigm.ScalarSigmoid", "sigmoid")
            ae = _ae(c, "DenoisingAutoencoder", rng.normal(size=(4, 3)), rng.normal(size=3),
                     rng.normal(size=4), sig, sig,
                     corruptor=c.obj("pylearn2.corruption.BinomialCorruptor",
                                     corruption_level=0.3))
            if family == "stacked_blocks":
                obj = c.obj("pylearn2.blocks.StackedBlocks", _layers=[ae])
            else:
                pre = c.obj(MLP + "PretrainedLayer", layer_name="pre", layer_content=ae,
                            freeze_params=True)
                obj = _mlp(c, [pre], c.vector_space(4))
        blob = c.dumps(obj, 2)
    old, new = _write(tmp_path, blob, "old.pkl"), str(tmp_path / "new.pkl")
    assert main(["convert", old, new]) == 0
    assert "->" in capsys.readouterr().out
    x = torch.as_tensor(rng.normal(size=(3, 4)), dtype=torch.float32)
    converted, loaded = convert_file(old), serial.load(new)
    with torch.no_grad():
        if family == "dbm":
            a, b = converted.mf(x)[0][1], loaded.mf(x)[0][1]
        elif family == "stacked_blocks":
            a, b = converted.perform(x), loaded.perform(x)
        else:
            a, b = converted.fprop(x), loaded.fprop(x)
    np.testing.assert_array_equal(_np(a), _np(b))
