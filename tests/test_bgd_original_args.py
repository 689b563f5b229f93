"""BatchGradientDescent's remaining original arguments: inputs, max_iter, tol, gradients,
gradient_updates, accumulate, theano_function_mode."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from pylearn2.optimization.batch_gradient_descent import BatchGradientDescent
from pylearn2.utils.exc import ConfigError


def _least_squares(seed: int, n: int):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, 3))
    y = A @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=n)
    return torch.as_tensor(A), torch.as_tensor(y)


def _mse(w):
    return lambda A, y: ((A @ w - y) ** 2).mean()


def test_inputs_are_passed_on_and_max_iter_runs_to_convergence():
    A, y = _least_squares(0, 30)
    w = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    opt = BatchGradientDescent([w], _mse(w), inputs=["A", "y"], conjugate=True,
                               line_search_mode="exhaustive")
    opt.minimize(A, y)  # max_iter -1: until converged
    expected = np.linalg.lstsq(A.numpy(), y.numpy(), rcond=None)[0]
    np.testing.assert_allclose(w.detach().numpy(), expected, atol=1e-6)
    with pytest.raises(ConfigError, match="2 input values"):
        opt.minimize(A)


def test_max_iter_and_tol_bound_the_steps():
    A, y = _least_squares(1, 30)
    w = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    assert len(BatchGradientDescent([w], lambda: _mse(w)(A, y), max_iter=2).minimize()) == 2
    v = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    stats = BatchGradientDescent([v], lambda: _mse(v)(A, y), tol=1e9).minimize(10)
    assert len(stats) == 1  # the first step is already shorter than tol
    assert BatchGradientDescent([v], lambda: _mse(v)(A, y)).tol == 3e-7  # float64 default
    f = torch.zeros(2, requires_grad=True)
    assert BatchGradientDescent([f], lambda: f.sum()).tol == 1e-6  # float32 default
    with pytest.raises(ConfigError, match="max_iter"):
        BatchGradientDescent([f], lambda: f.sum(), max_iter=0)


def test_given_gradients_replace_autodiff_for_their_parameters():
    x = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    z = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    target = torch.tensor([1.0, 2.0], dtype=torch.float64)
    calls = []

    def frozen():  # a gradient of zero: z never moves although the objective depends on it
        calls.append(1)
        return torch.zeros(2, dtype=torch.float64)

    opt = BatchGradientDescent([x, z], lambda: ((x - target) ** 2).sum() + ((z - 3) ** 2).sum(),
                               gradients={z: frozen})
    opt.minimize(20)
    np.testing.assert_allclose(x.detach().numpy(), [1.0, 2.0], atol=1e-6)
    assert torch.equal(z.detach(), torch.zeros(2, dtype=torch.float64))
    assert len(calls) == opt.evaluations
    with pytest.raises(ConfigError, match="not among params"):
        BatchGradientDescent([x], lambda: x.sum(), gradients={z: frozen})


def test_gradient_updates_run_with_every_gradient():
    x = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    counter = torch.zeros((), dtype=torch.float64)
    opt = BatchGradientDescent([x], lambda: ((x - 1) ** 2).sum(),
                               gradient_updates={counter: lambda: counter + 1})
    opt.minimize(5)
    assert opt.evaluations > 0 and float(counter) == opt.evaluations
    seen = []
    plain = BatchGradientDescent([x], lambda: ((x - 2) ** 2).sum(),
                                 gradient_updates=lambda: seen.append(1))
    plain.minimize(3)
    assert len(seen) == plain.evaluations


def test_accumulate_weights_batches_by_their_size():
    (A1, y1), (A2, y2) = _least_squares(2, 10), _least_squares(3, 25)
    w = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    opt = BatchGradientDescent([w], _mse(w), inputs=["A", "y"], accumulate=True, conjugate=True,
                               line_search_mode="exhaustive")
    opt.minimize([A1, y1], [A2, y2])
    A, y = torch.cat([A1, A2]).numpy(), torch.cat([y1, y2]).numpy()
    expected = np.linalg.lstsq(A, y, rcond=None)[0]  # the mean over all 35 examples
    np.testing.assert_allclose(w.detach().numpy(), expected, atol=1e-6)
    with pytest.raises(ConfigError, match="give inputs"):
        BatchGradientDescent([w], lambda: w.sum(), accumulate=True)


def test_theano_function_mode_is_accepted_logged_and_inert(caplog):
    A, y = _least_squares(4, 20)
    results = []
    for mode in (None, "FAST_RUN"):
        w = torch.zeros(3, dtype=torch.float64, requires_grad=True)
        with caplog.at_level(logging.INFO, logger="pylearn2.optimization.batch_gradient_descent"):
            BatchGradientDescent([w], lambda w=w: _mse(w)(A, y),
                                 theano_function_mode=mode).minimize(4)
        results.append(w.detach().clone())
    assert torch.equal(results[0], results[1])
    assert sum("theano_function_mode" in r.message for r in caplog.records) == 1
