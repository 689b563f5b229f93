"""YAML experiment files: tags, substitution, identity of aliases, safety and error messages."""

import os
import textwrap

import numpy as np
import pytest

from pylearn2.config import yaml_parse
from pylearn2.config.yaml_parse import YAMLConfigError, load, load_path, load_train_file
from pylearn2.space import CompositeSpace, Conv2DSpace, VectorSpace
from pylearn2.utils import allowlist
from pylearn2.utils.allowlist import allow_module
from pylearn2.utils.exc import (
    ConfigError,
    EnvironmentVariableError,
    ModelFileError,
    NoDataPathError,
    ShapeError,
    UnsafeObjectError,
)
from pylearn2.utils.string_utils import preprocess


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
    with pytest.raises(UnsafeObjectError, match="leads to 'os.system'"):
        load("!import pylearn2.utils.serial.os.system")
    with pytest.raises(UnsafeObjectError, match="'posix'|'os'"):
        load("!import pylearn2.utils.serial.os")


def test_allowing_a_module_explicitly(monkeypatch):
    import json
    import string

    monkeypatch.setattr(allowlist, "_EXTRA_ALLOWED", set())
    with pytest.raises(UnsafeObjectError, match="PYLEARN2_ALLOW_MODULES"):
        load("!import json.dumps")
    assert load("!import json.dumps", allow="json") is json.dumps
    with pytest.raises(UnsafeObjectError):  # allow= lasts for that call only
        load("!import json.dumps")
    monkeypatch.setenv("PYLEARN2_ALLOW_MODULES", "json")
    assert load("!import json.dumps") is json.dumps
    allow_module("string")
    assert load("!import string.capwords") is string.capwords


def test_pkl_loads_model_files_without_pickle(tmp_path):
    arr = tmp_path / "a.npy"
    np.save(arr, np.arange(3))
    graph = load("x: !pkl: '${P2_DIR}/a.npy'", environ={"P2_DIR": str(tmp_path)})
    np.testing.assert_array_equal(graph["x"], [0, 1, 2])
    np.savez(tmp_path / "b.npz", w=np.eye(2), b=np.ones(3))
    arrays = load(f"!pkl: '{tmp_path / 'b.npz'}'")
    np.testing.assert_array_equal(arrays["w"], np.eye(2))
    np.testing.assert_array_equal(arrays["b"], np.ones(3))
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ModelFileError, match="<string>:2"):
        load(f"a: 1\nb: !pkl: '{tmp_path / 'obj.npy'}'")
    with pytest.raises(YAMLConfigError, match="<string>:1.*does not exist"):
        load(f"!pkl: '{tmp_path / 'missing.npy'}'")
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


def test_tag_and_anchor_in_either_order_and_top_level_list():
    objs = load("""
        - !obj:pylearn2.space.VectorSpace &a {dim: 2}
        - &b !obj:pylearn2.space.VectorSpace {dim: 2}
        - *a
        - *b
    """)
    assert isinstance(objs, list) and len(objs) == 4
    assert objs[0] is objs[2] and objs[1] is objs[3] and objs[0] is not objs[1]
    assert objs[0] == objs[1] == VectorSpace(2)


def test_scientific_notation_survives_yaml_src():
    space = load("!obj:pylearn2.space.CompositeSpace {components: "
                 "[!obj:pylearn2.space.VectorSpace {dim: 1, dtype: '1e-3'}]}")
    inner = yaml_parse.load(space.yaml_src, instantiate=False).kwargs["components"][0]
    assert inner.kwargs["dtype"] == "1e-3"  # a quoted number stays a string
    graph = load("{a: 1e-3, b: '${P2_X}'}", instantiate=False)
    assert graph["a"] == 1e-3 and graph["b"] == "${P2_X}"  # no substitution before building
    with pytest.raises(YAMLConfigError, match="<string>:1: !float expects a number"):
        load("!float 'abc'")


def test_constructor_errors_are_located_and_chained(tmp_path, monkeypatch):
    with pytest.raises(YAMLConfigError) as info:
        load("a: 1\nb: !obj:numpy.zeros {shape: 'abc'}")
    assert "<string>:2: building numpy.zeros failed: TypeError" in str(info.value)
    assert "Check the arguments" in str(info.value)
    assert isinstance(info.value.__cause__, TypeError)
    # A library error keeps its own type and message, with the location in front.
    (tmp_path / "p2_user_mod.py").write_text(textwrap.dedent("""
        from pylearn2.utils.exc import ShapeError

        class Picky:
            def __init__(self, width):
                raise ShapeError(f"width {width} does not fit; use 3")
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ShapeError) as info:
        load("\n!obj:p2_user_mod.Picky {width: 5}", allow="p2_user_mod")
    assert str(info.value) == "<string>:2: width 5 does not fit; use 3"


def test_undefined_variable_in_a_key_names_its_line(tmp_path, monkeypatch):
    monkeypatch.delenv("P2_MISSING", raising=False)
    path = write(tmp_path, "a: 1\nb:\n  '${P2_MISSING}': 2\n")
    with pytest.raises(EnvironmentVariableError, match=f"{path}:3: .*P2_MISSING"):
        load_path(path)


@pytest.mark.parametrize("name,why", [
    ("torch.builtins.eval", "not in the allowlist"),  # a module re-exported by torch
    ("pylearn2.utils.serial.format.np.load", "numpy.load"),  # a denied function reached by alias
    ("pylearn2.utils.serial.format.torch.hub.load_state_dict_from_url", "torch.hub"),
    ("torch.serialization.pickle.loads", "not in the allowlist"),
    ("numpy.lib.npyio.NpzFile", "not in the allowlist"),
    ("torch.utils.benchmark.Timer", "not in the allowlist"),  # executes statement strings
    ("torch.jit.load", "not in the allowlist"),
    ("pylearn2.utils.allowlist.allow_module", "refused"),  # would widen the allowlist
    ("pylearn2.config.yaml_parse.load", "allow= argument"),
    ("pylearn2.utils.serial.load", "!pkl:"),
    ("pylearn2.scripts.cli.main", "refused"),
    ("numpy.random._pickle", "private"),
])
def test_refuses_denied_names_and_aliases(name, why):
    with pytest.raises(UnsafeObjectError, match=r"<string>:1: .*" + __import__("re").escape(why)):
        load(f"!import {name}")


def test_plain_values_from_allowed_modules_are_allowed_and_allow_module_from_yaml_is_not():
    assert load("!import numpy.pi") == np.pi
    assert load("!import torch.float32") is __import__("torch").float32
    before = allowlist.allowed_prefixes()
    with pytest.raises(UnsafeObjectError):
        load("""
            - !obj:pylearn2.utils.allowlist.allow_module {name: os}
            - !obj:os.system {command: 'true'}
        """)
    assert allowlist.allowed_prefixes() == before


def test_preprocess_substitutes_every_reference(monkeypatch):
    monkeypatch.setenv("P2_A", "env")
    monkeypatch.setenv("P2_B", "b")
    assert preprocess("${P2_A}/${P2_B}-${P2_A}", {"P2_A": "x"}) == "x/b-x"
    assert preprocess("no vars, $ alone") == "no vars, $ alone"
    monkeypatch.delenv("PYLEARN2_VIEWER_COMMAND", raising=False)
    with pytest.raises(EnvironmentVariableError, match="image viewer"):
        preprocess("${PYLEARN2_VIEWER_COMMAND}")
    with pytest.raises(ConfigError, match="not followed by"):
        preprocess("${P2_A")
    with pytest.raises(ConfigError, match="not a variable name"):
        preprocess("${ P2_A }")
    with pytest.raises(EnvironmentVariableError, match="Did you mean 'P2_LONG_NAME'"):
        preprocess("${P2_LONG_NAMR}", {"P2_LONG_NAME": "1"})
