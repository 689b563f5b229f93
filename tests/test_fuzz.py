"""Property-based fuzzing of the YAML loader, the model-file loader and the analysis tools.

Every outcome must be a successful load or a library error (Pylearn2Error), never another
exception; a canary file the hostile inputs try to create never appears; peak memory stays
bounded. The default run is a few hundred cases per target; the slow-marked tests run
thousands (counts recorded in docs/reliability.md).
"""

import io
import resource
import zipfile
from contextlib import redirect_stderr, redirect_stdout

import pytest
from helpers import classifier
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pylearn2.config.yaml_parse import load
from pylearn2.scripts import print_monitor, summarize_model
from pylearn2.scripts._common import run_cli
from pylearn2.utils import serial
from pylearn2.utils.exc import Pylearn2Error

CANARY = "/tmp/pylearn2_fuzz_canary"
FAST, SLOW = 300, 3000
MEMORY_GROWTH_LIMIT_KB = 1 << 20  # 1 GiB of peak RSS growth over the whole fuzz run

SEED_DOCS = [
    "!obj:pylearn2.datasets.dense_design_matrix.DenseDesignMatrix {X: !obj:numpy.zeros "
    "{shape: [4, 3]}}",
    "a: &a [1, 2, 3]\nb: [*a, *a]\nc: !obj:numpy.random.RandomState {seed: 1}",
    "!obj:pylearn2.models.mlp.Softmax {n_classes: 3, layer_name: y, irange: 0.1}",
    "!import numpy.float32",
    "x: !obj:torch.nn.Linear {in_features: 2, out_features: 1}",
]
HOSTILE = [
    f"!obj:os.system {{command: 'touch {CANARY}'}}", f"!pkl: '{CANARY}'",
    f"!obj:pylearn2.utils.download.download_file {{url: 'data:,x', dest: '{CANARY}'}}",
    f"!obj:builtins.open {{file: '{CANARY}', mode: w}}", "!!python/object/apply:os.system [ls]",
    "!obj:numpy.lib.stride_tricks.as_strided {}", "*undefined", "&a [*a]", "[" * 500,
    "!obj:numpy.ones {shape: [1000000000]}", "!obj:pylearn2.utils.serial.os.system {}",
    "${PYLEARN2_NOPE}", "\x00\xff", "!float nope", "{a: 1, a: 2}", "- !obj:torch.ops.x {}",
]


def mutate(data, doc: str) -> str:
    for _ in range(data.draw(st.integers(0, 4))):
        choice = data.draw(st.integers(0, 3))
        pos = data.draw(st.integers(0, len(doc)))
        if choice == 0:
            doc = doc[:pos] + data.draw(st.sampled_from(HOSTILE)) + doc[pos:]
        elif choice == 1:
            doc = doc[:pos] + data.draw(st.text(max_size=8)) + doc[pos:]
        elif choice == 2:
            doc = doc[:pos] + doc[pos + data.draw(st.integers(0, 10)):]
        else:
            doc = doc[:pos]
    return doc


def must_be_clean(call):
    try:
        call()
    except Pylearn2Error as err:
        assert len(str(err)) < 2000, "error messages quote only short prefixes"
    assert not __import__("os").path.exists(CANARY)


def yaml_case(data):
    doc = mutate(data, data.draw(st.sampled_from(SEED_DOCS)))
    must_be_clean(lambda: load(doc))


@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "m.pkl"
    serial.save(path, classifier(hidden=4))
    return path.read_bytes()


def crafted_model(data, good: bytes) -> bytes:
    kind = data.draw(st.integers(0, 2))
    if kind == 0:  # truncated
        return good[: data.draw(st.integers(0, len(good)))]
    if kind == 1:  # random byte flips
        raw = bytearray(good)
        for _ in range(data.draw(st.integers(1, 8))):
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
        return bytes(raw)
    buffer = io.BytesIO()  # a member replaced with crafted content
    with zipfile.ZipFile(io.BytesIO(good)) as old, zipfile.ZipFile(buffer, "w") as new:
        target = data.draw(st.sampled_from(old.namelist()))
        for name in old.namelist():
            body = old.read(name)
            if name == target:
                body = data.draw(st.sampled_from([
                    b"", b"[" * 5000, b"\xff\xfe", b'{"format": "pylearn2-model"}',
                    body.replace(b"pylearn2.models", b"os.system"),
                    body.replace(b"F32", b"I32"), body[: len(body) // 2],
                    body.replace(b"pylearn2.models.mlp.mlp.MLP", b"numpy.random.RandomState"),
                ]))
            new.writestr(name, body)
    return buffer.getvalue()


def model_case(data, good, tmp_path):
    path = tmp_path / "fuzzed.pkl"
    path.write_bytes(crafted_model(data, good))
    must_be_clean(lambda: serial.load(path))
    for module in (summarize_model, print_monitor):
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()) as err:
            status = run_cli(module.make_parser, module.run, [str(path)])
        assert status in (0, 2), err.getvalue()  # 1 would be an internal error
    assert not __import__("os").path.exists(CANARY)


def _peak_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


_SETTINGS = dict(deadline=None, derandomize=True, database=None,
                 suppress_health_check=list(HealthCheck))


@settings(max_examples=FAST, **_SETTINGS)
@given(st.data())
def test_fuzzed_yaml_documents_load_or_fail_cleanly(data):
    yaml_case(data)


@pytest.mark.slow
@settings(max_examples=SLOW, **_SETTINGS)
@given(st.data())
def test_fuzzed_yaml_documents_thousands(data):
    yaml_case(data)


def test_fuzzed_model_files_load_or_fail_cleanly(model_bytes, tmp_path):
    before = _peak_kb()

    @settings(max_examples=FAST, **_SETTINGS)
    @given(st.data())
    def run(data):
        model_case(data, model_bytes, tmp_path)

    run()
    assert _peak_kb() - before < MEMORY_GROWTH_LIMIT_KB


@pytest.mark.slow
def test_fuzzed_model_files_thousands(model_bytes, tmp_path):
    @settings(max_examples=SLOW, **_SETTINGS)
    @given(st.data())
    def run(data):
        model_case(data, model_bytes, tmp_path)

    run()
