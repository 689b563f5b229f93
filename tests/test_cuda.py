"""CUDA checks (marked ``cuda``; skipped without a CUDA device). benchmarks/gpu_check.sh
runs them on a GPU machine: device-resident training data, prefetched batches from
pinned memory when the data exceed the device budget, every conv layer on CUDA
matching its CPU result, a bf16 autocast run, compiled step and monitor matching eager,
the grouped monitor pass matching CPU, and a model saved on the GPU loading on CPU.

The comparisons are written as functions of the device so that they can also be run on
CPU (``compare_on(device='cpu')``), which keeps them honest where no GPU is at hand.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from helpers import classification_data, classifier

from pylearn2.models.mlp import MLP, Softmax
from pylearn2.models.mlp.conv import (
    ConvElemwise,
    ConvRectifiedLinear,
    MaxoutConvC01B,
    RectifierConvNonlinearity,
    TanhConvNonlinearity,
)
from pylearn2.models.mlp.maxout_local import MaxoutLocalC01B
from pylearn2.space import Conv2DSpace
from pylearn2.termination_criteria import EpochCounter
from pylearn2.train import Train
from pylearn2.training_algorithms.sgd import SGD
from pylearn2.utils import serial

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]

CONV_LAYERS = {
    "ConvElemwise-rectifier": lambda: ConvElemwise(
        output_channels=4, kernel_shape=[3, 3], layer_name="c", irange=0.1,
        nonlinearity=RectifierConvNonlinearity(), pool_shape=[2, 2], pool_stride=[2, 2]),
    "ConvElemwise-tanh": lambda: ConvElemwise(
        output_channels=4, kernel_shape=[3, 3], layer_name="c", irange=0.1,
        nonlinearity=TanhConvNonlinearity()),
    "ConvRectifiedLinear": lambda: ConvRectifiedLinear(
        output_channels=4, kernel_shape=[3, 3], layer_name="c", irange=0.1,
        pool_shape=[2, 2], pool_stride=[2, 2]),
    "MaxoutConvC01B": lambda: MaxoutConvC01B(
        num_channels=4, num_pieces=2, kernel_shape=[3, 3], pool_shape=[2, 2],
        pool_stride=[2, 2], layer_name="c", irange=0.1),
    "MaxoutLocalC01B": lambda: MaxoutLocalC01B(
        num_channels=2, num_pieces=2, kernel_shape=[3, 3], layer_name="c", irange=0.1),
}


def conv_outputs(name: str, device: str) -> tuple[np.ndarray, np.ndarray]:
    """The conv net's output and first gradient on CPU and on ``device``, same weights."""
    torch.manual_seed(0)
    space = Conv2DSpace(shape=[8, 8], num_channels=2, axes=("b", 0, 1, "c"))
    model = MLP(input_space=space, seed=[1, 2, 3],
                layers=[CONV_LAYERS[name](), Softmax(n_classes=3, layer_name="y", irange=0.1)])
    x = torch.randn(5, 8, 8, 2)
    results = []
    for target in ("cpu", device):
        m = copy.deepcopy(model).to(target)
        out = m.fprop(x.to(target))
        grad = torch.autograd.grad(out.square().sum(), next(m.parameters()))[0]
        results.append((out.detach().cpu().double().numpy(), grad.cpu().double().numpy()))
    return results[0], results[1]


@pytest.mark.parametrize("name", sorted(CONV_LAYERS))
def test_conv_layer_on_cuda_matches_cpu(name):
    (out_cpu, grad_cpu), (out_gpu, grad_gpu) = conv_outputs(name, "cuda")
    np.testing.assert_allclose(out_gpu, out_cpu, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(grad_gpu, grad_cpu, rtol=1e-3, atol=1e-5)


def _job(device: str, **sgd) -> Train:
    data = classification_data(n=40)
    algorithm = SGD(learning_rate=0.5, batch_size=10, device=device, monitoring_dataset=data,
                    termination_criterion=EpochCounter(max_epochs=2), **sgd)
    return Train(dataset=data, model=classifier(max_col_norm=0.5), algorithm=algorithm)


def test_training_data_stays_on_the_device_and_trains_as_on_cpu():
    cpu, gpu = _job("cpu"), _job("cuda")
    cpu.main_loop()
    gpu.main_loop()
    resident = gpu.algorithm._resident[1]
    assert resident is not None and all(t.is_cuda for t in resident.tensors)
    for p, q in zip(cpu.model.parameters(), gpu.model.parameters()):
        torch.testing.assert_close(q.cpu(), p, rtol=1e-4, atol=1e-5)


def test_data_over_the_device_budget_comes_prefetched_from_pinned_memory(monkeypatch):
    from pylearn2.training_algorithms import resident_data

    pinned = []
    original = resident_data.BatchPrefetcher._fill

    def spy(self, ready, stop):
        pinned.append(self.pin)
        original(self, ready, stop)

    monkeypatch.setattr(resident_data.BatchPrefetcher, "_fill", spy)
    monkeypatch.setenv("PYLEARN2_DEVICE_DATA_MIB", "0")  # not resident
    cpu, gpu = _job("cpu"), _job("cuda")
    cpu.main_loop()
    gpu.main_loop()
    assert gpu.algorithm._resident[1] is None and pinned and all(pinned)
    for p, q in zip(cpu.model.parameters(), gpu.model.parameters()):
        torch.testing.assert_close(q.cpu(), p, rtol=1e-4, atol=1e-5)


def test_bf16_autocast_run_on_cuda():
    job = _job("cuda", precision="bf16")
    job.main_loop()
    channels = job.model.monitor.channels
    assert "autocast_bf16" in channels
    assert np.isfinite(channels["objective"].val_record[-1])
    assert all(p.dtype == torch.float32 for p in job.model.parameters())


def test_model_saved_on_gpu_loads_on_cpu(tmp_path):
    job = _job("cuda")
    job.main_loop()
    path = tmp_path / "model.pkl"
    serial.save(str(path), job.model)
    loaded = serial.load(str(path))
    for p, q in zip(job.model.parameters(), loaded.parameters()):
        assert q.device.type == "cpu"
        torch.testing.assert_close(q, p.detach().cpu())


def test_compiled_step_and_monitor_on_cuda_match_eager():
    """compile: true on CUDA: the compiled step and the compiled monitor pass (no oneDNN
    rewrite there) train and record as the eager run does, within float32 rounding."""
    eager, fast = _job("cuda"), _job("cuda", compile=True)
    eager.main_loop()
    fast.main_loop()
    for p, q in zip(eager.model.parameters(), fast.model.parameters()):
        torch.testing.assert_close(q, p, rtol=1e-4, atol=1e-5)
    for name, channel in eager.model.monitor.channels.items():
        if "seconds" not in name:
            torch.testing.assert_close(fast.model.monitor.channels[name].val_record,
                                       channel.val_record, rtol=1e-4, atol=1e-5, msg=name)
    assert fast.algorithm._forward.compiled
    assert all(entry._channels._compiled.compiled
               for entry in fast.model.monitor._datasets.values())


def test_monitor_groups_batches_on_cuda_and_records_what_cpu_records():
    """The monitor's grouped pass (several batches per call, torch.vmap) on CUDA, with
    the data resident there: grouping is taken, and every channel equals the CPU run's."""
    cpu, gpu = _job("cpu"), _job("cuda")
    cpu.main_loop()
    gpu.main_loop()
    assert all(entry._channels.grouping is True
               for entry in gpu.model.monitor._datasets.values())
    for name, channel in cpu.model.monitor.channels.items():
        if "seconds" not in name:
            torch.testing.assert_close(gpu.model.monitor.channels[name].val_record,
                                       channel.val_record, rtol=1e-4, atol=1e-5, msg=name)
