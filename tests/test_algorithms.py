"""BGD / conjugate gradient, Dropout, Polyak averaging and MonitorBasedSaveBest."""

import numpy as np
import pytest
import torch

from pylearn2.costs.cost import Cost, SumOfCosts
from pylearn2.costs.mlp import Default, WeightDecay
from pylearn2.costs.mlp.dropout import Dropout
from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.mlp import MLP, Linear, Sigmoid, Softmax
from pylearn2.optimization.batch_gradient_descent import BatchGradientDescent
from pylearn2.termination_criteria import EpochCounter
from pylearn2.train import Train
from pylearn2.train_extensions.best_params import MonitorBasedSaveBest
from pylearn2.train_extensions.polyak import PolyakAveraging
from pylearn2.training_algorithms.bgd import BGD
from pylearn2.training_algorithms.sgd import SGD
from pylearn2.utils import serial
from pylearn2.utils.exc import ConfigError


def test_conjugate_gradient_solves_quadratic_in_n_steps():
    rng = np.random.default_rng(0)
    n = 8
    M = rng.normal(size=(n, n))
    A = torch.tensor(M @ M.T + n * np.eye(n))
    b = torch.tensor(rng.normal(size=n))
    x = torch.zeros(n, dtype=torch.float64, requires_grad=True)
    opt = BatchGradientDescent([x], lambda: 0.5 * x @ A @ x - b @ x, conjugate=True,
                               line_search_mode="exhaustive")
    opt.minimize(n)
    np.testing.assert_allclose(x.detach().numpy(), np.linalg.solve(A.numpy(), b.numpy()),
                               rtol=1e-7, atol=1e-9)
    y = torch.zeros(n, dtype=torch.float64, requires_grad=True)
    steepest = BatchGradientDescent([y], lambda: 0.5 * y @ A @ y - b @ y,
                                    line_search_mode="exhaustive")
    steepest.minimize(n)
    assert np.abs(y.detach().numpy() - np.linalg.solve(A.numpy(), b.numpy())).max() > 1e-6


def test_bgd_matches_scipy_cg_on_logistic_regression():
    from scipy.optimize import minimize

    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 5)).astype(np.float32)
    w_true = rng.normal(size=5)
    y = (X @ w_true + rng.normal(size=200) > 0).astype(np.int64)
    data = DenseDesignMatrix(X=X, y=y[:, None], y_labels=2)
    model = MLP(nvis=5, layers=[Softmax(n_classes=2, layer_name="y", irange=0.0)])
    model.double()
    cost = SumOfCosts([Default(), WeightDecay({"y": 1e-2})])
    Train(dataset=data, model=model, algorithm=BGD(
        cost=cost, batch_size=200, conjugate=True, line_search_mode="exhaustive",
        updates_per_batch=20, termination_criterion=EpochCounter(5), device="cpu",
    )).main_loop()
    X64, Y = X.astype(np.float64), np.eye(2)[y]

    def objective(theta):
        W, b = theta[:10].reshape(5, 2), theta[10:]
        z = X64 @ W + b
        z = z - z.max(1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(1, keepdims=True))
        return -(Y * logp).sum(1).mean() + 1e-2 * (W ** 2).sum()

    result = minimize(objective, np.zeros(12), method="CG", options={"gtol": 1e-10})
    ours = np.concatenate([model.layers[0].W.detach().numpy().ravel(),
                           model.layers[0].b.detach().numpy()])
    assert objective(ours) == pytest.approx(result.fun, abs=1e-10)
    # The softmax is invariant to adding a constant to both classes' parameters.
    W, b = ours[:10].reshape(5, 2), ours[10:]
    W_ref, b_ref = result.x[:10].reshape(5, 2), result.x[10:]
    np.testing.assert_allclose(W[:, 1] - W[:, 0], W_ref[:, 1] - W_ref[:, 0], atol=1e-4)
    np.testing.assert_allclose(b[1] - b[0], b_ref[1] - b_ref[0], atol=1e-4)
    assert set(model.monitor.channels) >= {"ave_step_size", "ave_grad_size", "ave_grad_mult"}


def test_bgd_refuses_stochastic_costs():
    data = DenseDesignMatrix(X=np.zeros((4, 3), np.float32), y=np.zeros((4, 1), np.int64),
                             y_labels=2)
    model = MLP(nvis=3, layers=[Softmax(n_classes=2, layer_name="y", irange=0.1)])
    with pytest.raises(ConfigError, match="stochastic"):
        Train(dataset=data, model=model, algorithm=BGD(cost=Dropout(), batch_size=4)).main_loop()


def test_dropout_masks_probabilities_scales_and_no_masks_when_monitoring():
    torch.manual_seed(0)
    model = MLP(nvis=400, layers=[Linear(dim=400, layer_name="h", irange=0.0),
                                  Linear(dim=1, layer_name="out", irange=0.0)])
    with torch.no_grad():
        model.layers[0].W.copy_(torch.eye(400))
        model.layers[1].W.fill_(1.0)
    cost = Dropout(input_include_probs={"h": 0.8, "out": 0.5}, input_scales={"h": 1.0, "out": 3.0},
                   seed=7)
    X = torch.ones(50, 400)
    out = model.dropout_fprop(X, input_include_probs=cost.input_include_probs,
                              input_scales=cost.input_scales, generator=cost.generator(X.device))
    # out = 3 * (number of inputs kept by both masks): kept with probability 0.8 * 0.5.
    kept = out.detach().numpy()[:, 0] / 3.0
    p, n = 0.4, 400
    assert abs(kept.mean() - p * n) < 4 * np.sqrt(n * p * (1 - p) / 50)
    assert np.allclose(kept, np.round(kept))
    Y = torch.zeros(50, 1)
    deterministic = model.cost_from_X((X, Y))
    # the monitor's objective is the masked cost, as the original recorded it, unless asked
    assert not torch.equal(cost.monitoring_expr(model, (X, Y)), deterministic)
    unmasked = Dropout(input_include_probs={"h": 0.8}, monitor_objective="deterministic")
    assert torch.equal(unmasked.monitoring_expr(model, (X, Y)), deterministic)
    first = cost.expr(model, (X, Y))
    state = cost.state_dict()
    second = cost.expr(model, (X, Y))
    cost.load_state_dict(state)
    assert torch.equal(cost.expr(model, (X, Y)), second) and not torch.equal(first, second)
    assert cost.is_stochastic()


def test_custom_gradients_that_are_not_the_derivative_of_the_value():
    class HalfGradient(Cost):
        """Reports the squared-error value but returns half its gradient."""

        supervised = True

        def expr(self, model, data, **kwargs):
            return model.cost_from_X(data)

        def get_gradients(self, model, data, **kwargs):
            value = self.expr(model, data)
            params = model.get_params()
            grads = torch.autograd.grad(value, params)
            return {p: 0.5 * g for p, g in zip(params, grads)}, {}

    X = np.random.default_rng(2).normal(size=(8, 3)).astype(np.float32)
    y = np.random.default_rng(3).normal(size=(8, 1)).astype(np.float32)
    results = []
    for cost, lr in ((HalfGradient(), 0.2), (Default(), 0.1)):
        model = MLP(nvis=3, seed=[1], layers=[Linear(dim=1, layer_name="o", irange=0.5)])
        Train(dataset=DenseDesignMatrix(X=X, y=y), model=model, algorithm=SGD(
            learning_rate=lr, cost=cost, batch_size=8, train_iteration_mode="sequential",
            termination_criterion=EpochCounter(3))).main_loop()
        results.append(model.layers[0].W.detach().clone())
    torch.testing.assert_close(results[0], results[1])


def test_polyak_average_matches_running_mean_by_hand():
    X = np.random.default_rng(4).normal(size=(12, 3)).astype(np.float32)
    y = np.random.default_rng(5).normal(size=(12, 2)).astype(np.float32)
    model = MLP(nvis=3, layers=[Linear(dim=2, layer_name="o", irange=0.5)])
    history = []

    class Record:
        def __call__(self, algorithm):
            history.append(model.layers[0].W.detach().clone())

    polyak = PolyakAveraging(start=1)
    Train(dataset=DenseDesignMatrix(X=X, y=y), model=model, extensions=[polyak],
          algorithm=SGD(learning_rate=0.05, batch_size=4, update_callbacks=Record(),
                        termination_criterion=EpochCounter(3))).main_loop()
    # 3 batches per epoch; averaging covers the updates of epochs 2 and 3.
    expected = torch.stack(history[3:]).mean(0)
    torch.testing.assert_close(polyak.average["layers.0.W"], expected)
    assert polyak.count == 6


def test_monitor_based_save_best_saves_exactly_on_strict_improvement(tmp_path, monkeypatch):
    saves = []
    monkeypatch.setattr(serial, "save", lambda path, model, on_overwrite="backup":
                        saves.append(model.monitor.get_epochs_seen()))
    ext = MonitorBasedSaveBest(channel_name="v", save_path=str(tmp_path / "best.pkl"))

    class FakeMonitor:
        def __init__(self):
            self.values, self.epoch = [], 0

        def last(self, name):
            return self.values[-1]

        def get_epochs_seen(self):
            return self.epoch

    class FakeModel:
        monitor = FakeMonitor()
        tag = {}

    model = FakeModel()
    for epoch, value in enumerate([5.0, 4.0, 4.0, 4.5, 3.0, 3.0, 2.9]):
        model.monitor.values.append(value)
        model.monitor.epoch = epoch
        ext.on_monitor(model=model)
    assert saves == [0, 1, 4, 6] and ext.best_cost == 2.9
    higher = MonitorBasedSaveBest(channel_name="v", higher_is_better=True, start_epoch=2)
    model.monitor.values, saves[:] = [], []
    for epoch, value in enumerate([1.0, 2.0, 1.5, 3.0]):
        model.monitor.values.append(value)
        model.monitor.epoch = epoch
        higher.on_monitor(model=model)
    assert higher.best_cost == 3.0 and higher.best_epoch == 3


def test_bgd_part2_shape_runs_with_sigmoid():
    from pylearn2.datasets.digits import Digits

    model = MLP(nvis=64, layers=[Sigmoid(dim=20, layer_name="h0", sparse_init=15),
                                 Softmax(n_classes=10, layer_name="y", irange=0.0)])
    train = Digits(which_set="train", stop=300)
    Train(dataset=train, model=model, algorithm=BGD(
        batch_size=300, line_search_mode="exhaustive", conjugate=1, updates_per_batch=10,
        monitoring_dataset={"train": train}, termination_criterion=EpochCounter(3))).main_loop()
    record = model.monitor.channels["train_objective"].val_record
    assert record[-1] < 0.5 * record[0]
