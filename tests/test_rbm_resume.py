"""The RBM's own learning rule (SML chains, update counter, sampling) resumes exactly."""

from __future__ import annotations

import numpy as np
import torch

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.rbm import RBM, GaussianBinaryRBM
from pylearn2.termination_criteria import EpochCounter
from pylearn2.train import Train
from pylearn2.training_algorithms.default import DefaultTrainingAlgorithm


def _binary_data(seed: int = 0) -> DenseDesignMatrix:
    X = (np.random.default_rng(seed).uniform(size=(40, 6)) < 0.3) * 1.0
    return DenseDesignMatrix(X=X.astype(np.float32))


def test_sml_state_is_in_the_state_dict_under_stable_keys():
    model = RBM(nvis=6, nhid=3, nchains=5, base_lr=0.05)
    model.train_batch(_binary_data(), 10)
    state = model.state_dict()
    assert state["sml_updates"].item() == 1
    assert state["sml_chains"].shape == (5, 6)
    fresh = RBM(nvis=6, nhid=3, nchains=5, base_lr=0.05)
    fresh.load_state_dict(state)
    assert torch.equal(fresh.sml_chains, model.sml_chains)
    # The next update from the restored state is the one the original model makes.
    batch = _binary_data(1).X[:10]
    model.learn_mini_batch(batch)
    fresh.learn_mini_batch(batch)
    for p, q in zip(model.parameters(), fresh.parameters()):
        assert torch.equal(p, q)
    assert torch.equal(model.sml_chains, fresh.sml_chains)


def test_sml_chains_advance_and_differ_between_updates():
    model = RBM(nvis=6, nhid=3, nchains=50, base_lr=0.05)
    model.train_batch(_binary_data(), 10)
    first = model.sml_chains.clone()
    assert set(first.unique().tolist()) <= {0.0, 1.0}  # sampled, no longer the 0.5 start
    model.train_batch(_binary_data(), 10)
    assert not torch.equal(first, model.sml_chains)


def _job(model_class, **model_args):
    def job(path, epochs):
        return Train(dataset=_binary_data(), model=model_class(nvis=6, nhid=3, **model_args),
                     save_path=str(path), save_freq=1,
                     algorithm=DefaultTrainingAlgorithm(
                         batch_size=8, batches_per_iter=3,
                         termination_criterion=EpochCounter(epochs)))
    return job


def test_rbm_self_training_resumes_bit_identically(check_resume):
    straight, resumed = check_resume(_job(RBM, nchains=4, base_lr=0.05, anneal_start=4))
    assert int(straight.model.sml_updates) == int(resumed.model.sml_updates) == 12
    assert torch.equal(straight.model.sml_chains, resumed.model.sml_chains)


def test_gaussian_rbm_self_training_resumes_bit_identically(check_resume):
    # The Gaussian RBM takes the original's arguments only: the default SML settings.
    straight, resumed = check_resume(_job(GaussianBinaryRBM, learn_sigma=True,
                                          init_sigma=0.5))
    assert torch.equal(straight.model.sml_chains, resumed.model.sml_chains)
