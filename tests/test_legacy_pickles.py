"""Old Pylearn2 pickles: safe reading, conversion, outputs and channels vs the original's."""

from __future__ import annotations

import functools
import json
import os
import pickle
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch

from pylearn2.scripts.legacy_models import convert_file
from pylearn2.utils.exc import UnsafeObjectError
from pylearn2.utils.legacy.unpickler import load_legacy

DATA = Path(os.environ.get("PYLEARN2_DATA_PATH",
                           Path(__file__).resolve().parents[2] / "shared" / "data"))
PICKLES = DATA / "original_pickles"
needs_pickles = pytest.mark.skipif(not PICKLES.is_dir(), reason=f"{PICKLES} absent")


def _stored(name: str) -> np.ndarray:
    return np.load(PICKLES / f"{name}.npy")


def _run(fn, x) -> np.ndarray:
    with torch.no_grad():
        return fn(torch.as_tensor(x)).detach().numpy()


def _assert_close(ours, name: str) -> float:
    """Max abs difference; 1e-5 absolute, or relative for values above 1 (free energies of
    magnitude ~80 carry float32 rounding of several 1e-6 in either library)."""
    ref = _stored(name).astype(np.float64)
    diff = np.abs(np.asarray(ours, dtype=np.float64).reshape(ref.shape) - ref)
    assert (diff <= 1e-5 * np.maximum(1.0, np.abs(ref))).all(), (name, float(diff.max()))
    return float(diff.max())


def _mlp_layer(model, x, name):
    with torch.no_grad():
        states = model.fprop(torch.as_tensor(x), return_all=True)
    return dict(zip([layer.layer_name for layer in model.layers], states))[name].numpy()


def _output_checks() -> dict[str, object]:
    """How this library computes each stored output: ``fn(model, inputs)``."""
    checks: dict[str, object] = {}
    for name in ("mlp_sigmoid", "mlp_mixed", "softmax_regression", "conv"):
        checks[f"{name}_fprop"] = lambda m, x: _run(m.fprop, x)
        for layer in ("h0", "h1", "h2", "h3", "y"):
            checks[f"{name}_layer_{layer}"] = functools.partial(_mlp_layer, name=layer)
    for name in ("rbm", "grbm"):
        checks[f"{name}_mean_h_given_v"] = lambda m, x: _run(m.mean_h_given_v, x)
        checks[f"{name}_free_energy_given_v"] = lambda m, x: _run(m.free_energy_given_v, x)
        checks[f"{name}_mean_v_given_mean_h"] = lambda m, x: _run(
            lambda v: m.mean_v_given_h(m.mean_h_given_v(v)), x)
    checks["grbm_score"] = lambda m, x: _run(m.score, x)
    checks["grbm_sigma"] = lambda m, x: m.sigma.detach().numpy()
    checks["kmeans_sqdist"] = lambda m, x: m.squared_distances(x)
    checks["kmeans_nearest"] = lambda m, x: _run(m.perform, x).argmax(1)
    checks["kmeans_sqdist_normalised"] = lambda m, x: m(x)  # the original's KMeans.__call__
    checks["dae_encode"] = lambda m, x: _run(m.encode, x)
    checks["dae_reconstruct_clean"] = lambda m, x: _run(lambda v: m.decode(m.encode(v)), x)
    return checks


STORED_OUTPUTS = sorted(p.stem[len("outputs_"):] for p in PICKLES.glob("outputs_*.npy"))


@needs_pickles
@pytest.mark.parametrize("output", STORED_OUTPUTS)
def test_every_stored_output_is_reproduced(output):
    """Each ``outputs_*`` file of the shared folder, from its converted model."""
    checks = _output_checks()
    assert output in checks, f"no check compares outputs_{output}.npy"
    name = next(n for n in ("softmax_regression", "mlp_sigmoid", "mlp_mixed", "conv", "rbm",
                            "grbm", "kmeans", "dae") if output.startswith(n + "_"))
    model = convert_file(str(PICKLES / f"{name}.pkl"))
    ours = np.asarray(checks[output](model, _stored(f"inputs_{name}")))
    if output.endswith("nearest"):
        np.testing.assert_array_equal(ours, _stored(f"outputs_{output}"))
    else:
        _assert_close(ours, f"outputs_{output}")


def test_the_stored_output_list_is_not_empty_when_the_files_exist():
    if PICKLES.is_dir():
        assert len(STORED_OUTPUTS) >= 27


CHANNEL_FILES = sorted(p.stem[len("channels_"):] for p in PICKLES.glob("channels_*.json"))


@needs_pickles
def test_every_model_with_a_monitor_has_its_channels_file():
    from pylearn2.utils.legacy.unpickler import Recorded

    for pkl in sorted(PICKLES.glob("*.pkl")):
        has_monitor = isinstance(load_legacy(str(pkl)).get("monitor"), Recorded)
        assert has_monitor == (pkl.stem in CHANNEL_FILES), pkl.name


@needs_pickles
@pytest.mark.parametrize("name", CHANNEL_FILES)
def test_monitor_channels_match_the_original(name):
    model = convert_file(str(PICKLES / f"{name}.pkl"))
    stored = json.loads((PICKLES / f"channels_{name}.json").read_text())
    channels = model.monitor.channels
    assert set(channels) == set(stored["channels"])
    for channel_name, ref in stored["channels"].items():
        ours = channels[channel_name]
        np.testing.assert_array_equal(ours.val_record, np.asarray(ref["val_record"], float))
        assert ours.batch_record == ref["batch_record"]
        assert ours.epoch_record == ref["epoch_record"]
        assert ours.example_record == ref["example_record"]
    assert model.monitor._epochs_seen == stored["epochs_seen"]
    assert model.monitor._num_batches_seen == stored["batches_seen"]
    assert model.monitor._examples_seen == stored["examples_seen"]
    assert len(channels) == stored["num_channels"]


class _Canary:
    """Unpickling this would create a file (via os.system) if any loader executed it."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


@pytest.mark.parametrize("protocol", [0, 2])
def test_a_pickle_calling_os_system_is_refused_without_running(tmp_path, protocol):
    canary = tmp_path / "canary_created"
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(pickle.dumps(_Canary(str(canary)), protocol=protocol))
    with pytest.raises(UnsafeObjectError, match="system"):
        load_legacy(str(bad))
    with pytest.raises(UnsafeObjectError, match="system"):
        convert_file(str(bad))
    assert not canary.exists()


def test_an_unknown_class_is_refused_with_its_name(tmp_path):
    module = types.ModuleType("evil_plugin")

    class Payload:
        pass

    Payload.__module__ = "evil_plugin"
    Payload.__qualname__ = "Payload"
    module.Payload = Payload
    sys.modules["evil_plugin"] = module
    try:
        blob = pickle.dumps(Payload(), protocol=2)
    finally:
        del sys.modules["evil_plugin"]
    path = tmp_path / "unknown.pkl"
    path.write_bytes(blob)
    with pytest.raises(UnsafeObjectError, match="evil_plugin.Payload"):
        load_legacy(str(path))


@needs_pickles
def test_convert_command_writes_a_model_that_serial_load_reads(tmp_path, capsys):
    from pylearn2.scripts.cli import main
    from pylearn2.utils import serial

    out = tmp_path / "mlp.pkl"
    assert main(["convert", str(PICKLES / "mlp_sigmoid.pkl"), str(out)]) == 0
    assert "64 monitor channels" in capsys.readouterr().out
    model = serial.load(str(out))
    x = _stored("inputs_mlp_sigmoid")
    _assert_close(_run(model.fprop, x), "outputs_mlp_sigmoid_fprop")
    assert len(model.monitor.channels) == 64


def test_convert_command_refuses_a_hostile_file(tmp_path, capsys):
    from pylearn2.scripts.cli import main

    canary = tmp_path / "canary_created"
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(pickle.dumps(_Canary(str(canary)), protocol=0))
    assert main(["convert", str(bad), str(tmp_path / "new.pkl")]) == 2
    assert "system" in capsys.readouterr().err
    assert not canary.exists() and not (tmp_path / "new.pkl").exists()


@needs_pickles
def test_serial_load_on_an_old_pickle_names_the_convert_command():
    from pylearn2.utils import serial
    from pylearn2.utils.exc import ModelFileError

    path = str(PICKLES / "mlp_sigmoid.pkl")
    with pytest.raises(ModelFileError, match="pylearn2 convert"):
        serial.load(path)


@pytest.mark.parametrize("protocol", [0, 2])
def test_serial_load_hint_on_any_pickle_and_nothing_runs(tmp_path, protocol):
    from pylearn2.utils import serial
    from pylearn2.utils.exc import ModelFileError

    canary = tmp_path / "canary_created"
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(pickle.dumps(_Canary(str(canary)), protocol=protocol))
    with pytest.raises(ModelFileError, match="pylearn2 convert"):
        serial.load(str(bad))
    assert not canary.exists()


# -- files the converter has not seen: crafted with stand-ins under the original's names ----

def _fake_class(module: types.ModuleType, name: str) -> type:
    cls = type(name, (), {"__module__": module.__name__})
    cls.__qualname__ = name
    setattr(module, name, cls)
    return cls


def _obj(cls: type, **state):
    instance = cls.__new__(cls)
    instance.__dict__.update(state)
    return instance


def _craft(monkeypatch, build, protocol: int) -> bytes:
    """Pickle ``build(classes)`` with stand-in classes registered under the original's
    module names only while writing (the real modules are restored afterwards)."""
    import pylearn2.models.autoencoder  # noqa: F401  (the real modules, to be restored)
    import pylearn2.models.mlp  # noqa: F401
    names = {"pylearn2.models.mlp": ("MLP", "Tanh", "Softplus", "Linear", "Softmax"),
             "pylearn2.models.autoencoder": ("Autoencoder",),
             "pylearn2.linear.matrixmul": ("MatrixMul",), "pylearn2.space": ("VectorSpace",),
             "theano.tensor.sharedvar": ("TensorSharedVariable",),
             "theano.gof.link": ("Container",)}
    classes = {}
    with monkeypatch.context() as patch:
        for module_name, class_names in names.items():
            parts = module_name.split(".")
            for depth in range(1, len(parts)):
                parent = ".".join(parts[:depth])
                if parent not in sys.modules:
                    patch.setitem(sys.modules, parent, types.ModuleType(parent))
            module = types.ModuleType(module_name)
            patch.setitem(sys.modules, module_name, module)
            for name in class_names:
                classes[name] = _fake_class(module, name)
        return pickle.dumps(build(classes), protocol=protocol)


def _shared(c, value):
    return _obj(c["TensorSharedVariable"], name="p",
                container=_obj(c["Container"], storage=[np.asarray(value, np.float32)]))


@pytest.mark.parametrize("protocol", [0, 2])
def test_crafted_mlp_with_unseen_layer_types_converts(tmp_path, monkeypatch, protocol):
    rng = np.random.default_rng(0)
    dims = [5, 4, 3, 6]
    Ws = [rng.normal(size=(a, b)) for a, b in zip(dims[:-1], dims[1:])] + [rng.normal(size=(6, 2))]
    bs = [rng.normal(size=b) for b in dims[1:]] + [rng.normal(size=2)]

    def build(c):
        def dense(kind, i, name):
            return _obj(c[kind], layer_name=name, dim=dims[i + 1], b=_shared(c, bs[i]),
                        transformer=_obj(c["MatrixMul"], _W=_shared(c, Ws[i])),
                        max_col_norm=None, use_bias=True)
        layers = [dense("Tanh", 0, "a"), dense("Softplus", 1, "b"), dense("Linear", 2, "c"),
                  _obj(c["Softmax"], layer_name="y", n_classes=2, W=_shared(c, Ws[3]),
                       b=_shared(c, bs[3]))]
        return _obj(c["MLP"], layers=layers, input_space=_obj(c["VectorSpace"], dim=5))

    path = tmp_path / "crafted.pkl"
    path.write_bytes(_craft(monkeypatch, build, protocol))
    assert "pylearn2.models.mlp" in sys.modules and hasattr(sys.modules["pylearn2.models.mlp"],
                                                            "Sigmoid")
    model = convert_file(str(path))
    x = rng.normal(size=(7, 5))
    h = np.tanh(x @ Ws[0] + bs[0])
    h = np.log1p(np.exp(h @ Ws[1] + bs[1]))
    h = h @ Ws[2] + bs[2]
    z = h @ Ws[3] + bs[3]
    expected = np.exp(z - z.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    ours = _run(model.fprop, x.astype(np.float32))
    np.testing.assert_allclose(ours, expected, atol=1e-5)
    assert model.monitor is None or not model.monitor.channels


@pytest.mark.parametrize("protocol", [0, 2])
def test_crafted_tied_autoencoder_converts(tmp_path, monkeypatch, protocol):
    rng = np.random.default_rng(1)
    W, hb, vb = rng.normal(size=(6, 3)), rng.normal(size=3), rng.normal(size=6)

    def build(c):
        return _obj(c["Autoencoder"], nvis=6, nhid=3, act_enc="tanh", act_dec=None,
                    tied_weights=True, weights=_shared(c, W), hidbias=_shared(c, hb),
                    visbias=_shared(c, vb))

    path = tmp_path / "ae.pkl"
    path.write_bytes(_craft(monkeypatch, build, protocol))
    model = convert_file(str(path))
    x = rng.normal(size=(4, 6))
    code = np.tanh(x @ W + hb)
    np.testing.assert_allclose(_run(model.encode, x.astype(np.float32)), code, atol=1e-5)
    np.testing.assert_allclose(_run(lambda v: model.decode(model.encode(v)),
                                    x.astype(np.float32)), code @ W.T + vb, atol=1e-5)


class _ObjectScalar:
    """Pickles as a numpy object scalar whose payload is another object."""

    def __reduce__(self):
        numpy_scalar = np.float32(0).__reduce__()[0]  # numpy's own scalar constructor
        return (numpy_scalar, (np.dtype(object), "payload"))


def test_numpy_scalars_load_but_object_scalars_are_refused(tmp_path):
    good = tmp_path / "scalars.pkl"
    good.write_bytes(pickle.dumps({"a": np.float32(1.5), "b": np.int64(7)}, protocol=2))
    loaded = load_legacy(str(good))
    assert loaded == {"a": np.float32(1.5), "b": 7} and loaded["a"].dtype == np.float32
    bad = tmp_path / "object_scalar.pkl"
    bad.write_bytes(pickle.dumps(_ObjectScalar(), protocol=2))
    with pytest.raises(UnsafeObjectError, match="object scalar"):
        load_legacy(str(bad))


@needs_pickles
@pytest.mark.parametrize("name", sorted(p.stem[len("params_"):]
                                        for p in PICKLES.glob("params_*.npz")))
def test_every_original_parameter_arrives_unchanged(name):
    """Each ``get_params()`` array of the original equals one parameter of the converted
    model exactly (bc01 kernels flipped in both spatial axes, see legacy_models.mlp)."""
    model = convert_file(str(PICKLES / f"{name}.pkl"))
    ours = [t.detach().numpy() for t in [*model.parameters(), *model.buffers()]
            if t.dtype.is_floating_point]
    with np.load(PICKLES / f"params_{name}.npz") as stored:
        for key in stored.files:
            ref = stored[key]
            candidates = [ref, ref[:, :, ::-1, ::-1]] if ref.ndim == 4 else [ref]
            assert any(a.shape == c.shape and np.array_equal(a, c.astype(a.dtype))
                       for a in ours for c in candidates), (name, key)
