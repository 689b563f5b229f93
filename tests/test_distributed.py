"""Data-parallel SGD and BGD across two processes equal one process with the combined batch."""

import os
import socket

import numpy as np
import torch
import torch.multiprocessing as mp

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.mlp import MLP, RectifiedLinear, Softmax
from pylearn2.termination_criteria import EpochCounter
from pylearn2.train import Train
from pylearn2.training_algorithms.bgd import BGD
from pylearn2.training_algorithms.learning_rule import Momentum
from pylearn2.training_algorithms.sgd import SGD


def make_algorithm(kind, batch_size):
    if kind == "bgd":
        return BGD(batch_size=batch_size, conjugate=True, updates_per_batch=3, device="cpu",
                   line_search_mode="exhaustive", termination_criterion=EpochCounter(2))
    return SGD(learning_rate=0.1, batch_size=batch_size, device="cpu",
               learning_rule=Momentum(0.5), monitoring_dataset=None,
               termination_criterion=EpochCounter(3))


def make_job(batch_size, save_path=None, kind="sgd"):
    rng = np.random.default_rng(0)
    # SGD: 46 = 4 full global batches of 10 + 6. BGD: 45 = 24 + 21, and the short batch
    # splits 11/10, so averaging over processes must weight by slice size.
    X = rng.normal(size=(45 if kind == "bgd" else 46, 5)).astype(np.float32)
    y = (X[:, :1] > 0).astype(np.int64)
    model = MLP(nvis=5, seed=[3], layers=[RectifiedLinear(dim=6, layer_name="h", irange=0.4),
                                          Softmax(n_classes=2, layer_name="y", irange=0.2)])
    return Train(dataset=DenseDesignMatrix(X=X, y=y, y_labels=2), model=model,
                 save_path=save_path, save_freq=1 if save_path else 0,
                 algorithm=make_algorithm(kind, batch_size))


def worker(rank, port, out_dir, kind="sgd", batch_size=5):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE="2",
                      RANK=str(rank), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    job = make_job(batch_size=batch_size, save_path=os.path.join(out_dir, "ddp.pkl"), kind=kind)
    job.main_loop()
    torch.save({k: v.clone() for k, v in job.model.state_dict().items()},
               os.path.join(out_dir, f"rank{rank}.pt"))
    torch.distributed.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
