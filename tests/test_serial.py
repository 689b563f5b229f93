"""Model files: round trips, refusals, atomic writes with backup, checkpoints."""

import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest
import torch

from pylearn2.models.kmeans import KMeans
from pylearn2.models.mlp import MLP, RectifiedLinear, Softmax, Tanh
from pylearn2.monitor import Monitor
from pylearn2.space import Conv2DSpace
from pylearn2.utils import serial
from pylearn2.utils.exc import ModelFileError, UnsafeObjectError


def conv_mlp():
    space = Conv2DSpace((3, 3), num_channels=2, axes=("c", 0, 1, "b"))
    return MLP(input_space=space, seed=[7], layers=[
        Tanh(dim=4, layer_name="h0", irange=0.4, max_col_norm=2.0),
        RectifiedLinear(5, "h1", istdev=0.3, left_slope=0.05),
        Softmax(n_classes=3, layer_name="y", irange=0.2),
    ])


def test_round_trip_gives_identical_predictions_and_metadata(tmp_path):
    model = conv_mlp()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p))
    model.monitor = Monitor(model)
    model.monitor.report_batch(12)
    model.dataset_yaml_src = "!obj:pylearn2.datasets.digits.Digits {which_set: 'train'}"
    model.tag["best"] = {"value": 0.5}
    path = tmp_path / "model.pkl"
    serial.save(str(path), model)
    loaded = serial.load(str(path))
    x = torch.randn(2, 3, 3, 5)  # axes (c, 0, 1, b)
    assert torch.equal(loaded.fprop(x), model.fprop(x))
    assert loaded.input_space == model.input_space
    assert loaded.layers[0].max_col_norm == 2.0 and loaded.layers[1].left_slope == 0.05
    assert loaded.dataset_yaml_src == model.dataset_yaml_src
    assert loaded.tag == {"best": {"value": 0.5}}
    assert loaded.monitor.get_examples_seen() == 12
    with zipfile.ZipFile(path) as archive:
        assert set(archive.namelist()) == {"manifest.json", "weights.safetensors", "monitor.json",
                                           "dataset.yaml", "tag.json"}
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["format"] == "pylearn2-model" and manifest["format_version"] == 1
    assert manifest["class"] == "pylearn2.models.mlp.layer.MLP"


def test_buffers_of_self_trained_models_survive(tmp_path):
    model = KMeans(k=2, nvis=3)
    model.mu.copy_(torch.arange(6.0).reshape(2, 3))
    serial.save(str(tmp_path / "k.pkl"), model)
    assert torch.equal(serial.load(str(tmp_path / "k.pkl")).mu, model.mu)


def test_pickle_files_are_refused(tmp_path):
    path = tmp_path / "old.pkl"
    path.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    with pytest.raises(ModelFileError, match="pickle"):
        serial.load(str(path))
    (tmp_path / "junk.pkl").write_bytes(b"hello")
    with pytest.raises(ModelFileError, match="not a pylearn2 model file"):
        serial.load(str(tmp_path / "junk.pkl"))


def _rewrite_manifest(src, dst, edit):
    with zipfile.ZipFile(src) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    manifest = json.loads(members["manifest.json"])
    edit(manifest)
    members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(dst, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


@pytest.mark.parametrize("target", ["os.system", "subprocess.Popen", "builtins.eval",
                                    "pylearn2.utils.serial.os.system", "collections.OrderedDict"])
def test_manifest_naming_classes_outside_allowlist_is_refused(tmp_path, target):
    good = tmp_path / "good.pkl"
    serial.save(str(good), conv_mlp())
    bad = tmp_path / "bad.pkl"
    _rewrite_manifest(good, bad, lambda m: m["model"].update({"__class__": target}))
    with pytest.raises(UnsafeObjectError):
        serial.load(str(bad))


def test_corrupt_truncated_and_newer_files(tmp_path):
    good = tmp_path / "good.pkl"
    serial.save(str(good), conv_mlp())
    data = good.read_bytes()
    (tmp_path / "cut.pkl").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError):
        serial.load(str(tmp_path / "cut.pkl"))
    newer = tmp_path / "newer.pkl"
    _rewrite_manifest(good, newer, lambda m: m.update({"format_version": 99}))
    with pytest.raises(ModelFileError, match="newer"):
        serial.load(str(newer))
    mismatch = tmp_path / "mismatch.pkl"
    _rewrite_manifest(good, mismatch,
                      lambda m: m["model"]["args"]["layers"][0]["args"].update({"dim": 6}))
    with pytest.raises(ModelFileError, match="shape mismatches"):
        serial.load(str(mismatch))


def test_backup_kept_until_new_file_is_whole(tmp_path, monkeypatch):
    path = str(tmp_path / "m.pkl")
    serial.save(path, conv_mlp())
    original = open(path, "rb").read()
    seen = {}
    real_replace = os.replace

    def spy(src, dst):
        if dst == path:
            seen["backup_during_write"] = os.path.exists(path + ".bak")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    serial.save(path, conv_mlp())
    assert seen["backup_during_write"] and not os.path.exists(path + ".bak")
    monkeypatch.setattr(os, "replace", real_replace)

    def explode(handle):
        handle.write(b"partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        serial.atomic_write(path, explode)
    assert open(path, "rb").read() == original
    assert sorted(os.listdir(tmp_path)) == ["m.pkl"]


def test_checkpoint_round_trip_restores_rng_streams(tmp_path):
    gen = np.random.default_rng([1, 2])
    gen.permutation(10)
    torch.manual_seed(3)
    state = {"rng": gen.bit_generator.state, "torch": torch.get_rng_state(),
             "nested": {"velocity": torch.arange(4.0), "count": 5, "pair": (1, "a")},
             "array": np.arange(3)}
    path = str(tmp_path / "c.ckpt")
    serial.save_checkpoint(path, conv_mlp(), state)
    expected_np, expected_torch = gen.permutation(10), torch.rand(3)
    _, restored = serial.load_checkpoint(path)
    gen2 = np.random.default_rng(0)
    gen2.bit_generator.state = restored["rng"]
    torch.set_rng_state(restored["torch"])
    assert (gen2.permutation(10) == expected_np).all()
    assert torch.equal(torch.rand(3), expected_torch)
    assert torch.equal(restored["nested"]["velocity"], torch.arange(4.0))
    assert restored["nested"]["pair"] == (1, "a") and restored["nested"]["count"] == 5
    np.testing.assert_array_equal(restored["array"], np.arange(3))


def test_unstorable_argument_names_its_path():
    model = conv_mlp()
    model.layers[0]._init_args["irange"] = io.BytesIO()
    with pytest.raises(ModelFileError, match=r"args.layers\[0\].irange"):
        serial.encode_args(model)
