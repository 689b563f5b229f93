"""The lean training step, opt-in compile, bf16 autocast and thread settings (issue 16).

Speed itself is measured in benchmarks/; these tests check the behaviour the fast paths
must keep: the same updates as the plain path, no module-tree walk per step, constraints
applied exactly as the recursive call applies them, and clear fallbacks.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from helpers import classification_data, classifier

from pylearn2.costs.mlp.dropout import Dropout
from pylearn2.models.model import Model
from pylearn2.termination_criteria import EpochCounter
from pylearn2.train import Train
from pylearn2.training_algorithms.learning_rule import Momentum
from pylearn2.training_algorithms.sgd import SGD
from pylearn2.utils import compiled as compiled_module
from pylearn2.utils.compiled import CompiledOrEager
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.threads import configure_threads, usable_cores


def _job(**sgd_args):
    data = classification_data(n=40)
    model = classifier(max_col_norm=0.5)
    algorithm = SGD(learning_rate=0.5, batch_size=10, device="cpu", monitoring_dataset=data,
                    termination_criterion=EpochCounter(max_epochs=2), **sgd_args)
    return Train(dataset=data, model=model, algorithm=algorithm)


def test_lean_step_matches_the_cost_gradients_and_walks_no_module_tree(monkeypatch):
    job = _job()
    job.setup()
    algorithm, model = job.algorithm, job.model
    batch = next(iter(job.dataset.iterator(mode="sequential", batch_size=10,
                                           data_specs=algorithm.data_specs, return_tuple=True)))
    data = tuple(torch.as_tensor(b) for b in batch)
    expected, _ = algorithm.cost.get_gradients(model, data)
    got, provided, _ = algorithm._gradients(data)
    assert provided is None  # every parameter has a gradient
    for p, g in zip(algorithm.params, got, strict=True):
        torch.testing.assert_close(g, expected[p], rtol=0, atol=0)

    walks = []
    original = torch.nn.Module.named_parameters

    def counting(self, *args, **kwargs):
        walks.append(type(self).__name__)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.nn.Module, "named_parameters", counting)
    algorithm.train(job.dataset)
    assert walks == []  # 4 steps, parameter and constraint lists kept since setup


def test_constraint_targets_apply_what_the_recursive_call_applies():
    a, b = classifier(max_col_norm=0.2), classifier(max_col_norm=0.2)
    with torch.no_grad():
        for pa, pb in zip(a.parameters(), b.parameters()):
            pa.mul_(10.0)
            pb.copy_(pa)
        a.enforce_constraints()
        for target in b.constraint_targets():
            target.enforce_constraints()
    for pa, pb in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(pa, pb, rtol=0, atol=0)
    w = b.layers[0].get_weights() if hasattr(b.layers[0], "get_weights") else None
    if w is not None:
        assert np.linalg.norm(np.asarray(w), axis=0).max() <= 0.2 + 1e-5
    assert classifier().constraint_targets() == []
    assert isinstance(Model().constraint_targets(), list)


def test_bf16_autocast_trains_close_to_float32_and_is_recorded():
    runs = {}
    for precision in (None, "bf16"):
        torch.manual_seed(0)
        job = _job(precision=precision)
        job.main_loop()
        runs[precision] = job
    channels = runs["bf16"].model.monitor.channels
    assert "autocast_bf16" in channels and "autocast_bf16" not in runs[None].model.monitor.channels
    for p32, p16 in zip(runs[None].model.parameters(), runs["bf16"].model.parameters()):
        assert p16.dtype == torch.float32  # parameters stay in their own dtype
        torch.testing.assert_close(p16, p32, rtol=0.05, atol=0.02)
    with pytest.raises(ConfigError, match="precision"):
        SGD(learning_rate=0.1, precision="fp8")


def test_compile_failure_falls_back_to_eager_with_one_log_line(monkeypatch, caplog):
    def broken_compile(fn, **options):
        def run(*args, **kwargs):
            raise RuntimeError("unsupported operation for the test\nsecond line")
        return run

    monkeypatch.setattr(torch, "compile", broken_compile)
    caplog.set_level(logging.WARNING, logger=compiled_module.__name__)
    wrapped = CompiledOrEager(lambda x: x * 2, "doubler")
    assert wrapped(torch.tensor(3.0)).item() == 6.0
    assert wrapped(torch.tensor(4.0)).item() == 8.0
    assert not wrapped.compiled
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "doubler" in lines[0] and "unsupported operation" in lines[0]
    assert "second line" not in lines[0]


def test_compile_flag_with_a_failing_compiler_trains_exactly_as_eager(monkeypatch):
    monkeypatch.setattr(torch, "compile", lambda fn, **o: (lambda *a, **k: 1 / 0))
    eager, fallback = _job(), _job(compile=True)
    eager.main_loop()
    fallback.main_loop()
    assert not fallback.algorithm._forward.compiled
    for pe, pf in zip(eager.model.parameters(), fallback.model.parameters()):
        torch.testing.assert_close(pe, pf, rtol=0, atol=0)


@pytest.mark.slow
def test_compiled_step_equals_eager_within_float_tolerance():
    """Real torch.compile (its first compile takes a minute on a loaded 2-core machine)."""
    eager, compiled = _job(), _job(compile=True)
    eager.main_loop()
    compiled.main_loop()
    assert compiled.algorithm._forward.compiled, compiled.algorithm._forward.fallback_reason
    for pe, pc in zip(eager.model.parameters(), compiled.model.parameters()):
        torch.testing.assert_close(pc, pe, rtol=1e-4, atol=1e-5)


def test_momentum_dropout_and_constraints_still_train_with_the_lean_step():
    data = classification_data(n=40)
    model = classifier(max_col_norm=0.5)
    algorithm = SGD(learning_rate=0.5, batch_size=10, device="cpu", learning_rule=Momentum(0.5),
                    cost=Dropout(), termination_criterion=EpochCounter(max_epochs=2))
    job = Train(dataset=data, model=model, algorithm=algorithm)
    job.main_loop()
    assert algorithm._forward is not None  # Dropout is plain autodiff of its expression
    for layer in model.layers:
        W = layer.get_weights() if hasattr(layer, "get_weights") else None
        if W is not None:
            assert np.linalg.norm(np.asarray(W), axis=0).max() <= 0.5 + 1e-5


def test_thread_count_follows_the_affinity_and_refuses_zero():
    assert usable_cores() == len(os.sched_getaffinity(0))
    before = torch.get_num_threads()
    try:
        assert configure_threads(1) == 1 and torch.get_num_threads() == 1
        with pytest.raises(ConfigError, match="--threads"):
            configure_threads(0)
    finally:
        torch.set_num_threads(before)


def test_train_command_offers_threads_and_compile():
    from pylearn2.scripts.train import make_parser

    args = make_parser().parse_args(["x.yaml", "--threads", "2", "--compile"])
    assert args.threads == 2 and args.compile


@pytest.mark.slow
def test_import_sets_a_passive_wait_policy_unless_the_user_chose_one():
    code = "import os, pylearn2; print(os.environ['OMP_WAIT_POLICY'])"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "PASSIVE", out.stderr
    out = subprocess.run([sys.executable, "-c", code], env={**env, "OMP_WAIT_POLICY": "ACTIVE"},
                         capture_output=True, text=True)
    assert out.stdout.strip() == "ACTIVE", out.stderr


def test_device_resident_batches_equal_the_dataset_iterator(monkeypatch):
    """The resident path (forced on CPU through its budget variable) serves the same
    batches in the same order, so training is bit-identical."""
    from pylearn2.training_algorithms.resident_data import ResidentData

    data = classification_data(n=37)
    specs = classifier().get_default_cost().get_data_specs(classifier())
    resident = ResidentData(data, specs, torch.device("cpu"), torch.float32)
    rng_a, rng_b = np.random.default_rng(3), np.random.default_rng(3)
    ours = list(resident.batches("shuffled_sequential", 10, None, rng_a))
    theirs = list(data.iterator(mode="shuffled_sequential", batch_size=10, rng=rng_b,
                                data_specs=specs, return_tuple=True))
    assert len(ours) == len(theirs) == 4
    for a, b in zip(ours, theirs):
        for x, y in zip(a, b):
            torch.testing.assert_close(x, torch.as_tensor(y).to(x.dtype), rtol=0, atol=0)

    plain = _job()
    plain.main_loop()
    monkeypatch.setenv("PYLEARN2_DEVICE_DATA_MIB", "64")
    kept = _job()
    kept.main_loop()
    assert kept.algorithm._resident[1] is not None and plain.algorithm._resident[1] is None
    for p, q in zip(plain.model.parameters(), kept.model.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=0)


def test_small_dense_steps_run_on_one_thread_unless_a_count_was_chosen(monkeypatch):
    from pylearn2.utils import threads

    set_to = []
    monkeypatch.setattr(threads, "_chosen", [])
    monkeypatch.setattr(threads, "_lowered", [])
    monkeypatch.setattr(threads, "usable_cores", lambda: 2)
    monkeypatch.setattr(torch, "get_num_threads", lambda: set_to[-1] if set_to else 2)
    monkeypatch.setattr(torch, "set_num_threads", set_to.append)
    tiny = [torch.zeros(784, 10), torch.zeros(10)]  # 6 x 20 x 7850 = 0.94 MFLOP per step
    assert threads.step_flops(tiny, 20) == 6 * 20 * 7850
    big = [torch.zeros(784, 1000), torch.zeros(1000, 1000)]
    conv = [torch.zeros(8, 1, 3, 3)]
    assert threads.step_flops(conv, 20) is None  # a kernel's work is not its size
    assert not threads.one_thread_for_small_steps(big, 128) and set_to == []
    assert not threads.one_thread_for_small_steps(conv, 20) and set_to == []
    assert threads.one_thread_for_small_steps(tiny, 20) and set_to == [1]
    assert not threads.one_thread_for_small_steps(tiny, 20) and set_to == [1]
    assert threads.one_thread_for_small_steps(big, 128) and set_to == [1, 2]  # given back
    set_to.clear()
    threads.configure_threads(2)  # --threads 2: the user's count stays
    assert not threads.one_thread_for_small_steps(tiny, 20) and set_to == []


@pytest.mark.slow  # subprocess
def test_an_eager_run_never_loads_the_compiler_stack():
    """torch's compiler (torch._dynamo, inductor) costs about 70 MiB of memory and part of
    a second of import; an eager run of a Dropout MLP with its monitor must not load it
    (a module-level ``torch.compiler.disable`` once did, adding 70 MiB to the MLP
    experiment's peak memory)."""
    code = (
        "import sys\n"
        "sys.path.insert(0, 'tests')\n"
        "from helpers import classification_data, classifier\n"
        "from pylearn2.costs.mlp.dropout import Dropout\n"
        "from pylearn2.termination_criteria import EpochCounter\n"
        "from pylearn2.train import Train\n"
        "from pylearn2.training_algorithms.sgd import SGD\n"
        "Train(dataset=classification_data(n=20), model=classifier(), algorithm=SGD(\n"
        "    learning_rate=0.1, batch_size=5, cost=Dropout(), device='cpu',\n"
        "    monitoring_dataset=classification_data(n=10, seed=1),\n"
        "    termination_criterion=EpochCounter(1))).main_loop()\n"
        "print(sorted(m for m in sys.modules if m.startswith(('torch._dynamo', "
        "'torch._inductor'))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert out.stdout.strip().splitlines()[-1] == "[]"
