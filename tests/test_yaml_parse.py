"""YAML experiment files: tags, substitution, identity of aliases, safety and error messages."""

import os
import textwrap

import numpy as np
import pytest

from pylearn2.config import yaml_parse
from pylearn2.config.yaml_parse import YAMLConfigError, load, load_path, load_train_file
from pylearn2.space import CompositeSpace, Conv2DSpace, VectorSpace
from pylearn2.utils.allowlist import allow_module
from pylearn2.utils.exc import ConfigError, EnvironmentVariableError, NoDataPathError, UnsafeObjectError


def write(tmp_path, text, name="job.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_obj_builds_with_keyword_arguments_and_functions():
    space = load("!obj:pylearn2.space.Conv2DSpace {shape: [4, 5], num_channels: 3, axes: ['c', 0, 1, 'b']}")
    assert space == Conv2DSpace((4, 5), num_channels=3, axes=("c", 0, 1, "b"))
    zeros = load("!obj:numpy.zeros {shape: [2, 3]}")
    np.testing.assert_array_equal(zeros, np.zeros((2, 3)))


def test_import_tags_and_floats():
    graph = load("""
        a: !import pylearn2.space.VectorSpace
        b: !import:numpy.float32
        c: !float '1e-3'
        d: 1e-3
        e: -2.5E+4
        f: .2e4
        g: 1.E4
        h: '1e-3'
    """)
    assert graph["a"] is VectorSpace and graph["b"] is np.float32
    assert graph["c"] == graph["d"] == 1e-3 and isinstance(graph["d"], float)
    assert graph["e"] == -2.5e4 and graph["f"] == 2000.0 and graph["g"] == 1e4
    assert graph["h"] == "1e-3"


def test_env_substitution_everywhere_with_environ_precedence(monkeypatch):
    monkeypatch.setenv("P2_DIM", "7")
    monkeypatch.setenv("P2_KEY", "alpha")
    graph = load("{'${P2_KEY}': 'dim=${P2_DIM}', other: '${P2_DIM}${P2_DIM}'}",
                 environ={"P2_DIM": "3"})
    assert graph == {"alpha": "dim=3", "other": "33"}


def test_anchor_and_alias_give_the_same_instance():
    graph = load("""
        first: &space !obj:pylearn2.space.VectorSpace {dim: 3}
        second: *space
        third: !obj:pylearn2.space.CompositeSpace {components: [*space]}
        fourth: &other !obj:pylearn2.space.VectorSpace {dim: 3}
    """)
    assert graph["first"] is graph["second"] is graph["third"].components[0]
    assert graph["fourth"] is not graph["first"]


def test_yaml_src_is_kept_and_reloads_to_an_equal_object(monkeypatch):
    monkeypatch.setenv("P2_DTYPE", "float64")
    graph = load("""
        inner: &v !obj:pylearn2.space.VectorSpace {dim: 4, dtype: '${P2_DTYPE}'}
        outer: !obj:pylearn2.space.CompositeSpace {components: [*v, *v]}
    """)
    assert "${P2_DTYPE}" in graph["inner"].yaml_src
    rebuilt = load(graph["outer"].yaml_src)
    assert isinstance(rebuilt, CompositeSpace)
    assert rebuilt.components == [VectorSpace(4, dtype="float64")] * 2


def test_load_train_file_sets_environment(tmp_path, monkeypatch):
    for var in ("PYLEARN2_TRAIN_FILE_FULL_STEM", "PYLEARN2_TRAIN_DIR"):
        monkeypatch.delenv(var, raising=False)
    path = write(tmp_path, "{stem: '${PYLEARN2_TRAIN_FILE_STEM}', dir: '${PYLEARN2_TRAIN_DIR}'}",
                 "exp.yaml")
    graph = load_train_file(path)
    assert graph == {"stem": "exp", "dir": str(tmp_path) + os.sep}
    assert os.environ["PYLEARN2_TRAIN_FILE_FULL_STEM"] == str(tmp_path / "exp")
    assert os.environ["PYLEARN2_TRAIN_BASE_NAME"] == "exp.yaml"
    assert yaml_parse.train_file_environ("exp.yaml")["PYLEARN2_TRAIN_DIR"] == ""


def test_template_hyperparams(tmp_path):
    path = write(tmp_path, "!obj:pylearn2.space.VectorSpace {dim: %(dim)i}")
    assert load_path(path, hyperparams={"dim": 9}) == VectorSpace(9)
    with pytest.raises(ConfigError, match="hyperparams"):
        load_path(path)


@pytest.mark.parametrize("name", [
    "os.system", "subprocess.Popen", "builtins.eval", "eval", "numpy.os.system",
    "pylearn2.utils.serial.os.system", "torch.os.system", "numpy.load", "torch.load",
    "pylearn2.config.yaml_parse.os.system", "numpy.testing.os.system", "torch._C",
])
def test_refuses_names_outside_the_allowlist(name):
    with pytest.raises((UnsafeObjectError, ConfigError)) as info:
        load(f"!obj:{name} {{}}")
    message = str(info.value)
    assert "<string>:1" in message
    if isinstance(info.value, UnsafeObjectError) and name.split(".")[0] in ("os", "subprocess",
                                                                            "builtins"):
        assert "PYLEARN2_ALLOW_MODULES" in message
    elif not isinstance(info.value, UnsafeObjectError):
        assert "has no attribute" in message  # the re-export does not exist at all
    with pytest.raises((UnsafeObjectError, ConfigError)):
        load(f"!import {name}")


def test_reexported_module_attribute_is_refused():
    import pylearn2.utils.serial as serial_module

    assert hasattr(serial_module, "os")
    with pytest.raises(UnsafeObjectError, match="'os'"):
        load("!import pylearn2.utils.serial.os.system")
    with pytest.raises(UnsafeObjectError, match="'posix'|'os'"):
        load("!import pylearn2.utils.serial.os")


def test_allowing_a_module_explicitly(monkeypatch):
    with pytest.raises(UnsafeObjectError):
        load("!import json.dumps")
    monkeypatch.setenv("PYLEARN2_ALLOW_MODULES", "json")
    import json

    assert load("!import json.dumps") is json.dumps
    allow_module("string")
    assert load("!import string.capwords")("ab cd") == "Ab Cd"


def test_pkl_loads_model_files_without_pickle(tmp_path):
    arr = tmp_path / "a.npy"
    np.save(arr, np.arange(3))
    assert list(load(f"!pkl: '{arr}'")) == [0, 1, 2]
    with pytest.raises(YAMLConfigError, match="space between"):
        load("!pkl:x 'a.pkl'")


ERRORS = [
    ("!obj:pylearn2.space.VectorSpac {dim: 3}", 1, "Did you mean 'VectorSpace'"),
    ("a: 1\nb: !obj:pylearn2.spaec.VectorSpace {dim: 3}", 2, "Did you mean 'space'"),
    ("x:\n  y: !obj:pylearn2.space.VectorSpace {dimm: 3}", 2, "Did you mean 'dim'"),
    ("!obj:pylearn2.space.VectorSpace {}", 1, "missing required argument(s): dim"),
    ("a: 1\nb: 2\na: 3", 3, "duplicate key 'a'"),
    ("!obj:pylearn2.space.VectorSpace {1: 3}", 1, "must be strings"),
    ("!obj:pylearn2.space.VectorSpace [3]", 1, "must be followed by a mapping"),
    ("a: [1, 2\nb: 3", 2, "YAML syntax error"),
    ("\n\n!obj:pylearn2.space.VectorSpace {dim: -1}", 3, "non-negative"),
]


@pytest.mark.parametrize("text,line,fragment", ERRORS)
def test_error_messages_name_file_line_and_fix(tmp_path, text, line, fragment):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_path(path)
    message = str(info.value)
    assert f"{path}:{line}" in message
    assert fragment in message


def test_undefined_variables(monkeypatch):
    monkeypatch.delenv("PYLEARN2_DATA_PATH", raising=False)
    with pytest.raises(NoDataPathError, match="export PYLEARN2_DATA_PATH"):
        load("a: '${PYLEARN2_DATA_PATH}/mnist'")
    monkeypatch.setenv("P2_SOMETHING_LONG", "1")
    with pytest.raises(EnvironmentVariableError, match="Did you mean 'P2_SOMETHING_LONG'"):
        load("a: '${P2_SOMETHNG_LONG}'")
    with pytest.raises(ConfigError, match="not followed by"):
        load("a: '${OPEN'")
