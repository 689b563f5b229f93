"""RBMs trained five ways, checked against exact quantities on tiny models."""

import itertools

import numpy as np
import pytest
import torch

from pylearn2.corruption import GaussianCorruptor
from pylearn2.costs.ebm_estimation import (
    NCE,
    SM,
    SMD,
    SML,
    BernoulliNoise,
    CDk,
    score_matching_objective,
)
from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.energy_functions.rbm_energy import grbm_type_1
from pylearn2.models.rbm import RBM, GaussianBinaryRBM
from pylearn2.termination_criteria import EpochCounter
from pylearn2.train import Train
from pylearn2.training_algorithms.sgd import SGD


def all_states(n):
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n)), dtype=torch.float64)


def exact_log_likelihood(model, data):
    with torch.no_grad():
        log_z = torch.logsumexp(-model.free_energy(all_states(model.nvis)), dim=0)
        return float((-model.free_energy(data)).mean() - log_z)


def binary_data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    prototypes = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 1, 1, 1, 0], [1, 0, 0, 0, 1, 1]])
    X = prototypes[rng.integers(0, 3, size=n)]
    flips = rng.uniform(size=X.shape) < 0.05
    return np.where(flips, 1 - X, X).astype(np.float64)


def train(model, cost, X, epochs, lr):
    data = DenseDesignMatrix(X=X)
    Train(dataset=data, model=model, algorithm=SGD(
        learning_rate=lr, cost=cost, batch_size=20, termination_criterion=EpochCounter(epochs),
        device="cpu")).main_loop()


def test_free_energy_equals_summed_energy_and_scores_match_autograd():
    model = RBM(nvis=4, nhid=3, irange=0.8).double()
    with torch.no_grad():
        model.bias_vis.normal_()
        model.bias_hid.normal_()
    v = all_states(4)
    h = all_states(3)
    energies = torch.stack([model.energy(v, hh.expand(16, 3)) for hh in h], dim=1)
    torch.testing.assert_close(model.free_energy(v), -torch.logsumexp(-energies, dim=1))
    for m in (model, GaussianBinaryRBM(grbm_type_1(), nvis=4, nhid=3, init_sigma=1.3).double()):
        x = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
        psi = -torch.autograd.grad(m.free_energy(x).sum(), x, create_graph=True)[0]
        torch.testing.assert_close(m.score(x), psi)
        diag = torch.stack([torch.autograd.grad(psi[:, i].sum(), x, retain_graph=True)[0][:, i]
                            for i in range(4)], dim=1)
        torch.testing.assert_close(m.score_divergence(x), diag)


def test_cd1_gradient_matches_closed_form_in_expectation():
    model = RBM(nvis=3, nhid=2, irange=1.0, rng=[5]).double()
    data = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]], dtype=torch.float64)
    v_all, h_all = all_states(3), all_states(2)
    with torch.no_grad():
        def dF_dW(v):  # dF/dW = -v^T sigmoid(c + vW), per example
            return -(v[:, :, None] * model.mean_h_given_v(v)[:, None, :])

        expected = dF_dW(data).mean(0)
        p_h = model.mean_h_given_v(data)  # (2, 2)
        prob_h = torch.stack([(p_h ** hh * (1 - p_h) ** (1 - hh)).prod(1) for hh in h_all], 1)
        p_v = model.mean_v_given_h(h_all)  # (4 h, 3)
        prob_v = torch.stack([(p_v ** vv * (1 - p_v) ** (1 - vv)).prod(1) for vv in v_all], 1)
        transition = prob_h @ prob_v  # (data, v') one Gibbs step
        expected = expected - (transition[:, :, None, None] * dF_dW(v_all)[None]).sum(1).mean(0)
    cost = CDk(nsteps=1, seed=3)
    copies = data.repeat(20000, 1)
    grads, _ = cost.get_gradients(model, copies)
    torch.testing.assert_close(grads[model.weights], expected, atol=8e-3, rtol=0)


@pytest.mark.parametrize("cost_name", ["cd1", "pcd", "nce"])
def test_estimators_raise_exact_log_likelihood(cost_name):
    X = binary_data()
    model = RBM(nvis=6, nhid=4, irange=0.1, rng=[1], learn_log_z=cost_name == "nce").double()
    before = exact_log_likelihood(model, torch.tensor(X))
    cost = {"cd1": lambda: CDk(nsteps=1),
            "pcd": lambda: SML(batch_size=20, nsteps=1),
            "nce": lambda: NCE(noise=BernoulliNoise(X.mean(0)), noise_per_clean=3)}[cost_name]()
    train(model, cost, X, epochs=400 if cost_name == "nce" else 150, lr=0.2)
    after = exact_log_likelihood(model, torch.tensor(X))
    assert after > before + 0.8, (before, after)


@pytest.mark.parametrize("cost_name", ["sm", "smd"])
def test_score_matching_lowers_exact_objective(cost_name):
    rng = np.random.default_rng(2)
    centres = np.array([[2.0, 0.0, -1.0], [-1.0, 1.5, 1.0]])
    X = centres[rng.integers(0, 2, size=80)] + 0.3 * rng.normal(size=(80, 3))
    model = GaussianBinaryRBM(grbm_type_1(), nvis=3, nhid=4, irange=0.1, init_sigma=1.0,
                              rng=[4]).double()
    data = torch.tensor(X)
    before = float(score_matching_objective(model, data, reduction="sum").detach())
    cost = SM() if cost_name == "sm" else SMD(GaussianCorruptor(stdev=0.3, rng=1))
    # SM averages over the 3 units and SMD is a mean squared error: learning rates
    # scaled to match a per-example objective summed over units
    train(model, cost, X, epochs=40, lr=0.02 * (3 if cost_name == "sm" else 1.5))
    after = float(score_matching_objective(model, data, reduction="sum").detach())
    assert after < before - 0.5, (before, after)


@pytest.mark.parametrize("cost_name", ["sm", "smd"])
def test_score_matching_on_a_tiny_binary_rbm(cost_name):
    X = binary_data()
    model = RBM(nvis=6, nhid=4, irange=0.1, rng=[2]).double()
    data = torch.tensor(X)
    before = float(score_matching_objective(model, data, reduction="sum").detach())
    cost = SM() if cost_name == "sm" else SMD(GaussianCorruptor(stdev=0.5, rng=2))
    train(model, cost, X, epochs=60, lr=0.05 * (6 if cost_name == "sm" else 3))
    after = float(score_matching_objective(model, data, reduction="sum").detach())
    # On binary data the objective is small from the start (>= 0 for a binary RBM).
    assert after < (0.1 if cost_name == "sm" else 0.9) * before, (before, after)


def test_rbm_is_a_block_and_persistent_chains_resume():
    model = RBM(nvis=6, nhid=3)
    v = torch.ones(2, 6)
    torch.testing.assert_close(model.perform(v), torch.sigmoid(model.bias_hid + v @ model.weights))
    cost = SML(batch_size=4, nsteps=2)
    cost.get_gradients(model, v)
    state = cost.state_dict()
    cost.get_gradients(model, v)
    expected = cost.chains.clone()
    again = SML(batch_size=4, nsteps=2)
    again.load_state_dict(state)
    again.get_gradients(model, v)
    torch.testing.assert_close(again.chains, expected)
