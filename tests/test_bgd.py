"""BGD and its optimiser: line-search arithmetic, channels, custom gradients, errors, resume."""

import numpy as np
import pytest
import torch

from pylearn2.costs.cost import Cost
from pylearn2.costs.mlp import Default
from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.mlp import MLP, Softmax
from pylearn2.optimization.batch_gradient_descent import BatchGradientDescent
from pylearn2.termination_criteria import EpochCounter
from pylearn2.train import Train
from pylearn2.training_algorithms.bgd import BGD
from pylearn2.utils.exc import ConfigError


def quadratic(n=6, seed=0, condition=50.0):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    A = Q @ np.diag(np.geomspace(1.0, condition, n)) @ Q.T
    b = rng.normal(size=n)
    return torch.tensor(A), torch.tensor(b), np.linalg.solve(A, b)


@pytest.mark.parametrize("mode", [None, "exhaustive"])
def test_conjugate_gradient_on_a_quadratic_needs_n_steps_of_two_evaluations(mode):
    A, b, solution = quadratic()
    x = torch.zeros(6, dtype=torch.float64, requires_grad=True)
    opt = BatchGradientDescent([x], lambda: 0.5 * x @ A @ x - b @ x, conjugate=True,
                               line_search_mode=mode)
    stats = opt.minimize(6)
    np.testing.assert_allclose(x.detach().numpy(), solution, rtol=1e-8, atol=1e-10)
    # The cubic through two points is exact on a quadratic: after the first step (which
    # also evaluates the starting point and expands the bracket), a step costs one trial
    # point that brackets the minimum (two when the first guess falls short) and one
    # interpolated point.
    assert max(s.evaluations for s in stats[1:]) <= 3
    assert sum(s.evaluations for s in stats[1:]) <= 2 * len(stats)


def reference_cg(A, b, steps, beta_formula):
    """Nonlinear CG with exact line searches on 0.5 x'Ax - b'x, in float64 numpy."""
    x = np.zeros(len(b))
    g_prev = d_prev = None
    for _ in range(steps):
        g = A @ x - b
        if d_prev is None:
            d = -g
        else:
            against = g_prev if beta_formula == "polak_ribiere" else -d_prev
            d = -g + max(0.0, g @ (g - against) / (against @ against)) * d_prev
        x = x + (-(g @ d) / (d @ A @ d)) * d
        g_prev, d_prev = g, d
    return x


@pytest.mark.parametrize("formula", ["polak_ribiere", "previous_direction"])
def test_conjugate_beta_formulas_match_a_float64_reference(formula):
    A, b, solution = quadratic(n=6, seed=4, condition=20.0)
    x = torch.zeros(6, dtype=torch.float64, requires_grad=True)
    opt = BatchGradientDescent([x], lambda: 0.5 * x @ A @ x - b @ x, conjugate=True,
                               conjugate_beta=formula, line_search_mode="exhaustive")
    opt.minimize(3)
    expected = reference_cg(A.numpy(), b.numpy(), 3, formula)
    np.testing.assert_allclose(x.detach().numpy(), expected, rtol=1e-8, atol=1e-12)
    # Only the Polak-Ribiere update is conjugate: it alone solves the quadratic in n steps.
    full = reference_cg(A.numpy(), b.numpy(), 6, formula)
    assert np.allclose(full, solution, atol=1e-8) == (formula == "polak_ribiere")
    with pytest.raises(ConfigError, match="conjugate_beta must be one of"):
        BatchGradientDescent([x], lambda: x.sum(), conjugate_beta="fletcher")
    with pytest.raises(ConfigError, match="conjugate_beta must be one of"):
        BGD(conjugate_beta="fletcher")


def test_step_statistics_match_a_hand_computed_steepest_descent_step():
    A, b, _ = quadratic(n=4, seed=1, condition=5.0)
    x = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    opt = BatchGradientDescent([x], lambda: 0.5 * x @ A @ x - b @ x,
                               line_search_mode="exhaustive")
    (stat,) = opt.minimize(1)
    g = -b.numpy()  # gradient at 0
    alpha = (g @ g) / (g @ A.numpy() @ g)  # exact line minimum along -g
    np.testing.assert_allclose(x.detach().numpy(), -alpha * g, rtol=1e-10)
    assert stat.grad_size == pytest.approx(np.linalg.norm(g), rel=1e-12)
    assert stat.step_size == pytest.approx(alpha * np.linalg.norm(g), rel=1e-10)
    assert stat.grad_mult == pytest.approx(alpha, rel=1e-10)


def test_line_search_survives_overflow_and_never_accepts_a_worse_point():
    x = torch.tensor([3.0], dtype=torch.float64, requires_grad=True)
    # exp overflows to inf for big steps; the first trial step (1e3) lands there
    opt = BatchGradientDescent([x], lambda: torch.exp(x).sum() - 2 * x.sum(), init_alpha=1e3,
                               line_search_mode="exhaustive")
    opt.minimize(20)
    assert float(x.detach()) == pytest.approx(np.log(2.0), abs=1e-6)
    y = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    flat = BatchGradientDescent([y], lambda: (y * 0).sum() + 1.0)
    assert flat.minimize(3) == [] and float(y.detach()) == 1.0  # zero gradient: nothing to do


def logistic_data(n=120, seed=2):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.3 * rng.normal(size=n) > 0).astype(np.int64)
    return DenseDesignMatrix(X=X, y=y[:, None], y_labels=2)


def softmax_model():
    return MLP(nvis=4, layers=[Softmax(n_classes=2, layer_name="y", irange=0.0)])


def test_bgd_channels_average_the_steps_of_the_epoch():
    data = logistic_data()
    model = softmax_model()
    model.double()
    W0 = [p.detach().clone() for p in model.get_params()]
    X = torch.as_tensor(data.X, dtype=torch.float64)
    Y = torch.nn.functional.one_hot(torch.as_tensor(data.y[:, 0]), 2).double()
    value = Default().expr(model, (X, Y))
    g0 = torch.autograd.grad(value, model.get_params())
    Train(dataset=data, model=model, algorithm=BGD(
        batch_size=120, updates_per_batch=1, line_search_mode="exhaustive",
        termination_criterion=EpochCounter(1), device="cpu")).main_loop()
    moved = float(torch.sqrt(sum(((p.detach() - q) ** 2).sum()
                                 for p, q in zip(model.get_params(), W0))))
    grad_size = float(torch.sqrt(sum((g ** 2).sum() for g in g0)))
    last = model.monitor.last
    assert last("ave_grad_size") == pytest.approx(grad_size, rel=1e-10)
    assert last("ave_step_size") == pytest.approx(moved, rel=1e-10)
    assert last("ave_grad_mult") == pytest.approx(moved / grad_size, rel=1e-10)


class OnlyBias(Cost):
    """The softmax cost's value, but gradients for the biases only (a custom estimate)."""

    supervised = True

    def expr(self, model, data, **kwargs):
        return model.cost_from_X(data)

    def get_gradients(self, model, data, **kwargs):
        b = model.layers[0].b
        (grad,) = torch.autograd.grad(self.expr(model, data), [b])
        return {b: grad}, {}


def test_bgd_follows_a_cost_s_own_gradients():
    model = softmax_model()
    Train(dataset=logistic_data(), model=model, algorithm=BGD(
        cost=OnlyBias(), batch_size=120, conjugate=True, line_search_mode="exhaustive",
        termination_criterion=EpochCounter(2), device="cpu")).main_loop()
    assert torch.count_nonzero(model.layers[0].W) == 0  # no gradient given: never moved
    b = model.layers[0].b.detach().double().numpy()
    # Only the class prior can be learned: the optimum is the log-odds of the labels.
    y = logistic_data().y[:, 0]
    assert b[1] - b[0] == pytest.approx(np.log(y.mean() / (1 - y.mean())), abs=1e-3)


def test_bgd_argument_errors():
    with pytest.raises(ConfigError, match="line_search_mode"):
        BGD(batch_size=10, line_search_mode="armijo")
    with pytest.raises(ConfigError, match="without a monitoring_dataset"):
        BGD(batch_size=10, monitoring_batches=3)
    with pytest.raises(ConfigError, match="SumOfCosts"):
        BGD(cost=[Default(), Default()], batch_size=10)
    with pytest.raises(ConfigError, match="init_alpha"):
        BGD(batch_size=10, init_alpha=[0.1, -1.0])
    with pytest.raises(ConfigError, match="updates_per_batch"):
        BGD(batch_size=10, updates_per_batch=0)
    forced = MLP(nvis=4, batch_size=30, layers=[Softmax(n_classes=2, layer_name="y", irange=0.0)])
    with pytest.raises(ConfigError, match="set_batch_size"):
        Train(dataset=logistic_data(), model=forced,
              algorithm=BGD(batch_size=40, termination_criterion=EpochCounter(1))).main_loop()
    Train(dataset=logistic_data(), model=forced, algorithm=BGD(
        batch_size=40, set_batch_size=True, init_alpha=(0.01, 0.1),
        termination_criterion=EpochCounter(1))).main_loop()
    assert forced.force_batch_size == 40 and forced.monitor.get_examples_seen() == 120

    class NoValue(OnlyBias):
        def expr(self, model, data, **kwargs):
            return None

        def get_gradients(self, model, data, **kwargs):
            b = model.layers[0].b
            return {b: torch.autograd.grad(model.cost_from_X(data), [b])[0]}, {}

    with pytest.raises(ConfigError, match="returns None"):
        Train(dataset=logistic_data(), model=softmax_model(), algorithm=BGD(
            cost=NoValue(), batch_size=60, termination_criterion=EpochCounter(1))).main_loop()


def test_bgd_resume_is_bit_identical(check_resume):
    def job(path, epochs):
        return Train(dataset=logistic_data(), model=softmax_model(), save_path=str(path),
                     save_freq=1, algorithm=BGD(
                         batch_size=40, conjugate=True, reset_conjugate=False, reset_alpha=False,
                         updates_per_batch=3, monitoring_dataset={"valid": logistic_data(seed=3)},
                         termination_criterion=EpochCounter(epochs), device="cpu"))
    check_resume(job, channels=["valid_objective", "ave_step_size", "ave_grad_mult"])
