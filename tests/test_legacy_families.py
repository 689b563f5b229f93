"""Converter families the shared pickles do not cover, checked on crafted files with the
original's byte structure (protocols 0 and 2) against float64 numpy references of the
original's formulas computed from the same weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from legacy_craft import (
    Crafter,
    as_f64,
    autoencoder,
    craft_mlp,
    dense_layer,
    elemwise,
    f32,
    globals_of,
    sigmoid,
    softmax,
    write_pickle,
)

from pylearn2.scripts.legacy_models import CONVERTERS, LAYER_CLASSES, convert_file
from pylearn2.utils.exc import ModelFileError
from pylearn2.utils.legacy.unpickler import KNOWN_STANDINS

PROTOCOLS = pytest.mark.parametrize("protocol", [0, 2])
MLP = "pylearn2.models.mlp."


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
        blob = c.dumps(craft_mlp(c, [conv, local], space_in), protocol)
    assert {"pylearn2.models.maxout.MaxoutConvC01B", "theano.sandbox.cuda.type."
            "CudaNdarray_unpickler", "numpy.random.__RandomState_ctor"} <= globals_of(blob)
    model = convert_file(write_pickle(tmp_path, blob))

    x = rng.normal(size=(in_ch, size, size, batch))
    padded = np.concatenate([x, np.zeros((dummy, size, size, batch))])  # the dummy channels
    z = _c01b_conv(padded, f32(conv_filters), pad=1) + f32(conv_b)[..., None]
    h0 = _pool_c01b(_pieces(z, 2), pool=3, stride=2)
    z1 = _local_c01b(h0, f32(local_filters)) + f32(local_b)[:, None, None, None]
    h1 = np.maximum(_pieces(z1, 2), 0.0)
    with torch.no_grad():
        ours = model.fprop(torch.as_tensor(x, dtype=torch.float32), return_all=True)
    assert ours[0].shape == h0.shape and ours[1].shape == h1.shape
    np.testing.assert_allclose(as_f64(ours[0]), h0, atol=2e-5)
    np.testing.assert_allclose(as_f64(ours[1]), h1, atol=2e-5)
    assert model.layers[0].max_kernel_norm == 1.9 and model.layers[1].tied_b


# -- the structural layers and the rest of the original's MLP layer classes --------------

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
        lg = dense_layer(c, "LinearGaussian", "lg", W["lg"], b["lg"], beta=c.shared(beta, "beta"),
                    init_beta=1.0, min_beta=0.1, max_beta=10.0, beta_lr_scale=None, kwargs={})
        sp = c.obj(MLP + "SoftmaxPool", own_class=True, detector_layer_dim=4, layer_name="sp",
                   pool_size=2, irange=0.1, b=c.shared(b["sp"], "sp_b"),
                   transformer=c.obj("pylearn2.linear.matrixmul.MatrixMul",
                                     _W=c.shared(W["sp"], "sp_W")))
        comp = c.obj(MLP + "CompositeLayer", own_class=True, layer_name="comp",
                     layers=[lg, sp], inputs_to_layers=None)
        flat = c.obj(MLP + "FlattenerLayer", own_class=True, raw_layer=comp,
                     layer_name="comp")
        inner_t = dense_layer(c, "Tanh", "t", W["t"], b["t"])
        inner_mx = c.obj("pylearn2.models.maxout.Maxout", own_class=True, layer_name="mx",
                         num_units=2, num_pieces=2, pool_stride=2, pool_size=2,
                         detector_layer_dim=4, randomize_pools=False, min_zero=False,
                         max_col_norm=None, max_row_norm=None, b=c.shared(b["mx"], "mx_b"),
                         transformer=c.obj("pylearn2.linear.matrixmul.MatrixMul",
                                           _W=c.shared(W["mx"], "mx_W")))
        inner = craft_mlp(c, [inner_t, inner_mx], c.vector_space(5))
        inner.__dict__["layer_name"] = "inner"
        ae = autoencoder(c, "Autoencoder", W["ae"], b["ae"], b["aeT"],
                         elemwise(c, "theano.tensor.nnet.sigm.ScalarSigmoid", "sigmoid"),
                         None, w_prime=W["aeT"], input_space=c.vector_space(2),
                         output_space=c.vector_space(3))
        pre = c.obj(MLP + "PretrainedLayer", own_class=True, layer_name="pre",
                    layer_content=ae, freeze_params=False)
        y = c.obj(MLP + "Softmax", own_class=True, layer_name="y", n_classes=2,
                  W=c.shared(W["y"], "softmax_W"), b=c.shared(b["y"], "softmax_b"),
                  max_col_norm=None, no_affine=False)
        blob = c.dumps(craft_mlp(c, [flat, inner, pre, y], c.vector_space(5)), protocol)
    model = convert_file(write_pickle(tmp_path, blob))

    f = {k: f32(v) for k, v in W.items()}
    g = {k: f32(v) for k, v in b.items()}
    x = rng.normal(size=(6, 5))
    z = x @ f["sp"] + g["sp"]
    e = np.exp(z.reshape(6, 2, 2))
    pooled = (e / (1 + e.sum(2, keepdims=True))).sum(2)  # probabilistic max pooling
    flat_ref = np.concatenate([x @ f["lg"] + g["lg"], pooled], axis=1)
    t = np.tanh(flat_ref @ f["t"] + g["t"])
    mx = (t @ f["mx"] + g["mx"]).reshape(6, 2, 2).max(2)
    code = sigmoid(mx @ f["ae"] + g["ae"])
    out = softmax(code @ f["y"] + g["y"])
    with torch.no_grad():
        states = model.fprop(torch.as_tensor(x, dtype=torch.float32), return_all=True)
    for ours, ref in zip(states, [flat_ref, mx, code, out]):
        np.testing.assert_allclose(as_f64(ours), ref, atol=1e-5)
    composite = model.layers[0].raw_layer
    np.testing.assert_allclose(as_f64(composite.layers[0].beta), f32(beta), atol=0)


@PROTOCOLS
def test_window_and_space_converter_layers(tmp_path, monkeypatch, protocol):
    rng = np.random.default_rng(2)
    with Crafter(monkeypatch) as c:
        bc01 = ("b", "c", 0, 1)
        window = c.obj(MLP + "WindowLayer", own_class=True, layer_name="win",
                       window=(1, 0, 3, 2))
        conv = c.obj(MLP + "SpaceConverter", own_class=True, layer_name="sc",
                     output_space=c.conv_space((3, 3), 2, ("b", 0, 1, "c")))
        blob = c.dumps(craft_mlp(c, [window, conv], c.conv_space((4, 4), 2, bc01)), protocol)
    model = convert_file(write_pickle(tmp_path, blob))
    x = rng.normal(size=(3, 2, 4, 4))
    with torch.no_grad():
        ours = model.fprop(torch.as_tensor(x, dtype=torch.float32))
    np.testing.assert_allclose(as_f64(ours), x[:, :, 1:4, 0:3].transpose(0, 2, 3, 1), atol=1e-6)


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


# -- norm constraints kept as model extensions, cuDNN kernels ----------------------------

def _norm_extension(c, limit, axis, kind="MaxL2FilterNorm"):
    return c.obj(f"pylearn2.model_extensions.norm_constraint.{kind}", max_limit=limit,
                 min_limit=None, axis=axis)


def _bc01_convolution(x, kernels):
    """Theano conv2d / cuDNN 'conv' mode: a true convolution (the kernel flipped)."""
    flipped = kernels[:, :, ::-1, ::-1]
    kr, kc = kernels.shape[2:]
    rows, cols = x.shape[2] - kr + 1, x.shape[3] - kc + 1
    out = np.zeros((x.shape[0], kernels.shape[0], rows, cols))
    for i in range(rows):
        for j in range(cols):
            out[:, :, i, j] = np.einsum("bcuv,ocuv->bo", x[:, :, i:i + kr, j:j + kc], flipped)
    return out


@pytest.mark.parametrize("protocol", [0, 2])
def test_cudnn_convolution_and_norm_limits_from_model_extensions(tmp_path, monkeypatch,
                                                                 protocol):
    rng = np.random.default_rng(7)
    kernels, kb = rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3) * 0.1
    W, b = rng.normal(size=(3 * 3 * 3, 2)), rng.normal(size=2)
    with Crafter(monkeypatch) as c:
        space = c.conv_space((5, 5), 2, ("b", "c", 0, 1))
        conv = c.obj(MLP + "ConvElemwise", own_class=True, output_channels=3,
                     kernel_shape=[3, 3], layer_name="h0", border_mode="valid", tied_b=True,
                     nonlinearity=c.obj(MLP + "TanhConvNonlinearity"), pool_type=None,
                     max_kernel_norm=None, detector_normalization=None,
                     output_normalization=None, kernel_stride=(1, 1), input_space=space,
                     extensions=[_norm_extension(c, 1.5, (1, 2, 3))], b=c.shared(kb, "h0_b"),
                     transformer=c.obj("pylearn2.linear.cudnn2d.Cudnn2D",
                                       _filters=c.shared(kernels, "h0_W", cuda=True)))
        dense = dense_layer(c, "Linear", "h1", W, b,
                            extensions=[_norm_extension(c, 2.5, 0)])
        blob = c.dumps(craft_mlp(c, [conv, dense], space), protocol)
        odd = dense_layer(c, "Linear", "h1", W, b, extensions=[
            _norm_extension(c, 2.5, 0, kind="ConstrainFilterL2Norm")])
        odd_blob = c.dumps(craft_mlp(c, [odd], c.vector_space(27)), protocol)
    model = convert_file(write_pickle(tmp_path, blob))
    assert model.layers[0].max_kernel_norm == 1.5 and model.layers[1].max_col_norm == 2.5
    x = rng.normal(size=(4, 2, 5, 5))
    h0 = np.tanh(_bc01_convolution(x, f32(kernels)) + f32(kb)[None, :, None, None])
    with torch.no_grad():
        states = model.fprop(torch.as_tensor(x, dtype=torch.float32), return_all=True)
    np.testing.assert_allclose(as_f64(states[0]), h0, atol=1e-5)
    # a Conv2DSpace batch becomes a vector in ('b', 0, 1, 'c') order whatever its axes
    h1 = h0.transpose(0, 2, 3, 1).reshape(4, -1) @ f32(W) + f32(b)
    np.testing.assert_allclose(as_f64(states[1]), h1, atol=1e-4)
    with pytest.raises(ModelFileError, match="ConstrainFilterL2Norm"):
        convert_file(write_pickle(tmp_path, odd_blob, "odd.pkl"))


@pytest.mark.parametrize("protocol", [0, 2])
def test_maxout_with_randomized_pools_keeps_its_permutation(tmp_path, monkeypatch, protocol):
    rng = np.random.default_rng(9)
    W, b = rng.normal(size=(4, 6)), rng.normal(size=6)
    permute = np.zeros((6, 6))
    permute[rng.integers(0, 6, size=6), np.arange(6)] = 1.0  # as the original drew it
    with Crafter(monkeypatch) as c:
        layer = c.obj("pylearn2.models.maxout.Maxout", own_class=True, layer_name="mx",
                      num_units=3, num_pieces=2, pool_stride=2, pool_size=2,
                      detector_layer_dim=6, randomize_pools=True, min_zero=True,
                      max_col_norm=None, max_row_norm=None, b=c.shared(b, "mx_b"),
                      permute=c.shared(permute),
                      transformer=c.obj("pylearn2.linear.matrixmul.MatrixMul",
                                        _W=c.shared(W, "mx_W")))
        blob = c.dumps(craft_mlp(c, [layer], c.vector_space(4)), protocol)
    model = convert_file(write_pickle(tmp_path, blob))
    x = rng.normal(size=(5, 4))
    z = (x @ f32(W) + f32(b)) @ permute
    ref = np.maximum(z.reshape(5, 3, 2).max(2), 0.0)
    with torch.no_grad():
        ours = model.fprop(torch.as_tensor(x, dtype=torch.float32))
    np.testing.assert_allclose(as_f64(ours), ref, atol=1e-5)


@pytest.mark.parametrize("protocol", [0, 2])
def test_python2_style_pickle_with_numpy_scalars_converts(tmp_path, monkeypatch, protocol):
    """Byte strings as Python 2 wrote them (no _codecs.encode), numpy scalars in the
    monitor records and hyperparameters, shared variables under older Theano paths."""
    rng = np.random.default_rng(10)
    W0, b0, W1, b1 = (rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(3, 2)),
                      rng.normal(size=2))
    with Crafter(monkeypatch) as c:
        hidden = dense_layer(c, "Sigmoid", "h0", W0, b0, monitor_style="detection")
        top = c.obj(MLP + "Softmax", own_class=True, layer_name="y", n_classes=2,
                    W=c.shared(W1, "softmax_W", old_theano=True),
                    b=c.shared(b1, "softmax_b", old_theano=True), max_col_norm=np.float32(1.5))
        mlp = craft_mlp(c, [hidden, top], c.vector_space(4))
        channel = c.obj("pylearn2.monitor.MonitorChannel", doc="nll",
                        val_record=[np.float32(0.7), np.float64(0.5)],
                        batch_record=[np.int64(5), 10], example_record=[50, 100],
                        epoch_record=[1, 2], time_record=[np.float64(0.1), 0.2])
        mlp.__dict__["monitor"] = c.obj("pylearn2.monitor.Monitor",
                                        channels={"y_nll": channel}, _num_batches_seen=10,
                                        _examples_seen=100, _epochs_seen=2)
        blob = c.dumps(mlp, protocol, python2=True)
    if protocol == 2:  # (pickletools cannot decode Python 2's non-ASCII STRING opcodes)
        found = globals_of(blob)
        assert "_codecs.encode" not in found
        assert any(name.endswith("multiarray.scalar") for name in found)
    else:
        assert b"_codecs" not in blob and b"\nscalar\n" in blob
    model = convert_file(write_pickle(tmp_path, blob))
    x = rng.normal(size=(5, 4))
    ref = softmax(sigmoid(x @ f32(W0) + f32(b0)) @ f32(W1) + f32(b1))
    with torch.no_grad():
        np.testing.assert_allclose(as_f64(model.fprop(torch.as_tensor(x, dtype=torch.float32))),
                                   ref, atol=1e-5)
    assert model.layers[1].max_col_norm == 1.5
    record = model.monitor.channels["y_nll"]
    assert record.val_record == [pytest.approx(0.7), 0.5] and record.batch_record == [5, 10]
