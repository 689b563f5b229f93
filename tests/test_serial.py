"""Model files and checkpoints: round trips, refusals, atomic writes with backup, resume state."""

import io
import json
import os
import pickle
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
import torch

from pylearn2.models.mlp import MLP, RectifiedLinear, Softmax, Tanh
from pylearn2.monitor import Monitor
from pylearn2.space import CompositeSpace, Conv2DSpace, VectorSpace
from pylearn2.utils import serial
from pylearn2.utils.allowlist import allowed_prefixes
from pylearn2.utils.exc import (
    ConfigError,
    DataNotFoundError,
    ModelFileError,
    UnsafeObjectError,
)
from pylearn2.utils.init_args import InitArgsMixin

HERE = __name__  # the module name the test classes are saved under; allowed per load


# -- tiny models defined here, so the allowlist must be widened to load them ---------------
class Affine(InitArgsMixin, torch.nn.Module):
    """y = act(x W + b), initialised from ``rng`` (a Generator: stored as a placeholder)."""

    def __init__(self, nin, nout, bias=True, scale=1.0, rng=None, activation=torch.tanh):
        super().__init__()
        gen = rng if rng is not None else np.random.default_rng(0)
        self.weight = torch.nn.Parameter(
            torch.tensor(gen.normal(size=(nin, nout)) * scale, dtype=torch.float32))
        self.bias = torch.nn.Parameter(torch.zeros(nout)) if bias else None
        self.register_buffer("calls", torch.zeros((), dtype=torch.int64))
        self.activation = activation

    def forward(self, x):
        y = x @ self.weight
        return self.activation(y + self.bias if self.bias is not None else y)


class Stack(InitArgsMixin, torch.nn.Module):
    """A chain of layers with arguments of every storable kind."""

    def __init__(self, layers, input_space, shape=(2, 3), options=None, offsets=None,
                 dtype=torch.float32):
        super().__init__()
        self.layers = torch.nn.ModuleList(layers)
        self.input_space = input_space
        self.shape = shape
        self.options = options or {}
        self.offsets = offsets
        self.register_buffer("shift", torch.as_tensor(np.asarray(offsets), dtype=dtype))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x + self.shift


class Tied(InitArgsMixin, torch.nn.Module):
    """One weight matrix registered twice, plus a parameter built from a view."""

    def __init__(self, n=3):
        super().__init__()
        self.w = torch.nn.Parameter(torch.arange(float(n * n)).reshape(n, n))
        self.encoder = torch.nn.Linear(n, n, bias=False)
        self.decoder = torch.nn.Linear(n, n, bias=False)
        self.decoder.weight = self.encoder.weight
        self.row = torch.nn.Parameter(self.w.detach()[1])


def make_stack(rng_seed=1):
    return Stack(
        layers=[Affine(4, 5, scale=0.5, rng=np.random.default_rng(rng_seed)),
                Affine(5, 3, bias=False, activation=torch.nn.functional.relu)],
        input_space=CompositeSpace([VectorSpace(4),
                                    Conv2DSpace((2, 2), num_channels=1, axes=("b", 0, 1, "c"))]),
        shape=(2, (3, 4)),
        options={"mode": "fast", "levels": [1, 2.5, None], "flag": np.bool_(True)},
        offsets=np.array([0.25, -1.0, 2.0], dtype=np.float32),
    )


def perturbed(model, seed=0):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=gen, dtype=p.dtype))
    return model


def assert_same_state(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for key in sa:
        assert sa[key].dtype == sb[key].dtype, key
        assert torch.equal(sa[key], sb[key]), key


def members_of(path):
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def write_zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def rewrite_manifest(src, dst, edit):
    members = members_of(src)
    manifest = json.loads(members["manifest.json"])
    edit(manifest)
    members["manifest.json"] = json.dumps(manifest).encode()
    write_zip(dst, members)


# -- round trips -------------------------------------------------------------------------------
def test_round_trip_gives_identical_state_outputs_and_arguments(tmp_path):
    model = perturbed(make_stack())
    path = tmp_path / "model.pkl"
    serial.save(path, model)
    loaded = serial.load(path, allow=HERE)
    assert type(loaded) is Stack
    assert_same_state(model, loaded)
    x = torch.randn(6, 4)
    assert torch.equal(loaded(x), model(x))
    # arguments: tuples stay tuples, spaces compare equal, arrays keep dtype, dicts survive
    assert loaded.shape == (2, (3, 4)) and isinstance(loaded.shape[1], tuple)
    assert loaded.input_space == model.input_space
    assert loaded.input_space.components[1].axes == ("b", 0, 1, "c")
    assert loaded.options == {"mode": "fast", "levels": [1, 2.5, None], "flag": True}
    assert loaded.offsets.dtype == np.float32
    np.testing.assert_array_equal(loaded.offsets, model.offsets)
    assert loaded.layers[0].activation is torch.tanh
    assert loaded.layers[1].activation is torch.nn.functional.relu
    assert loaded.layers[1].bias is None
    # the Generator argument is a documented placeholder: the default is used on rebuild
    assert "rng" not in loaded.layers[0]._init_args
    manifest = json.loads(members_of(path)["manifest.json"])
    assert manifest["format"] == "pylearn2-model" and manifest["format_version"] == 1
    assert manifest["class"] == f"{HERE}.Stack" and manifest["dtype"] == "float32"
    layer0 = manifest["model"]["args"]["layers"][0]
    assert layer0 == {"__class__": f"{HERE}.Affine", "args": {
        "nin": 4, "nout": 5, "scale": 0.5, "rng": {"__unserializable__": "Generator"}}}
    assert manifest["model"]["args"]["shape"] == {"__tuple__": [2, {"__tuple__": [3, 4]}]}
    assert manifest["model"]["args"]["offsets"] == {
        "__ndarray__": [0.25, -1.0, 2.0], "shape": [3], "dtype": "float32"}


def test_allow_argument_is_scoped_to_one_load(tmp_path):
    serial.save(tmp_path / "m.pkl", make_stack())
    before = allowed_prefixes()
    serial.load(tmp_path / "m.pkl", allow=[HERE])
    assert allowed_prefixes() == before
    with pytest.raises(UnsafeObjectError, match="not in the allowlist"):
        serial.load(tmp_path / "m.pkl")


def test_float64_and_shared_storage_round_trip(tmp_path):
    model = perturbed(make_stack()).double()
    serial.save(tmp_path / "d.pkl", model)
    loaded = serial.load(tmp_path / "d.pkl", allow=HERE)
    assert loaded.layers[0].weight.dtype == torch.float64 and loaded.shift.dtype == torch.float64
    assert_same_state(model, loaded)
    x = torch.randn(2, 4, dtype=torch.float64)
    assert torch.equal(loaded(x), model(x))
    tied = perturbed(Tied())
    serial.save(tmp_path / "t.pkl", tied)
    back = serial.load(tmp_path / "t.pkl", allow=HERE)
    assert_same_state(tied, back)
    assert back.decoder.weight is back.encoder.weight


def test_real_mlp_with_monitor_dataset_source_and_tag(tmp_path):
    space = Conv2DSpace((3, 3), num_channels=2, axes=("c", 0, 1, "b"))
    model = perturbed(MLP(input_space=space, seed=[7], layers=[
        Tanh(dim=4, layer_name="h0", irange=0.4, max_col_norm=2.0),
        RectifiedLinear(5, "h1", istdev=0.3, left_slope=0.05),
        Softmax(n_classes=3, layer_name="y", irange=0.2),
    ]))
    model.monitor = Monitor(model)
    model.monitor.report_batch(12)
    model.dataset_yaml_src = "!obj:pylearn2.datasets.digits.Digits {which_set: 'train'}"
    model.tag["best"] = {"value": 0.5}
    path = tmp_path / "mlp.pkl"
    serial.save(path, model)
    loaded = serial.load(path)
    x = torch.randn(2, 3, 3, 5)
    assert torch.equal(loaded.fprop(x), model.fprop(x))
    assert loaded.layers[0].max_col_norm == 2.0 and loaded.layers[1].left_slope == 0.05
    assert loaded.dataset_yaml_src == model.dataset_yaml_src
    assert loaded.tag == {"best": {"value": 0.5}}
    assert loaded.monitor.get_examples_seen() == 12 and loaded.monitor.model is loaded
    assert set(members_of(path)) == set(serial.MODEL_MEMBERS) - {"pushed_monitors.json"}


def test_optional_members_absent_and_monitor_skipped_with_warning(tmp_path, monkeypatch):
    model = make_stack()
    model.monitor = Monitor(model)
    model.monitor.report_batch(3)
    serial.save(tmp_path / "m.pkl", model)
    from pylearn2.utils.serial import format as serial_format

    monkeypatch.delitem(serial_format._REGISTERED, "monitor_type")  # no monitor class known
    with pytest.warns(UserWarning, match="monitor was not restored"):
        loaded = serial.load(tmp_path / "m.pkl", allow=HERE)
    assert "monitor" not in loaded.__dict__
    bare = make_stack()
    serial.save(tmp_path / "bare.pkl", bare)
    assert set(members_of(tmp_path / "bare.pkl")) == {"manifest.json", "weights.safetensors"}


def test_extra_members_and_manifest_reader(tmp_path):
    path = tmp_path / "m.model"
    serial.save(path, make_stack(), extra={"notes.txt": "trained on Tuesday", "raw": b"\x00\x01"})
    assert serial.read_member(path, "notes.txt") == b"trained on Tuesday"
    assert serial.read_member(path, "raw") == b"\x00\x01"
    assert serial.read_member(path, "absent") is None
    assert serial.read_manifest(path)["class"] == f"{HERE}.Stack"
    with pytest.raises(ConfigError, match="reserved"):
        serial.save(path, make_stack(), extra={"weights.safetensors": b""})


def test_numpy_files_load_without_pickle(tmp_path):
    array = np.arange(6, dtype=np.int16).reshape(2, 3)
    serial.save(tmp_path / "a.npy", array)
    loaded = serial.load(tmp_path / "a.npy")
    assert loaded.dtype == np.int16
    np.testing.assert_array_equal(loaded, array)
    serial.save(tmp_path / "b.npz", {"x": array, "y": np.ones(2)})
    both = serial.load(tmp_path / "b.npz")
    assert sorted(both) == ["x", "y"]
    np.testing.assert_array_equal(both["x"], array)
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ModelFileError, match="unpickling"):
        serial.load(tmp_path / "obj.npy")


# -- what cannot be saved ------------------------------------------------------------------------
def test_unstorable_argument_names_its_path(tmp_path):
    model = make_stack()
    model.layers[1]._init_args["rng"] = io.BytesIO()
    with pytest.raises(ModelFileError, match=r"args\.layers\[1\]\.args\.rng: .*_io\.BytesIO"):
        serial.save(tmp_path / "m.pkl", model)
    model = make_stack()
    model._init_args["options"] = {1: "a"}
    with pytest.raises(ModelFileError, match=r"args\.options: dictionary key 1"):
        serial.encode_args(model)

    def local():
        return None

    model._init_args["options"] = {"hook": local}
    with pytest.raises(ModelFileError, match=r"args\.options\['hook'\].*module level"):
        serial.encode_args(model)
    with pytest.raises(ModelFileError, match="record their constructor arguments"):
        serial.save(tmp_path / "m.pkl", torch.nn.Linear(2, 2))
    assert os.listdir(tmp_path) == []


# -- what is refused on loading ---------------------------------------------------------------
UNPICKLED = []


def _record(value):
    UNPICKLED.append(value)


class Harmless:
    def __reduce__(self):
        return _record, ("unpickled!",)


def test_pickles_and_other_files_are_refused_without_unpickling(tmp_path):
    path = tmp_path / "old.pkl"
    path.write_bytes(pickle.dumps([Harmless(), {"weights": [1, 2, 3]}]))
    with pytest.raises(ModelFileError, match="pickle.*never loaded, for safety"):
        serial.load(path)
    with pytest.raises(ModelFileError, match="pickle"):
        serial.load_checkpoint(path)
    assert UNPICKLED == []
    (tmp_path / "proto0.pkl").write_bytes(pickle.dumps({"a": 1}, protocol=0))
    (tmp_path / "empty.pkl").write_bytes(b"")
    for name in ("proto0.pkl", "empty.pkl"):
        with pytest.raises(ModelFileError, match="not a pylearn2 model file.*for safety"):
            serial.load(tmp_path / name)
    with pytest.raises(DataNotFoundError, match="does not exist"):
        serial.load(tmp_path / "missing.pkl")
    with pytest.raises(ModelFileError, match="folder"):
        serial.load(tmp_path)


@pytest.mark.parametrize("target", ["os.system", "subprocess.Popen", "builtins.eval",
                                    "pylearn2.utils.serial.format.os.system", "collections.OrderedDict",
                                    "torch.load", "numpy.load"])
@pytest.mark.parametrize("where", ["top", "nested", "import"])
def test_manifest_naming_names_outside_allowlist_is_refused(tmp_path, monkeypatch, target,
                                                            where):
    called = []
    monkeypatch.setattr(os, "system", lambda *a: called.append(a))
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: called.append(a))
    good = tmp_path / "good.pkl"
    serial.save(good, make_stack())
    bad = tmp_path / "bad.pkl"

    def edit(manifest):
        layer = manifest["model"]["args"]["layers"][1]
        if where == "top":
            manifest["model"]["__class__"] = target
        elif where == "nested":
            layer["__class__"] = target
        else:
            layer["args"]["activation"] = {"__import__": target}

    rewrite_manifest(good, bad, edit)
    with pytest.raises(UnsafeObjectError, match="refused|not in the allowlist"):
        serial.load(bad, allow=HERE)  # this module is allowed: only the edited name is refused
    assert called == []


def test_corrupt_and_incomplete_files(tmp_path):
    good = tmp_path / "good.pkl"
    serial.save(good, make_stack())
    data = good.read_bytes()
    for cut in (len(data) // 2, len(data) - 30, 10):
        (tmp_path / "cut.pkl").write_bytes(data[:cut])
        with pytest.raises(ModelFileError, match="truncated or corrupt"):
            serial.load(tmp_path / "cut.pkl", allow=HERE)
    members = members_of(good)
    for lacking in ("manifest.json", "weights.safetensors"):
        write_zip(tmp_path / "part.pkl", {k: v for k, v in members.items() if k != lacking})
        with pytest.raises(ModelFileError, match=f"lacks {lacking}"):
            serial.load(tmp_path / "part.pkl", allow=HERE)
    write_zip(tmp_path / "garbled.pkl", {**members, "weights.safetensors": b"\x10garbage"})
    with pytest.raises(ModelFileError, match="weights.safetensors is corrupt"):
        serial.load(tmp_path / "garbled.pkl", allow=HERE)
    write_zip(tmp_path / "json.pkl", {**members, "manifest.json": b"{not json"})
    with pytest.raises(ModelFileError, match="not valid JSON"):
        serial.load(tmp_path / "json.pkl", allow=HERE)
    for pushed, complaint in ((b"[1, 2]", "not a mapping"),
                              (b'{"__class__": {}}', "cannot be an attribute"),
                              (b'{"layers": {}}', "cannot be an attribute"),
                              (b'{"monitor_stage_0": {"channels": 3}}', "is damaged")):
        write_zip(tmp_path / "pushed.pkl", {**members, "pushed_monitors.json": pushed})
        with pytest.raises(ModelFileError, match=complaint):
            serial.load(tmp_path / "pushed.pkl", allow=HERE)


def test_format_name_and_version_are_checked(tmp_path):
    good = tmp_path / "good.pkl"
    serial.save(good, make_stack())
    rewrite_manifest(good, tmp_path / "newer.pkl", lambda m: m.update({"format_version": 2}))
    with pytest.raises(ModelFileError, match="version 2, newer .*Upgrade pylearn2"):
        serial.load(tmp_path / "newer.pkl", allow=HERE)
    rewrite_manifest(good, tmp_path / "other.pkl", lambda m: m.update({"format": "keras"}))
    with pytest.raises(ModelFileError, match="'keras'"):
        serial.load(tmp_path / "other.pkl", allow=HERE)


def test_weights_that_do_not_fit_the_rebuilt_model(tmp_path):
    good = tmp_path / "good.pkl"
    serial.save(good, make_stack())
    rewrite_manifest(good, tmp_path / "shape.pkl",
                     lambda m: m["model"]["args"]["layers"][0]["args"].update({"nout": 6}))
    with pytest.raises(ModelFileError, match=r"layers\.0\.weight: file \(4, 5\) vs model "
                                             r"\(4, 6\)"):
        serial.load(tmp_path / "shape.pkl", allow=HERE)
    rewrite_manifest(good, tmp_path / "keys.pkl",
                     lambda m: m["model"]["args"]["layers"][0]["args"].update({"bias": False}))
    with pytest.raises(ModelFileError, match=r"unexpected keys \['layers\.0\.bias'\]"):
        serial.load(tmp_path / "keys.pkl", allow=HERE)
    rewrite_manifest(good, tmp_path / "bad_arg.pkl",
                     lambda m: m["model"]["args"]["layers"][0]["args"].update({"colour": 1}))
    with pytest.raises(ModelFileError, match=r"args\.layers\[0\]: rebuilding .*Affine.*colour"):
        serial.load(tmp_path / "bad_arg.pkl", allow=HERE)


# -- atomic writes and backups -------------------------------------------------------------------
def test_backup_exists_while_writing_and_is_removed_after(tmp_path, monkeypatch):
    path = str(tmp_path / "m.pkl")
    serial.save(path, make_stack(1))
    old = open(path, "rb").read()
    seen = {}
    real_writestr = zipfile.ZipFile.writestr
    real_replace = os.replace

    def spy_writestr(self, name, data, *args, **kwargs):
        seen.setdefault("bak_during_write", open(path + ".bak", "rb").read() == old)
        seen.setdefault("path_during_write", open(path, "rb").read() == old)
        return real_writestr(self, name, data, *args, **kwargs)

    def spy_replace(src, dst):
        if dst == path:
            seen["bak_at_rename"] = os.path.exists(path + ".bak")
        real_replace(src, dst)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", spy_writestr)
    monkeypatch.setattr(os, "replace", spy_replace)
    new_model = perturbed(make_stack(2))
    serial.save(path, new_model)
    assert seen == {"bak_during_write": True, "path_during_write": True, "bak_at_rename": True}
    assert sorted(os.listdir(tmp_path)) == ["m.pkl"]
    monkeypatch.undo()
    assert_same_state(serial.load(path, allow=HERE), new_model)


def test_failure_midway_keeps_the_old_file_and_leaves_no_debris(tmp_path, monkeypatch):
    path = str(tmp_path / "sub" / "m.pkl")
    serial.save(path, make_stack(1))  # creates the missing folder
    old = open(path, "rb").read()
    real_writestr = zipfile.ZipFile.writestr

    def fail_on_weights(self, name, data, *args, **kwargs):
        if name == "weights.safetensors":
            real_writestr(self, name, data[: len(data) // 2], *args, **kwargs)
            raise OSError(28, "No space left on device")
        return real_writestr(self, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", fail_on_weights)
    for on_overwrite in ("backup", "ignore"):
        with pytest.raises(OSError, match="No space left"):
            serial.save(path, perturbed(make_stack(2)), on_overwrite=on_overwrite)
        assert open(path, "rb").read() == old
        assert os.listdir(tmp_path / "sub") == ["m.pkl"]
    with pytest.raises(KeyboardInterrupt):
        serial.atomic_write(path, lambda h: (h.write(b"half"), (_ for _ in ()).throw(
            KeyboardInterrupt())))
    assert open(path, "rb").read() == old and os.listdir(tmp_path / "sub") == ["m.pkl"]


@pytest.mark.slow  # subprocesses
def test_killed_process_leaves_the_old_file_loadable(tmp_path):
    path = tmp_path / "m.pkl"
    model = perturbed(make_stack(1))
    serial.save(path, model)
    old = path.read_bytes()
    script = textwrap.dedent(f"""
        import os, sys, zipfile
        sys.path[:0] = [{os.path.dirname(os.path.abspath(__file__))!r}, os.getcwd()]
        import torch
        from {HERE} import make_stack
        from pylearn2.utils import serial
        real = zipfile.ZipFile.writestr
        def die(self, name, data, *a, **k):
            if name == "weights.safetensors":
                real(self, name, data[:100], *a, **k)
                os._exit(9)  # no cleanup handlers run
            return real(self, name, data, *a, **k)
        zipfile.ZipFile.writestr = die
        serial.save({str(path)!r}, make_stack(2))
    """)
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, cwd=repo)
    assert proc.returncode == 9, proc.stderr
    assert path.read_bytes() == old
    assert_same_state(serial.load(path, allow=HERE), model)
    debris = sorted(os.listdir(tmp_path))
    assert "m.pkl.bak" in debris and any(n.startswith(".m.pkl.tmp-") for n in debris)
    serial.save(path, model)  # the next save replaces the stale backup
    assert "m.pkl.bak" not in os.listdir(tmp_path)


def test_ignore_replaces_without_backup_and_bad_mode_is_refused(tmp_path, monkeypatch):
    path = str(tmp_path / "m.pkl")
    serial.save(path, make_stack(1), on_overwrite="ignore")
    made = []
    monkeypatch.setattr(os, "link", lambda *a: made.append(a))
    new_model = perturbed(make_stack(2))
    serial.save(path, new_model, on_overwrite="ignore")
    assert made == [] and sorted(os.listdir(tmp_path)) == ["m.pkl"]
    assert_same_state(serial.load(path, allow=HERE), new_model)
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask
    with pytest.raises(ConfigError, match="on_overwrite"):
        serial.save(path, new_model, on_overwrite="clobber")


def test_backup_falls_back_to_a_copy_without_hard_links(tmp_path, monkeypatch):
    path = str(tmp_path / "m.pkl")
    serial.save(path, make_stack(1))

    def no_links(*args):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    new_model = perturbed(make_stack(2))
    serial.save(path, new_model)
    assert sorted(os.listdir(tmp_path)) == ["m.pkl"]
    assert_same_state(serial.load(path, allow=HERE), new_model)


# -- checkpoints ---------------------------------------------------------------------------------
def test_checkpoint_restores_rng_streams_and_nested_state(tmp_path):
    gen = np.random.default_rng([1, 2])
    gen.permutation(10)
    legacy = np.random.RandomState(5)
    legacy.rand(3)
    torch.manual_seed(3)
    torch.rand(2)
    velocity = torch.arange(6.0).reshape(2, 3)
    state = {
        "iterator": {"rng": gen.bit_generator.state, "position": np.int64(4)},
        "legacy": legacy.get_state(),
        "torch_rng": torch.get_rng_state(),
        "rule": {0: velocity.t(), 1: velocity[0]},  # non-string keys, non-contiguous views
        "pair": (1, "a", None), "lr": np.float32(0.25), "big": 2 ** 100,
        "mask": np.array([True, False]),
    }
    model = perturbed(make_stack())
    path = str(tmp_path / "c.ckpt")
    serial.save_checkpoint(path, model, state)
    expected = (gen.permutation(10), legacy.rand(4), torch.rand(3))
    loaded, restored = serial.load_checkpoint(path, allow=HERE)
    assert_same_state(loaded, model)
    gen2 = np.random.default_rng(0)
    gen2.bit_generator.state = restored["iterator"]["rng"]
    legacy2 = np.random.RandomState(0)
    legacy2.set_state(restored["legacy"])
    torch.manual_seed(0)
    torch.set_rng_state(restored["torch_rng"])
    np.testing.assert_array_equal(gen2.permutation(10), expected[0])
    np.testing.assert_array_equal(legacy2.rand(4), expected[1])
    assert torch.equal(torch.rand(3), expected[2])
    assert restored["iterator"]["position"] == 4
    assert torch.equal(restored["rule"][0], velocity.t()) and restored["rule"][1].tolist() == [
        0.0, 1.0, 2.0]
    assert restored["pair"] == (1, "a", None) and restored["big"] == 2 ** 100
    assert restored["lr"] == 0.25 and restored["mask"].dtype == np.bool_
    serial.save(tmp_path / "plain.pkl", model)
    with pytest.raises(ModelFileError, match="not a checkpoint"):
        serial.load_checkpoint(tmp_path / "plain.pkl", allow=HERE)


def test_jsonable_state_goes_through_real_json():
    gen = np.random.default_rng(123)
    tree, tensors = serial.to_jsonable({"g": gen.bit_generator.state, "t": torch.ones(2)})
    back = serial.from_jsonable(json.loads(json.dumps(tree)), tensors)
    assert back["g"] == gen.bit_generator.state
    assert back["g"]["state"]["state"] > 2 ** 64  # a 128-bit integer, kept exactly
    with pytest.raises(ModelFileError, match=r"state\['a'\]\[1\]: .*Generator.*bit_generator"):
        serial.to_jsonable({"a": [1, np.random.default_rng(0)]})
    with pytest.raises(ModelFileError, match=r"state\['s'\]: .*set"):
        serial.to_jsonable({"s": {1, 2}})
    with pytest.raises(ModelFileError, match="lacks"):
        serial.from_jsonable({"__tensor__": "t9"}, {})


def test_load_train_file_is_reexported(tmp_path, monkeypatch):
    for name in ("FILE_FULL_STEM", "DIR", "BASE_NAME", "FILE_STEM"):
        monkeypatch.delenv(f"PYLEARN2_TRAIN_{name}", raising=False)  # restored afterwards
    config = tmp_path / "space.yaml"
    config.write_text("!obj:pylearn2.space.VectorSpace {dim: 3}\n")
    assert serial.load_train_file(str(config)) == VectorSpace(3)
    assert os.environ["PYLEARN2_TRAIN_FILE_STEM"] == "space"
