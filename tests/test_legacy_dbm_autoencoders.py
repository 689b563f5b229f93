"""Autoencoder and DBM families of the converter, and refusals inside the new families,
checked on crafted files with the original's byte structure (protocols 0 and 2) against
float64 numpy references of the original's formulas computed from the same weights."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from legacy_craft import (
    Crafter,
    as_f64,
    autoencoder,
    bvmp_layer,
    craft_dbm,
    craft_mlp,
    elemwise,
    f32,
    sigmoid,
    softmax,
    write_pickle,
)

from pylearn2.scripts.legacy_models import convert_file
from pylearn2.utils.exc import ModelFileError, UnsafeObjectError

PROTOCOLS = pytest.mark.parametrize("protocol", [0, 2])
MLP = "pylearn2.models.mlp."


# -- autoencoders ------------------------------------------------------------------------

@PROTOCOLS
def test_contractive_and_deep_composed_autoencoders(tmp_path, monkeypatch, protocol):
    rng = np.random.default_rng(3)
    W1, hb1, vb1 = rng.normal(size=(6, 4)) * 0.5, rng.normal(size=4), rng.normal(size=6)
    W2, hb2, vb2 = rng.normal(size=(4, 3)) * 0.5, rng.normal(size=3), rng.normal(size=4)
    W2p = rng.normal(size=(3, 4)) * 0.5
    with Crafter(monkeypatch) as c:
        tanh = elemwise(c, "theano.scalar.basic.Tanh", "tanh")
        cae = autoencoder(c, "ContractiveAutoencoder", W1, hb1, vb1, tanh, None)
        blob_cae = c.dumps(cae, protocol)
        softplus = elemwise(c, "theano.tensor.nnet.sigm.ScalarSoftplus", "softplus")
        sig = elemwise(c, "theano.tensor.nnet.sigm.ScalarSigmoid", "sigmoid")
        lower = autoencoder(c, "ContractiveAutoencoder", W1, hb1, vb1, tanh, None)
        upper = autoencoder(c, "Autoencoder", W2, hb2, vb2, softplus, sig, w_prime=W2p)
        deep = c.obj("pylearn2.models.autoencoder.DeepComposedAutoencoder", own_class=True,
                     autoencoders=[lower, upper], input_space=c.vector_space(6),
                     output_space=c.vector_space(3))
        blob_deep = c.dumps(deep, protocol)
        stack = c.obj("pylearn2.blocks.StackedBlocks", _layers=[lower, upper],
                      _params=set())
        blob_stack = c.dumps(stack, protocol)
    x = rng.normal(size=(5, 6))
    X = torch.as_tensor(x, dtype=torch.float32)
    w1, w2, w2p = f32(W1), f32(W2), f32(W2p)
    h1 = np.tanh(x @ w1 + f32(hb1))
    h2 = np.log1p(np.exp(h1 @ w2 + f32(hb2)))

    cae_model = convert_file(write_pickle(tmp_path, blob_cae, "cae.pkl"))
    from pylearn2.models.autoencoder import ContractiveAutoencoder
    assert isinstance(cae_model, ContractiveAutoencoder)
    with torch.no_grad():
        np.testing.assert_allclose(as_f64(cae_model.encode(X)), h1, atol=1e-5)
        np.testing.assert_allclose(as_f64(cae_model.decode(cae_model.encode(X))),
                                   h1 @ w1.T + f32(vb1), atol=1e-5)
        # contraction penalty: mean over examples of ||d tanh(xW + b) / dx||_F^2
        jac = ((1 - h1 ** 2) ** 2) @ (w1 ** 2).sum(0)
        np.testing.assert_allclose(float(cae_model.contraction_penalty(X)), jac.mean(),
                                   rtol=1e-5)

    deep_model = convert_file(write_pickle(tmp_path, blob_deep, "deep.pkl"))
    with torch.no_grad():
        np.testing.assert_allclose(as_f64(deep_model.encode(X)), h2, atol=1e-5)
        back = sigmoid(h2 @ w2p + f32(vb2)) @ w1.T + f32(vb1)
        np.testing.assert_allclose(as_f64(deep_model.reconstruct(X)), back, atol=1e-5)

    stack_model = convert_file(write_pickle(tmp_path, blob_stack, "stack.pkl"))
    with torch.no_grad():
        np.testing.assert_allclose(as_f64(stack_model.perform(X)), h2, atol=1e-5)


@PROTOCOLS
@pytest.mark.parametrize("kind", ["HigherOrderContractiveAutoencoder", "UntiedAutoencoder",
                                  "DenoisingAutoencoder"])
def test_other_one_layer_autoencoders(tmp_path, monkeypatch, protocol, kind):
    rng = np.random.default_rng(8)
    W, hb, vb, Wp = (rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=5),
                     rng.normal(size=(3, 5)))
    with Crafter(monkeypatch) as c:
        extra = {}
        if kind != "UntiedAutoencoder":
            noise = ("GaussianCorruptor" if kind.startswith("Higher")
                     else "SaltPepperCorruptor")
            extra["corruptor"] = c.obj(f"pylearn2.corruption.{noise}", corruption_level=0.25)
        if kind.startswith("Higher"):
            extra["num_corruptions"] = 3
        sig = elemwise(c, "theano.tensor.nnet.sigm.ScalarSigmoid", "sigmoid")
        blob = c.dumps(autoencoder(c, kind, W, hb, vb, sig, None, w_prime=Wp, **extra),
                       protocol)
    model = convert_file(write_pickle(tmp_path, blob))
    x = rng.normal(size=(4, 5))
    code = sigmoid(x @ f32(W) + f32(hb))
    with torch.no_grad():
        X = torch.as_tensor(x, dtype=torch.float32)
        np.testing.assert_allclose(as_f64(model.decode(model.encode(X))),
                                   code @ f32(Wp) + f32(vb), atol=1e-5)
    if kind.startswith("Higher"):
        assert model.num_corruptions == 3 and model.corruptor.stdev == 0.25
    elif kind == "DenoisingAutoencoder":
        assert type(model.corruptor).__name__ == "SaltPepperCorruptor"


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
        h0 = bvmp_layer(c, "h0", W0, b0, pool=2, input_dim=6)
        h1 = bvmp_layer(c, "h1", W1, b1, pool=1, input_dim=2)
        y = c.obj("pylearn2.models.dbm.layer.Softmax", own_class=True, n_classes=3,
                  layer_name="y", irange=0.1, sparse_init=None, sparse_istdev=1.0,
                  W_lr_scale=None, b_lr_scale=None, max_col_norm=None, copies=1, center=False,
                  learn_init_inpainting_state=True, output_space=c.vector_space(3),
                  b=c.shared(by, "softmax_b"), W=c.shared(Wy, "softmax_W"),
                  input_space=c.vector_space(3), input_dim=3, needs_reformat=False,
                  desired_space=c.vector_space(3))
        blob = c.dumps(craft_dbm(c, visible, [h0, h1, y], niter=5), protocol)
    model = convert_file(write_pickle(tmp_path, blob))

    w0, w1, wy = f32(W0), f32(W1), f32(Wy)
    g0, g1, gy = f32(b0), f32(b1), f32(by)
    v = (rng.uniform(size=(4, 6)) < 0.5).astype(np.float64)
    # bottom-up pass, weights doubled for every layer but the top
    p0, d0 = _pool_channels(2 * v @ w0 + g0, 2)
    p1, d1 = _pool_channels(2 * p0 @ w1 + g1, 1)
    q = softmax(p1 @ wy + gy)
    for _ in range(4):  # niter - 1 alternating even / odd sweeps
        p0, d0 = _pool_channels(v @ w0 + g0, 2, d1 @ w1.T)
        q = softmax(p1 @ wy + gy)
        p1, d1 = _pool_channels(p0 @ w1 + g1, 1, q @ wy.T)
    with torch.no_grad():
        H = model.mf(torch.as_tensor(v, dtype=torch.float32))
    np.testing.assert_allclose(as_f64(H[0][0]), p0, atol=1e-5)
    np.testing.assert_allclose(as_f64(H[0][1]), d0, atol=1e-5)
    np.testing.assert_allclose(as_f64(H[1][1]), d1, atol=1e-5)
    np.testing.assert_allclose(as_f64(H[2]), q, atol=1e-5)
    # the energy of the original, -b_v.v - sum_layers (b.d + (u W) . d)
    with torch.no_grad():
        energy = model.energy(torch.as_tensor(v, dtype=torch.float32), H)
    ref = (-v @ f32(vis_b) - d0 @ g0 - ((v @ w0) * d0).sum(1) - d1 @ g1
           - ((p0 @ w1) * d1).sum(1) - q @ gy - ((p1 @ wy) * q).sum(1))
    np.testing.assert_allclose(as_f64(energy), ref, atol=1e-4)
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
        h0 = bvmp_layer(c, "h0", W, b, pool=1, input_dim=5)
        blob = c.dumps(craft_dbm(c, visible, [h0], niter=3, procedure="BiasInit"), protocol)
    model = convert_file(write_pickle(tmp_path, blob))

    w, m, bt = f32(W), f32(mu), f32(beta)
    v = rng.normal(size=(4, 5))
    up = (v - m) * bt  # the original GaussianVisLayer.upward_state
    h = sigmoid(up @ w + f32(b))
    with torch.no_grad():
        V = torch.as_tensor(v, dtype=torch.float32)
        H = model.mf(V)
        v_mean = model.visible_layer.mf_update(model.hidden_layers[0].downward_state(H[0]),
                                               model.hidden_layers[0])
        energy = model.energy(V, H)
    np.testing.assert_allclose(as_f64(H[0][1]), h, atol=1e-5)
    np.testing.assert_allclose(as_f64(v_mean), m + h @ w.T, atol=1e-5)  # msg + mu
    ref = 0.5 * (bt * (v - m) ** 2).sum(1) - h @ f32(b) - (up @ w * h).sum(1)
    np.testing.assert_allclose(as_f64(energy), ref, atol=1e-4)
    assert type(model.inference_procedure).__name__ == "BiasInit"
    assert model.visible_layer.min_beta == 0.5


# -- refusing hostile or unknown content inside the new families ------------------------

class _Canary:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


@PROTOCOLS
@pytest.mark.parametrize("python2", [False, True])
@pytest.mark.parametrize("family", ["dbm", "maxout_conv", "deep_ae"])
def test_hostile_content_in_the_new_families_is_refused_unrun(tmp_path, monkeypatch, protocol,
                                                             python2, family):
    canary = tmp_path / "canary_created"
    with Crafter(monkeypatch) as c:
        bomb = _Canary(str(canary))
        if family == "dbm":
            visible = c.obj("pylearn2.models.dbm.layer.BinaryVector", nvis=2, bias=bomb)
            hidden = bvmp_layer(c, "h0", np.ones((2, 2)), np.ones(2), 1, 2)
            obj = craft_dbm(c, visible, [hidden], 1)
        elif family == "maxout_conv":
            layer = c.obj("pylearn2.models.maxout.MaxoutConvC01B", layer_name="h0",
                          input_normalization=bomb)
            obj = craft_mlp(c, [layer], c.conv_space((4, 4), 1, ("c", 0, 1, "b")))
        else:
            obj = c.obj("pylearn2.models.autoencoder.DeepComposedAutoencoder",
                        autoencoders=[bomb])
        blob = c.dumps(obj, protocol, python2=python2)
    assert b"system" in blob
    path = write_pickle(tmp_path, blob)
    with pytest.raises(UnsafeObjectError, match="system"):
        convert_file(path)
    assert not canary.exists()


@PROTOCOLS
def test_an_unknown_layer_class_in_a_dbm_is_refused_by_name(tmp_path, monkeypatch, protocol):
    extra = ("pylearn2.models.dbm.layer.HandWrittenLayer",)
    with Crafter(monkeypatch, extra=extra) as c:
        visible = c.obj("pylearn2.models.dbm.layer.BinaryVector", nvis=2)
        hidden = c.obj(extra[0], layer_name="odd")
        blob = c.dumps(craft_dbm(c, visible, [hidden], 1), protocol)
    with pytest.raises(UnsafeObjectError, match="HandWrittenLayer"):
        convert_file(write_pickle(tmp_path, blob))


@PROTOCOLS
def test_a_known_but_unsupported_layer_names_itself(tmp_path, monkeypatch, protocol):
    with Crafter(monkeypatch) as c:
        visible = c.obj("pylearn2.models.dbm.layer.BinaryVector", nvis=4, center=False,
                        bias=c.shared(np.zeros(4)))
        conv = c.obj("pylearn2.models.dbm.layer.ConvMaxPool", layer_name="cmp")
        blob = c.dumps(craft_dbm(c, visible, [conv], 1), protocol)
    with pytest.raises(ModelFileError, match="cmp.*ConvMaxPool"):
        convert_file(write_pickle(tmp_path, blob))


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
            obj = craft_dbm(c, visible, [bvmp_layer(c, "h0", rng.normal(size=(4, 2)),
                                          rng.normal(size=2), 1, 4)], 2)
        else:
            sig = elemwise(c, "theano.tensor.nnet.sigm.ScalarSigmoid", "sigmoid")
            ae = autoencoder(c, "DenoisingAutoencoder", rng.normal(size=(4, 3)), rng.normal(size=3),
                     rng.normal(size=4), sig, sig,
                     corruptor=c.obj("pylearn2.corruption.BinomialCorruptor",
                                     corruption_level=0.3))
            if family == "stacked_blocks":
                obj = c.obj("pylearn2.blocks.StackedBlocks", _layers=[ae])
            else:
                pre = c.obj(MLP + "PretrainedLayer", layer_name="pre", layer_content=ae,
                            freeze_params=True)
                obj = craft_mlp(c, [pre], c.vector_space(4))
        blob = c.dumps(obj, 2)
    old, new = write_pickle(tmp_path, blob, "old.pkl"), str(tmp_path / "new.pkl")
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
    np.testing.assert_array_equal(as_f64(a), as_f64(b))
