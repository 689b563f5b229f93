"""Hostile YAML files and model files, one test per attack family (issue 12)."""

import json
import os
import zipfile

import numpy as np
import pytest
import torch
from helpers import classifier

from pylearn2.config.yaml_parse import load
from pylearn2.utils import allowlist, serial
from pylearn2.utils.download import check_download
from pylearn2.utils.exc import ConfigError, ModelFileError, Pylearn2Error, UnsafeObjectError


# --- code execution through any allowed name -------------------------------------------
@pytest.mark.parametrize("name", [
    "torch.cuda.memory.CUDAPluggableAllocator", "torch.utils.cpp_extension.load_inline",
    "numpy.lib.stride_tricks.as_strided", "numpy.ctypeslib.load_library", "torch.ops.load_library",
    "numpy.load", "torch.load", "numpy.lib.utils.safe_eval", "torch.hub.load",
    "numpy.testing.assert_", "os.system", "builtins.eval", "subprocess.Popen",
    "torch.nn.modules.module.Module.__reduce_ex__", "torch.classes.load_library",
])
def test_names_outside_the_allowlist_are_refused_before_import(name):
    with pytest.raises(UnsafeObjectError, match="not in the allowlist|private|refused"):
        load(f"!import {name}")


def test_every_registry_name_resolves_and_nothing_else_from_the_library():
    registry = allowlist.library_registry()
    assert "pylearn2.models.mlp.mlp.MLP" in registry and len(registry) > 300
    assert not any(n.startswith(("pylearn2.utils.allowlist", "pylearn2.scripts")) for n in registry)
    for name, obj in list(registry.items())[::25]:
        assert allowlist.resolve(name) is obj
    with pytest.raises(UnsafeObjectError, match="leads to 'numpy"):
        allowlist.resolve("pylearn2.utils.serial.format.np.load")


def test_reviewed_external_names_work_and_model_files_use_only_library_classes():
    assert isinstance(load("!obj:numpy.random.RandomState {seed: 1}"), np.random.RandomState)
    assert isinstance(load("!obj:torch.nn.Linear {in_features: 2, out_features: 3}"),
                      torch.nn.Linear)
    assert load("!import numpy.float32") is np.float32
    with pytest.raises(UnsafeObjectError, match="library only"):
        allowlist.resolve("numpy.random.RandomState", library_only=True)


def test_user_packages_are_trusted_only_when_named(tmp_path, monkeypatch):
    (tmp_path / "p2_sec_user.py").write_text("def f(x):\n    return x + 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(UnsafeObjectError):
        load("!obj:p2_sec_user.f {x: 1}")
    assert load("!obj:p2_sec_user.f {x: 1}", allow="p2_sec_user") == 2
    monkeypatch.setenv("PYLEARN2_ALLOW_MODULES", "p2_sec_user")
    assert load("!obj:p2_sec_user.f {x: 2}") == 3


# --- file read/write --------------------------------------------------------------------
@pytest.mark.parametrize("url", ["file:///etc/passwd", "data:text/plain,hello", "ftp://x/y"])
def test_downloads_accept_only_http_urls(url, tmp_path, monkeypatch):
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="only http"):
        check_download(url, str(tmp_path / "x"))


def test_downloads_write_only_under_data_and_output_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path / "data"))
    monkeypatch.setenv("PYLEARN2_OUTPUT_PATH", str(tmp_path / "out"))
    check_download("https://example.org/a", str(tmp_path / "data" / "a"))
    for dest in ("/etc/cron.d/x", str(tmp_path / "data" / ".." / "elsewhere")):
        with pytest.raises(ConfigError, match="outside the data and output"):
            check_download("https://example.org/a", dest)
    canary = tmp_path / "canary"
    with pytest.raises(Pylearn2Error):
        load(f"!obj:pylearn2.utils.download.download_file {{url: 'file:///etc/hostname', "
             f"dest: '{canary}'}}")
    assert not canary.exists()


# --- hang and memory --------------------------------------------------------------------
def test_pkl_of_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(Pylearn2Error, match="not a regular file"):
        load(f"!pkl: '{fifo}'")
    with pytest.raises(ModelFileError, match="not a regular file"):
        serial.load(fifo)


def test_alias_bomb_and_huge_arrays_are_refused_quickly():
    levels = "".join(f"l{i + 1}: &l{i + 1} [{', '.join([f'*l{i}'] * 10)}]\n" for i in range(9))
    with pytest.raises(ConfigError, match="aliases"):
        load("l0: &l0 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n" + levels)
    with pytest.raises(ConfigError, match="PYLEARN2_MAX_ARRAY_ELEMENTS"):
        load("!obj:numpy.zeros {shape: [100000, 100000]}")
    with pytest.raises(ConfigError, match="PYLEARN2_MAX_ARRAY_ELEMENTS"):
        load("!obj:torch.randn [100000, 100000]".replace("[", "{size: [").replace("]", "]}"))


def test_deep_nesting_is_refused_in_yaml_and_json(tmp_path):
    with pytest.raises(ConfigError, match="nested"):
        load("[" * 3000 + "]" * 3000)
    model_path = tmp_path / "m.pkl"
    serial.save(model_path, classifier())
    deep = "[" * 100000 + "]" * 100000
    rewrite(model_path, tmp_path / "deep.pkl", {"monitor.json": deep.encode()})
    with pytest.raises(ModelFileError, match="nested"):
        serial.load(tmp_path / "deep.pkl")


def rewrite(src, dest, replace, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(dest, "w", compression) as new:
        for name in old.namelist():
            new.writestr(name, replace.get(name, old.read(name)))
        for name, data in replace.items():
            if name not in old.namelist():
                new.writestr(name, data)


def test_zip_bomb_member_is_refused_before_inflating(tmp_path):
    model_path = tmp_path / "m.pkl"
    serial.save(model_path, classifier())
    rewrite(model_path, tmp_path / "bomb.pkl", {"monitor.json": b" " * (200 << 20)},
            zipfile.ZIP_DEFLATED)
    assert os.path.getsize(tmp_path / "bomb.pkl") < 2 << 20
    with pytest.raises(ModelFileError, match="more than this file may hold"):
        serial.load(tmp_path / "bomb.pkl")


# --- dtype, traceback ---------------------------------------------------------------------
def test_weights_with_another_dtype_kind_are_refused_naming_the_member(tmp_path):
    from safetensors.torch import load as st_load
    from safetensors.torch import save as st_save

    model_path = tmp_path / "m.pkl"
    serial.save(model_path, classifier())
    with zipfile.ZipFile(model_path) as archive:
        weights = st_load(archive.read("weights.safetensors"))
    key = sorted(weights)[0]
    weights[key] = weights[key].to(torch.int32)
    rewrite(model_path, tmp_path / "bad.pkl", {"weights.safetensors": st_save(weights)})
    with pytest.raises(ModelFileError, match=f"member '{key}' is torch.int32"):
        serial.load(tmp_path / "bad.pkl")


def test_bad_member_encodings_and_values_end_in_library_errors(tmp_path):
    model_path = tmp_path / "m.pkl"
    serial.save(model_path, classifier())
    for replace in ({"manifest.json": b"\xff\xfe not utf8"},
                    {"manifest.json": json.dumps({"format": "x" * 10000}).encode()},
                    {"weights.safetensors": b"garbage"}):
        rewrite(model_path, tmp_path / "bad.pkl", replace)
        with pytest.raises(ModelFileError) as info:
            serial.load(tmp_path / "bad.pkl")
        assert len(str(info.value)) < 600


def test_cli_turns_an_unexpected_exception_into_one_line(capsys):
    import argparse

    from pylearn2.scripts._common import run_cli

    def make_parser():
        return argparse.ArgumentParser(prog="pylearn2 demo-tool")

    def boom(args):
        raise KeyError("x" * 5000)

    assert run_cli(make_parser, boom, []) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "rerun with -V".lower() in err.lower() and len(err) < 400
    with pytest.raises(KeyError):
        run_cli(make_parser, boom, ["-V"])


def test_fuzz_findings_stay_fixed(tmp_path):
    with pytest.raises(ConfigError, match="could not be read"):
        load("a: !!float nope")
    model_path = tmp_path / "m.pkl"
    serial.save(model_path, classifier())
    raw = bytearray(model_path.read_bytes())
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 6] = 64  # "version needed to extract" 6.4: zipfile raises NotImplementedError
    (tmp_path / "v.pkl").write_bytes(bytes(raw))
    with pytest.raises(ModelFileError):
        serial.load(tmp_path / "v.pkl")
