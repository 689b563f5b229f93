"""SGD(compile=True): the compiled step (forward and backward through torch.compile, CPU
matrix products through oneDNN) resumes exactly and trains as the eager step does.

Tolerances: a compiled run and its resumed copy run the same compiled kernels on the same
inputs in the same order, so they must agree bit for bit. Compiled against eager, the
float32 sums inside the matrix products are taken in another order (oneDNN's blocking,
inductor's fused reductions), so each step differs by float32 rounding (~1e-7 relative)
and a few epochs of SGD amplify that to ~1e-6; rtol 1e-4 / atol 1e-5 leaves room for that
and still fails on any real difference (a wrong gradient moves parameters by ~1e-2).
Compiling takes tens of seconds on a loaded 2-core machine, hence slow.
"""

from __future__ import annotations

import functools

import pytest
import torch
from helpers import classification_data, classifier

from pylearn2.termination_criteria import EpochCounter
from pylearn2.train import Train
from pylearn2.training_algorithms.learning_rule import Momentum
from pylearn2.training_algorithms.sgd import SGD, ExponentialDecay
from pylearn2.utils.compiled import CompiledOrEager, onednn_available

pytestmark = pytest.mark.slow


def make_job(path, epochs, compile=True, dropout=False):
    from pylearn2.costs.mlp.dropout import Dropout

    cost = Dropout(default_input_include_prob=0.7, default_input_scale=1 / 0.7) if dropout else None
    algorithm = SGD(learning_rate=0.2, batch_size=8, device="cpu", compile=compile, cost=cost,
                    learning_rule=Momentum(0.5),
                    update_callbacks=ExponentialDecay(decay_factor=1.02, min_lr=1e-3),
                    monitoring_dataset={"valid": classification_data(n=20, seed=1)},
                    termination_criterion=EpochCounter(epochs))
    return Train(dataset=classification_data(n=44), model=classifier(max_col_norm=0.8),
                 algorithm=algorithm, save_path=None if path is None else str(path),
                 save_freq=1 if path is not None else 0)


def test_compiled_run_resumes_bit_for_bit_and_matches_eager(check_resume):
    from torch._dynamo.utils import counters

    counters.clear()
    straight, resumed = check_resume(make_job, epochs=4, stop_at=2)
    step = straight.algorithm._forward
    assert isinstance(step, CompiledOrEager) and step.compiled, step.fallback_reason
    assert not counters["graph_break"], dict(counters["graph_break"])  # one graph per step
    assert resumed.algorithm._forward.compiled
    eager = make_job(None, 4, compile=False)
    eager.main_loop()
    for (name, pe), pc in zip(eager.model.named_parameters(), straight.model.parameters()):
        torch.testing.assert_close(pc, pe, rtol=1e-4, atol=1e-5, msg=name)
    for name, channel in eager.model.monitor.channels.items():
        if "seconds" not in name:
            torch.testing.assert_close(straight.model.monitor.channels[name].val_record,
                                       channel.val_record, rtol=1e-4, atol=1e-5)


@pytest.mark.skipif(not onednn_available(), reason="torch built without oneDNN")
def test_onednn_matmul_pass_rewrites_forward_and_backward_products():
    """Every float32 CPU mm/addmm of the forward and backward graphs whose first operand
    has contiguous rows is rewritten; the weight gradients (first operand a transposed
    view) stay with the BLAS; values and gradients equal the eager ones within float32
    rounding."""
    from pylearn2.utils import compiled

    seen, kept_first_strides = [], []
    original = compiled._rewrite_matmuls

    def spy(graph):
        original(graph)
        seen.append(sorted(str(n.target) for n in graph.nodes if "mm" in str(n.target)))
        kept_first_strides.extend(n.args[0].meta["val"].stride() for n in graph.nodes
                                  if n.target is torch.ops.aten.mm.default)

    torch.manual_seed(0)
    W, b = torch.randn(6, 4, requires_grad=True), torch.randn(4, requires_grad=True)
    V = torch.randn(4, 3, requires_grad=True)
    x = torch.randn(5, 6)

    def f(x):
        return torch.tanh(torch.addmm(b, x, W)).mm(V).square().sum()

    compiled._rewrite_matmuls = spy
    try:
        torch._dynamo.reset()  # nothing from an earlier compile of the same code
        with torch._inductor.config.patch(fx_graph_cache=False):
            step = CompiledOrEager(f, "test function", cpu_matmuls=True)
            value = step(x)
            grads = torch.autograd.grad(value, [W, b, V])
    finally:
        compiled._rewrite_matmuls = original
    assert step.compiled, step.fallback_reason
    assert seen and all("aten.addmm.default" not in names for names in seen)
    # forward: x @ W and tanh(.) @ V; backward: the input gradient g @ V.T
    assert sum(names.count("pylearn2.onednn_mm.default") for names in seen) == 3
    # backward: the weight gradients x.T @ g and tanh(.).T @ g, first operands transposed
    assert sum(names.count("aten.mm.default") for names in seen) == 2
    assert sorted(kept_first_strides) == [(1, 4), (1, 6)], kept_first_strides
    expected = f(x)
    torch.testing.assert_close(value, expected, rtol=1e-5, atol=1e-5)
    for g, e in zip(grads, torch.autograd.grad(expected, [W, b, V])):
        torch.testing.assert_close(g, e, rtol=1e-5, atol=1e-5)


def test_compiled_monitor_pass_is_one_graph_with_one_forward_and_eager_values():
    """Monitor.compile (set by SGD(compile=True)): each dataset's per-batch function
    (forward pass, every channel) is one compiled graph with the network's two matrix
    products once (the cost's, the model's and the output layer's channels share them),
    and every channel equals the eager monitor's within float32 rounding, tail batch
    (28 = 3 x 8 + 4) included."""
    from torch._dynamo.utils import counters

    from pylearn2.utils import compiled

    products = []
    original = compiled._rewrite_matmuls

    def spy(graph):
        original(graph)
        products.append(sum("onednn_mm" in str(n.target) for n in graph.nodes))

    def monitored(compile):
        job = make_job(None, 1, compile=compile)
        job.algorithm.monitoring_dataset = {"valid": classification_data(n=28, seed=1),
                                            "train": classification_data(n=16, seed=2)}
        job.setup()
        job.model.monitor()
        return job

    counters.clear()
    compiled._rewrite_matmuls = spy
    try:
        torch._dynamo.reset()
        with torch._inductor.config.patch(fx_graph_cache=False):
            fast = monitored(True)
    finally:
        compiled._rewrite_matmuls = original
    assert not counters["graph_break"], dict(counters["graph_break"])
    for name, entry in fast.model.monitor._datasets.items():
        assert entry._channels._compiled.compiled, (name, entry._channels._compiled.fallback_reason)
    assert onednn_available() is False or (products and set(products) == {2}), products
    slow = monitored(False)
    eager = slow.model.monitor.channels
    names = [n for n in eager if "seconds" not in n]
    assert len(names) > 20 and set(names) <= set(fast.model.monitor.channels)
    for name in names:
        torch.testing.assert_close(fast.model.monitor.channels[name].val_record,
                                   eager[name].val_record, rtol=1e-5, atol=1e-6, msg=name)


def test_compiled_run_with_dropout_draws_the_masks_eager_draws(check_resume):
    """Dropout's training masks and its monitored objective (masked, from the monitor's
    own seeded generator) are random: compiled, the step and the monitor must draw exactly
    the numbers eager draws, so every channel, the random objective included, agrees.
    (A monitor that ran its producers an extra time, e.g. once eager to learn the
    channel names, shifted the masks and failed this by about 0.05.) Resumed from its
    checkpoint, the compiled Dropout run equals the uninterrupted one bit for bit."""

    def run(compile):
        job = make_job(None, 2, compile=compile, dropout=True)
        job.main_loop()
        return job.model.monitor.channels

    fast, eager = run(True), run(False)
    assert "valid_objective" in eager
    for name, channel in eager.items():
        if "seconds" not in name:
            torch.testing.assert_close(fast[name].val_record, channel.val_record,
                                       rtol=1e-4, atol=1e-5, msg=name)
    check_resume(functools.partial(make_job, dropout=True), epochs=3, stop_at=1)


def test_dropout_inside_a_users_own_torch_compile():
    """apply_dropout under a torch.compile that CompiledOrEager did not make (before any
    of ours in a fresh process its disabled copy may not exist yet): it still runs, with
    the generator's draws, instead of calling a missing copy."""
    from pylearn2.models.mlp.layer import apply_dropout
    from pylearn2.utils import compiled

    saved = dict(compiled._eager_only)
    compiled._eager_only.update({fn: None for fn in compiled._eager_only})
    try:
        torch._dynamo.reset()
        g = torch.Generator().manual_seed(0)
        out = torch.compile(lambda x: apply_dropout(x, 0.5, 2.0, generator=g) + 1)(
            torch.ones(4, 6))
    finally:
        compiled._eager_only.update(saved)
    keep = torch.rand((4, 6), generator=torch.Generator().manual_seed(0)) < 0.5
    torch.testing.assert_close(out, keep.float() * 2.0 + 1)
