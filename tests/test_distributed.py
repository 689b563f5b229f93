"""Data-parallel SGD and BGD across two processes equal one process with the combined batch,
and a checkpoint resumes on another process count (2 -> 1, 1 -> 2) at the same global batch."""

import json
import os
import socket

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.mlp import MLP, RectifiedLinear, Softmax
from pylearn2.termination_criteria import EpochCounter
from pylearn2.train import Train
from pylearn2.training_algorithms.bgd import BGD
from pylearn2.training_algorithms.learning_rule import Momentum
from pylearn2.training_algorithms.sgd import SGD


def monitoring_data():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(23, 5)).astype(np.float32)  # batches of 5 (10) end with 3: uneven slices
    return DenseDesignMatrix(X=X, y=(X[:, 1:2] > 0).astype(np.int64), y_labels=2)


def make_algorithm(kind, batch_size, epochs=None):
    if kind == "bgd":
        return BGD(batch_size=batch_size, conjugate=True, updates_per_batch=3, device="cpu",
                   line_search_mode="exhaustive", termination_criterion=EpochCounter(epochs or 2))
    return SGD(learning_rate=0.1, batch_size=batch_size, device="cpu",
               learning_rule=Momentum(0.5), monitoring_dataset={"valid": monitoring_data()},
               termination_criterion=EpochCounter(epochs or 3, new_epochs=False))


def make_job(batch_size, save_path=None, kind="sgd", epochs=None):
    rng = np.random.default_rng(0)
    # SGD: 46 = 4 full global batches of 10 + 6. BGD: 45 = 24 + 21, and the short batch
    # splits 11/10, so averaging over processes must weight by slice size.
    X = rng.normal(size=(45 if kind == "bgd" else 46, 5)).astype(np.float32)
    y = (X[:, :1] > 0).astype(np.int64)
    model = MLP(nvis=5, seed=[3], layers=[RectifiedLinear(dim=6, layer_name="h", irange=0.4),
                                          Softmax(n_classes=2, layer_name="y", irange=0.2)])
    return Train(dataset=DenseDesignMatrix(X=X, y=y, y_labels=2), model=model,
                 save_path=save_path, save_freq=1 if save_path else 0,
                 algorithm=make_algorithm(kind, batch_size, epochs))


def worker(rank, port, out_dir, kind="sgd", batch_size=5, epochs=None, resume=False,
           save_name="ddp.pkl"):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE="2",
                      RANK=str(rank), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    job = make_job(batch_size=batch_size, save_path=os.path.join(out_dir, save_name), kind=kind,
                   epochs=epochs)
    job.main_loop(resume=resume)
    torch.save({k: v.clone() for k, v in job.model.state_dict().items()},
               os.path.join(out_dir, f"rank{rank}.pt"))
    records = {n: c.val_record for n, c in job.model.monitor.channels.items()
               if "seconds" not in n}
    with open(os.path.join(out_dir, f"rank{rank}.json"), "w") as handle:
        json.dump(records, handle)
    torch.distributed.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow  # subprocesses
def test_two_processes_match_one_with_double_batch(tmp_path):
    mp.spawn(worker, args=(free_port(), str(tmp_path)), nprocs=2, join=True)
    single = make_job(batch_size=10)
    single.main_loop()
    states = [torch.load(tmp_path / f"rank{r}.pt") for r in range(2)]
    for name, value in single.model.state_dict().items():
        torch.testing.assert_close(states[0][name], states[1][name], rtol=0, atol=0)
        torch.testing.assert_close(states[0][name], value, rtol=1e-5, atol=1e-6)
    assert (tmp_path / "ddp.pkl").exists()
    assert single.model.monitor.get_examples_seen() == 3 * 46
    # Each process monitored its slice of every batch; the combined means are those of
    # one process monitoring everything, and both processes record the same values.
    records = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert records[0] == records[1]
    for name in ("valid_objective", "valid_y_misclass", "valid_y_nll"):
        np.testing.assert_allclose(records[0][name], single.model.monitor.channels[name].val_record,
                                   rtol=1e-5)


@pytest.mark.slow  # subprocesses
def test_bgd_two_processes_match_one_with_double_batch(tmp_path):
    """Every process sees the value and gradient of the whole batch, so all make the same
    line searches; the result is one process's run on the combined batches."""
    mp.spawn(worker, args=(free_port(), str(tmp_path), "bgd", 12), nprocs=2, join=True)
    single = make_job(batch_size=24, kind="bgd")
    single.main_loop()
    states = [torch.load(tmp_path / f"rank{r}.pt") for r in range(2)]
    for name, value in single.model.state_dict().items():
        torch.testing.assert_close(states[0][name], states[1][name], rtol=0, atol=0)
        torch.testing.assert_close(states[0][name], value, rtol=1e-4, atol=1e-5)
    assert single.model.monitor.get_examples_seen() == 2 * 45


def test_monitor_gives_each_process_its_slice_of_every_batch(monkeypatch):
    """Two ranks simulated in one process: batches of 5, 5, 5, 5, 3 split 3/2 and 2/1,
    and the two ranks' sums add up to one process's pass over all 23 examples."""
    from pylearn2.costs.mlp import Default
    from pylearn2.monitor import Monitor
    from pylearn2.utils import distributed

    model = make_job(10).model
    monitor = Monitor(model)
    monitor.setup(dataset={"valid": monitoring_data()}, cost=Default(), batch_size=5)
    entry = monitor._datasets["valid"]
    expected = monitor._run_dataset(entry)
    local = {}

    def record_local_sums(sums, count, device=None):
        local[distributed.rank()] = ({k: float(v) for k, v in sums.items()}, count)
        return sums, count

    monkeypatch.setattr(distributed, "world_size", lambda: 2)
    monkeypatch.setattr(distributed, "sum_named_", record_local_sums)
    for r in (0, 1):
        monkeypatch.setattr(distributed, "rank", lambda r=r: r)
        monitor._run_dataset(entry)
    assert [local[r][1] for r in (0, 1)] == [3 * 4 + 2, 2 * 4 + 1]
    for name in ("valid_objective", "valid_y_misclass", "valid_y_nll"):
        combined = (local[0][0][name] + local[1][0][name]) / 23
        assert combined == pytest.approx(expected[name], rel=1e-6)  # float32 per batch


def assert_same_run(state, records, reference):
    """Parameters ``state`` and monitoring ``records`` equal the reference run's, within
    the rounding of averaging per-process gradients."""
    for name, value in reference.model.state_dict().items():
        torch.testing.assert_close(state[name], value, rtol=1e-5, atol=1e-6)
    for name in ("valid_objective", "valid_y_misclass"):
        np.testing.assert_allclose(records[name],
                                   reference.model.monitor.channels[name].val_record, rtol=1e-5)


@pytest.mark.slow  # subprocesses
def test_checkpoint_of_two_processes_resumes_on_one_and_back(tmp_path):
    """2 processes x batch 5 for 2 epochs, resumed by 1 process x batch 10 for a third;
    and 1 x 10 for 2 epochs, resumed by 2 x 5: both end as 3 uninterrupted epochs of one
    process at batch 10 (the same global batch), checkpoints holding nothing per process."""
    reference = make_job(batch_size=10, epochs=3)
    reference.main_loop()

    mp.spawn(worker, args=(free_port(), str(tmp_path), "sgd", 5, 2, False, "two.pkl"),
             nprocs=2, join=True)
    one = make_job(batch_size=10, save_path=str(tmp_path / "two.pkl"), epochs=3)
    one.main_loop(resume=True)
    assert one.resumed and one.model.monitor.get_epochs_seen() == 3
    assert_same_run(one.model.state_dict(),
                    {n: c.val_record for n, c in one.model.monitor.channels.items()}, reference)

    make_job(batch_size=10, save_path=str(tmp_path / "one.pkl"), epochs=2).main_loop()
    mp.spawn(worker, args=(free_port(), str(tmp_path), "sgd", 5, 3, True, "one.pkl"),
             nprocs=2, join=True)
    records = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert records[0] == records[1] and len(records[0]["valid_objective"]) == 4
    assert_same_run(torch.load(tmp_path / "rank0.pt"), records[0], reference)
