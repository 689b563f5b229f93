"""Data-parallel SGD across two processes equals one process with the combined batch."""

import os
import socket

import numpy as np
import torch
import torch.multiprocessing as mp

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.mlp import MLP, RectifiedLinear, Softmax
from pylearn2.termination_criteria import EpochCounter
from pylearn2.train import Train
from pylearn2.training_algorithms.learning_rule import Momentum
from pylearn2.training_algorithms.sgd import SGD


def make_job(batch_size, save_path=None):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(46, 5)).astype(np.float32)  # 46 = 4 full global batches of 10 + 6
    y = (X[:, :1] > 0).astype(np.int64)
    model = MLP(nvis=5, seed=[3], layers=[RectifiedLinear(dim=6, layer_name="h", irange=0.4),
                                          Softmax(n_classes=2, layer_name="y", irange=0.2)])
    return Train(dataset=DenseDesignMatrix(X=X, y=y, y_labels=2), model=model,
                 save_path=save_path, save_freq=1 if save_path else 0,
                 algorithm=SGD(learning_rate=0.1, batch_size=batch_size, device="cpu",
                               learning_rule=Momentum(0.5), monitoring_dataset=None,
                               termination_criterion=EpochCounter(3)))


def worker(rank, port, out_dir):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE="2",
                      RANK=str(rank), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    job = make_job(batch_size=5, save_path=os.path.join(out_dir, "ddp.pkl"))
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
