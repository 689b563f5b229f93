"""VariationalPCD_VarianceReduction on a v-h0-h1-Softmax DBM (the original's model):
its gradient against a float64 numpy transcription of the estimator, the estimator's
mean under the exact Boltzmann distribution against the exact gradient of log Z, and
the original toronto_neg pass."""

import itertools

import numpy as np
import torch

from pylearn2.costs.dbm import VariationalPCD, VariationalPCD_VarianceReduction
from pylearn2.models.dbm import DBM, BinaryVector, BinaryVectorMaxPool, Softmax


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softmax(z):
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def model(num_chains):
    dbm = DBM(batch_size=num_chains, niter=8, visible_layer=BinaryVector(3), seed=7,
              hidden_layers=[
                  BinaryVectorMaxPool(detector_layer_dim=2, pool_size=1, layer_name="h0",
                                      irange=1.0),
                  BinaryVectorMaxPool(detector_layer_dim=2, pool_size=1, layer_name="h1",
                                      irange=1.0),
                  Softmax(n_classes=3, layer_name="y", irange=1.0)]).double()
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        dbm.visible_layer.bias.copy_(torch.randn(3, generator=gen, dtype=torch.float64))
        for layer in dbm.hidden_layers:
            layer.b.copy_(torch.randn(layer.b.shape, generator=gen, dtype=torch.float64))
    return dbm


def numpy_params(dbm):
    W = [layer.W.detach().numpy() for layer in dbm.hidden_layers]
    b = [dbm.visible_layer.bias.detach().numpy()] + [l.b.detach().numpy() for l in dbm.hidden_layers]
    return W, b


def energy_grads(W, xs):
    """Mean over rows of dE/dtheta for E = -sum b_l.x_l - sum x_{l-1} W_l x_l, as
    [dW0, dW1, dW2, dbv, db0, db1, dby]."""
    dW = [-(xs[i].T @ xs[i + 1]) / len(xs[0]) for i in range(3)]
    db = [-x.mean(0) for x in xs]
    return dW + db


def as_chains(v, h0, h1, y):
    t = [torch.tensor(a) for a in (v, h0, h1, y)]
    return [t[0], (t[1], t[1]), (t[2], t[2]), t[3]]


def grads_in_numpy_order(dbm, grads):
    order = [layer.W for layer in dbm.hidden_layers] + [dbm.visible_layer.bias] + [
        layer.b for layer in dbm.hidden_layers]
    return [grads[p].numpy() for p in order]


def random_chains(n, seed):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 2, (n, 3)).astype(float), rng.integers(0, 2, (n, 2)).astype(float),
            rng.integers(0, 2, (n, 2)).astype(float), np.eye(3)[rng.integers(0, 3, n)])


def test_gradient_matches_the_numpy_estimator():
    n = 5
    dbm = model(n)
    X = np.random.default_rng(0).integers(0, 2, (n, 3)).astype(float)
    V, H0, H1, Y = random_chains(n, 1)
    cost = VariationalPCD_VarianceReduction(num_chains=n, num_gibbs_steps=0)
    cost.chains = as_chains(V, H0, H1, Y)  # no sweeps: the estimator sees these states
    grads, _ = cost.get_gradients(dbm, torch.tensor(X))
    ours = grads_in_numpy_order(dbm, grads)

    (W0, W1, W2), (bv, b0, b1, by) = numpy_params(dbm)
    with torch.no_grad():
        q = [s[1].numpy() if isinstance(s, tuple) else s.numpy() for s in dbm.mf(torch.tensor(X))]
    positive = energy_grads([W0, W1, W2], [X, *q])
    V_mf = sigmoid(H0 @ W0.T + bv)
    H0_mf = sigmoid(V @ W0 + H1 @ W1.T + b0)
    H1_mf = sigmoid(H0 @ W1 + Y @ W2.T + b1)
    Y_mf = softmax(H1 @ W2 + by)
    odd = energy_grads([W0, W1, W2], [V, H0_mf, H1, Y_mf])
    even = energy_grads([W0, W1, W2], [V_mf, H0, H1_mf, Y])
    for got, pos, a, b in zip(ours, positive, odd, even):
        np.testing.assert_allclose(got, pos - 0.5 * (a + b), rtol=1e-10, atol=1e-12)


def test_estimator_is_unbiased_under_the_exact_distribution():
    """Chains drawn from the model itself: the mean of the estimator over the exact
    distribution equals E_p[dE/dtheta], the exact gradient of log Z."""
    dbm = model(1)
    states = list(itertools.product(itertools.product([0.0, 1.0], repeat=3),
                                    itertools.product([0.0, 1.0], repeat=2),
                                    itertools.product([0.0, 1.0], repeat=2), np.eye(3)))
    V, H0, H1, Y = (np.array([s[k] for s in states]) for k in range(4))
    chains = as_chains(V, H0, H1, Y)
    with torch.no_grad():
        e = dbm.energy(chains[0], chains[1:]).numpy()
    p = np.exp(-(e - e.min()))
    p = torch.tensor(p / p.sum())
    cost = VariationalPCD_VarianceReduction(num_chains=len(states), num_gibbs_steps=0)
    cost.chains = chains
    params = dbm.get_params()
    with torch.no_grad():
        halves = cost._negative_states(dbm, chains[0], cost.generator(torch.device("cpu")))
    estimator = sum(w * (p * dbm.energy(s[0], s[1:])).sum() for w, s in halves)
    exact = (p * dbm.energy(chains[0], chains[1:])).sum()
    for g_est, g_exact in zip(torch.autograd.grad(estimator, params),
                              torch.autograd.grad(exact, params)):
        torch.testing.assert_close(g_est, g_exact, rtol=1e-10, atol=1e-12)
    # and it has a smaller spread over single chains than the plain samples
    per_state_rb = sum(w * torch.stack([torch.autograd.grad(
        dbm.energy(s[0][i:i + 1], [tuple(x[i:i + 1] for x in t) if isinstance(t, tuple)
                                    else t[i:i + 1] for t in s[1:]]).sum(), dbm.hidden_layers[0].W)[0]
        for i in range(0, len(states), 7)]) for w, s in halves)
    plain = torch.stack([torch.autograd.grad(dbm.energy(chains[0][i:i + 1], [
        tuple(x[i:i + 1] for x in t) if isinstance(t, tuple) else t[i:i + 1]
        for t in chains[1:]]).sum(), dbm.hidden_layers[0].W)[0]
        for i in range(0, len(states), 7)])
    assert per_state_rb.var(0).sum() < plain.var(0).sum()


def test_toronto_negative_phase_is_the_original_pass():
    n = 4
    dbm = model(n)
    V, H0, H1, Y = random_chains(n, 2)
    cost = VariationalPCD(num_chains=n, num_gibbs_steps=0, toronto_neg=True)
    cost.chains = as_chains(V, H0, H1, Y)
    with torch.no_grad():
        states = cost._negative_phase(dbm, torch.tensor(V), cost.generator(torch.device("cpu")))
    (W0, W1, W2), (bv, b0, b1, by) = numpy_params(dbm)
    H0_mf = sigmoid(V @ W0 + H1 @ W1.T + b0)
    Y_mf = softmax(H1 @ W2 + by)
    H1_mf = sigmoid(H0_mf @ W1 + Y_mf @ W2.T + b1)
    np.testing.assert_allclose(states[0].numpy(), V)
    np.testing.assert_allclose(states[1][1].numpy(), H0_mf, rtol=1e-12)
    np.testing.assert_allclose(states[2][1].numpy(), H1_mf, rtol=1e-12)
    np.testing.assert_allclose(states[3].numpy(), Y)  # the labels keep their samples
