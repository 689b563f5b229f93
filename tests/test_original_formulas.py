"""The original Pylearn2's formulas, written independently in float64 numpy from its
definitions, against what the library computes (tight tolerances).

Each reference names the definition it follows: objective reductions (mean over examples
*and* units for SM, SMD and the Sigmoid output), the type-1 Gaussian-binary RBM energy
(every term over a scalar sigma^2), NCE's two separate means, SML's chain timing, Dropout
through the logits, Softmax index targets, Maxout pooling with a stride, And/Or
short-circuit.
"""

import itertools

import numpy as np
import pytest
import torch

from pylearn2.costs.ebm_estimation import NCE, SM, SMD, SML, BernoulliNoise
from pylearn2.costs.mlp.dropout import Dropout
from pylearn2.energy_functions.rbm_energy import grbm_type_1
from pylearn2.models.mlp import MLP, Linear, Maxout, Sigmoid, Softmax
from pylearn2.models.rbm import RBM, GaussianBinaryRBM
from pylearn2.termination_criteria import And, Or, TerminationCriterion
from pylearn2.utils.exc import ConfigError

pytestmark = pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad")


def softplus(x):
    return np.logaddexp(0.0, x)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def numpy_params(model):
    return {n: p.detach().double().numpy().copy() for n, p in model.named_parameters()}


# -- Gaussian-binary RBM, type-1 energy --------------------------------------------------------
def grbm(sigma=1.7, seed=3):
    model = GaussianBinaryRBM(grbm_type_1(), nvis=4, nhid=3, irange=0.6, init_sigma=sigma,
                              learn_sigma=True, rng=[seed]).double()
    with torch.no_grad():
        model.bias_vis.copy_(torch.tensor([0.3, -0.2, 0.5, 0.1]))
        model.bias_hid.copy_(torch.tensor([-0.4, 0.2, 0.7]))
    return model


def grbm_reference(model):
    W, b, c = (model.weights.detach().double().numpy(), model.bias_vis.detach().double().numpy(),
               model.bias_hid.detach().double().numpy())
    s2 = float(model.sigma.detach()) ** 2

    def energy(v, h):
        return -(v @ b + ((v @ W) * h).sum(1) + h @ c - 0.5 * (v ** 2).sum(1)) / s2

    def p_h(v):
        return sigmoid((c + v @ W) / s2)

    def free_energy(v):
        return (0.5 * (v ** 2).sum(1) - v @ b) / s2 - softplus((v @ W + c) / s2).sum(1)

    def score(v):
        return -(v - b - p_h(v) @ W.T) / s2

    return energy, p_h, free_energy, score


def test_grbm_type1_conditionals_energy_free_energy_and_score():
    model = grbm()
    energy, p_h, free_energy, score = grbm_reference(model)
    v = np.random.default_rng(0).normal(size=(6, 4)) * 2
    V = torch.tensor(v)
    np.testing.assert_allclose(model.mean_h_given_v(V).detach().numpy(), p_h(v), rtol=1e-12)
    np.testing.assert_allclose(model.free_energy(V).detach().numpy(), free_energy(v), rtol=1e-12)
    np.testing.assert_allclose(model.score(V).detach().numpy(), score(v), rtol=1e-11, atol=1e-12)
    hs = np.array(list(itertools.product([0.0, 1.0], repeat=3)))
    for h in hs:
        H = torch.tensor(np.repeat(h[None], 6, 0))
        np.testing.assert_allclose(model.energy(V, H).detach().numpy(),
                                   energy(v, np.repeat(h[None], 6, 0)), rtol=1e-12)
    # F(v) = -log sum_h exp(-E(v, h)) by enumeration
    energies = np.stack([energy(v, np.repeat(h[None], 6, 0)) for h in hs], 1)
    enumerated = -np.log(np.exp(-energies).sum(1))
    np.testing.assert_allclose(free_energy(v), enumerated, rtol=1e-12)
    # P(v | h) has mean b + W h
    h = hs[5]
    mean = model.mean_v_given_h(torch.tensor(h[None])).detach().numpy()
    np.testing.assert_allclose(mean[0], model.bias_vis.detach().numpy()
                               + model.weights.detach().numpy() @ h, rtol=1e-12)


def test_grbm_sigma_is_learned_through_its_driver():
    model = grbm(sigma=2.0)
    model.sigma_lr_scale = 1.0
    scaled = GaussianBinaryRBM(grbm_type_1(), nvis=4, nhid=3, init_sigma=2.0, learn_sigma=True,
                               sigma_lr_scale=0.1, rng=[3]).double()
    assert float(scaled.sigma.detach()) == pytest.approx(2.0)
    assert float(scaled.sigma_driver.detach()) == pytest.approx(20.0)
    # clipping keeps sigma itself in [min_sigma, max_sigma]
    with torch.no_grad():
        scaled.sigma_driver.fill_(1e3)
    scaled.enforce_constraints()
    assert float(scaled.sigma.detach()) == pytest.approx(10.0)


# -- score matching --------------------------------------------------------------------------
def test_sm_is_the_mean_over_examples_and_units():
    model = grbm()
    _, p_h, _, score = grbm_reference(model)
    W = model.weights.detach().double().numpy()
    s2 = float(model.sigma.detach()) ** 2
    v = np.random.default_rng(1).normal(size=(5, 4))
    p = p_h(v)
    curvature = -1.0 / s2 + (p * (1 - p)) @ (W ** 2).T / s2 ** 2
    for lambd in (0.0, 0.3):
        expected = np.mean(0.5 * score(v) ** 2 + curvature + lambd * curvature ** 2)
        got = float(SM(lambd=lambd).expr(model, torch.tensor(v)))
        assert got == pytest.approx(expected, rel=1e-12)
    summed = float(SM(reduction="sum").expr(model, torch.tensor(v)))
    assert summed == pytest.approx(4 * float(SM().expr(model, torch.tensor(v))), rel=1e-12)


class FixedNoise:
    """A Gaussian corruptor whose noise is fixed in advance (for a closed-form check)."""

    def __init__(self, noise, stdev):
        self.noise, self.stdev = noise, stdev

    def __call__(self, x):
        return x + self.stdev * torch.as_tensor(self.noise)


def test_smd_is_the_mean_squared_score_difference():
    model = grbm()
    _, _, _, score = grbm_reference(model)
    rng = np.random.default_rng(2)
    v, eps = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    stdev = 0.4
    noisy = v + stdev * eps
    parzen = (v - noisy) / stdev ** 2  # -d/dx of ||x - v||^2 / (2 stdev^2) at x = noisy
    expected = np.mean((score(noisy) - parzen) ** 2)
    got = float(SMD(FixedNoise(eps, stdev)).expr(model, torch.tensor(v)))
    assert got == pytest.approx(expected, rel=1e-12)
    half_sum = float(SMD(FixedNoise(eps, stdev), reduction="half_sum").expr(model, torch.tensor(v)))
    assert half_sum == pytest.approx(0.5 * ((score(noisy) - parzen) ** 2).sum(1).mean(), rel=1e-12)


# -- binary RBM and its estimators ----------------------------------------------------------
def binary_rbm(seed=4):
    model = RBM(nvis=5, nhid=3, irange=0.8, rng=[seed]).double()
    with torch.no_grad():
        model.bias_vis.copy_(torch.tensor([0.2, -0.1, 0.4, 0.0, -0.3]))
        model.bias_hid.copy_(torch.tensor([0.1, -0.5, 0.3]))
    return model


def binary_free_energy(p, v):
    return -(v @ p["bias_vis"]) - softplus(p["bias_hid"] + v @ p["weights"]).sum(1)


def test_binary_rbm_free_energies():
    model = binary_rbm()
    p = numpy_params(model)
    v = (np.random.default_rng(3).uniform(size=(6, 5)) < 0.5).astype(float)
    np.testing.assert_allclose(model.free_energy_given_v(torch.tensor(v)).detach().numpy(),
                               binary_free_energy(p, v), rtol=1e-12)
    h = (np.random.default_rng(4).uniform(size=(6, 3)) < 0.5).astype(float)
    expected = -(h @ p["bias_hid"]) - softplus(p["bias_vis"] + h @ p["weights"].T).sum(1)
    np.testing.assert_allclose(model.free_energy_given_h(torch.tensor(h)).detach().numpy(),
                               expected, rtol=1e-12)


def test_nce_two_separate_means_without_a_learned_log_z():
    model = binary_rbm()
    p = numpy_params(model)
    rng = np.random.default_rng(5)
    probs = np.array([0.3, 0.6, 0.5, 0.2, 0.7])
    x = (rng.uniform(size=(4, 5)) < 0.5).astype(float)
    y = (rng.uniform(size=(12, 5)) < probs).astype(float)  # 3 noise samples per example

    def log_noise(z):
        return (z * np.log(probs) + (1 - z) * np.log(1 - probs)).sum(1)

    def G(z):
        return -binary_free_energy(p, z) - log_noise(z)

    expected = -np.mean(-softplus(-G(x))) - np.mean(-softplus(G(y)))
    cost = NCE(noise=BernoulliNoise(probs), noise_per_clean=3)
    got = float(cost.expr(model, torch.tensor(x), noisy_data=torch.tensor(y)))
    assert got == pytest.approx(expected, rel=1e-6)  # the noise keeps float32 probabilities
    k = 3
    paper = -np.mean(-softplus(-(G(x) - np.log(k)))) - k * np.mean(-softplus(G(y) - np.log(k)))
    got = float(NCE(BernoulliNoise(probs), 3, weighting="paper").expr(
        model, torch.tensor(x), noisy_data=torch.tensor(y)))
    assert got == pytest.approx(paper, rel=1e-6)


def test_sml_first_negative_phase_uses_chains_at_one_half_then_advances():
    model = binary_rbm()
    p = numpy_params(model)
    v = (np.random.default_rng(6).uniform(size=(4, 5)) < 0.5).astype(float)
    cost = SML(batch_size=3, nsteps=1)
    grads, _ = cost.get_gradients(model, torch.tensor(v))

    def dF_dW(z):
        return -(z[:, :, None] * sigmoid(p["bias_hid"] + z @ p["weights"])[:, None, :]).mean(0)

    half = np.full((3, 5), 0.5)
    np.testing.assert_allclose(grads[model.weights].numpy(), dF_dW(v) - dF_dW(half), rtol=1e-10)
    chains = cost.chains.numpy()
    assert chains.shape == (3, 5) and set(np.unique(chains)) <= {0.0, 1.0}  # advanced after


# -- MLP output costs -----------------------------------------------------------------------
def test_sigmoid_output_cost_is_mean_over_units_through_the_logits():
    mlp = MLP(nvis=3, layers=[Sigmoid(dim=4, layer_name="y", irange=0.5)]).double()
    p = numpy_params(mlp)
    x = np.random.default_rng(7).normal(size=(5, 3)) * 30  # saturating logits
    y = (np.random.default_rng(8).uniform(size=(5, 4)) < 0.5).astype(float)
    z = x @ p["layers.0.W"] + p["layers.0.b"]
    expected = (y * softplus(-z) + (1 - y) * softplus(z)).mean(1).mean()
    got = float(mlp.cost_from_X((torch.tensor(x), torch.tensor(y))))
    assert got == pytest.approx(expected, rel=1e-12)


def test_softmax_index_targets_of_several_labels():
    mlp = MLP(nvis=3, layers=[Softmax(n_classes=5, layer_name="y", irange=0.5,
                                      binary_target_dim=2)]).double()
    p = numpy_params(mlp)
    x = np.random.default_rng(9).normal(size=(4, 3))
    labels = np.array([[0, 3], [1, 1], [4, 2], [2, 0]])
    z = x @ p["layers.0.W"] + p["layers.0.b"]
    log_p = z - np.log(np.exp(z).sum(1, keepdims=True))
    expected = -np.mean(log_p[np.arange(4)[:, None], labels])  # over examples and slots
    got = float(mlp.cost_from_X((torch.tensor(x), torch.tensor(labels))))
    assert got == pytest.approx(expected, rel=1e-12)
    channels = mlp.get_monitoring_channels((torch.tensor(x), torch.tensor(labels)))
    assert float(channels["y_nll"]) == pytest.approx(expected, rel=1e-12)


def test_softmax_non_redundant_pins_the_last_logit():
    mlp = MLP(nvis=3, layers=[Softmax(n_classes=4, layer_name="y", irange=0.5,
                                      non_redundant=True)]).double()
    layer = mlp.layers[0]
    assert tuple(layer.W.shape) == (3, 3) and tuple(layer.b.shape) == (3,)
    x = torch.tensor(np.random.default_rng(1).normal(size=(2, 3)))
    assert torch.all(layer.logits(x)[:, -1] == 0)
    assert mlp.fprop(x).shape == (2, 4)


def confident_mlp():
    mlp = MLP(nvis=2, layers=[Softmax(n_classes=2, layer_name="y", irange=0.1)]).double()
    with torch.no_grad():
        mlp.layers[0].W.copy_(torch.tensor([[50.0, -50.0], [0.0, 0.0]]))
    return mlp


def test_dropout_cost_through_logits_keeps_a_confidently_wrong_example():
    mlp = confident_mlp()
    x = torch.tensor([[2.0, 0.0]], dtype=torch.float64)
    y = torch.tensor([[0.0, 1.0]], dtype=torch.float64)  # logits (100, -100), wrong
    cost = Dropout(default_input_include_prob=1.0, default_input_scale=2.0)
    value = cost.expr(mlp, (x, y))
    assert float(value) == pytest.approx(200.0, rel=1e-12)  # -log softmax = 200, no cap
    (grad,) = torch.autograd.grad(value, [mlp.layers[0].W])
    assert float(grad.abs().sum()) > 1.0
    channels = mlp.get_monitoring_channels((x, y))
    assert float(channels["y_nll"]) == pytest.approx(200.0, rel=1e-12)


def test_dropout_include_prob_one_does_not_rescale():
    mlp = MLP(nvis=3, layers=[Linear(dim=2, layer_name="h", irange=0.5),
                              Softmax(n_classes=2, layer_name="y", irange=0.5)]).double()
    x = torch.tensor(np.random.default_rng(2).normal(size=(4, 3)))
    y = torch.eye(2, dtype=torch.float64)[[0, 1, 1, 0]]
    cost = Dropout(default_input_include_prob=1.0, default_input_scale=2.0)
    assert float(cost.expr(mlp, (x, y))) == pytest.approx(float(mlp.cost_from_X((x, y))),
                                                           rel=1e-12)


# -- Maxout with a pool stride ----------------------------------------------------------------
@pytest.mark.parametrize("pieces,stride", [(3, 3), (3, 1), (4, 2)])
def test_maxout_pools(pieces, stride):
    units = 4
    mlp = MLP(nvis=3, layers=[Maxout(layer_name="h", num_units=units, num_pieces=pieces,
                                     pool_stride=stride, irange=0.5)]).double()
    p = numpy_params(mlp)
    x = np.random.default_rng(3).normal(size=(5, 3))
    z = x @ p["layers.0.W"] + p["layers.0.b"]
    detector = units * pieces
    starts = range(0, detector - pieces + 1, stride)
    expected = np.stack([z[:, s:s + pieces].max(1) for s in starts], 1)
    got = mlp.fprop(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert mlp.layers[0].output_space.dim == expected.shape[1]


def test_maxout_randomize_pools_reads_random_pieces():
    mlp = MLP(nvis=3, layers=[Maxout(layer_name="h", num_units=2, num_pieces=3,
                                     randomize_pools=True, irange=0.5)]).double()
    layer = mlp.layers[0]
    P = layer.permute.double().numpy()
    assert np.all(P.sum(0) == 1)  # each detector slot reads exactly one piece
    x = np.random.default_rng(4).normal(size=(5, 3))
    p = numpy_params(mlp)
    z = (x @ p["layers.0.W"] + p["layers.0.b"]) @ P
    np.testing.assert_allclose(mlp.fprop(torch.tensor(x)).detach().numpy(),
                               z.reshape(5, 2, 3).max(2), rtol=1e-12)


def test_linear_copy_input_appends_the_input():
    mlp = MLP(nvis=3, layers=[Linear(dim=2, layer_name="h", irange=0.5, copy_input=True)]).double()
    p = numpy_params(mlp)
    x = np.random.default_rng(5).normal(size=(4, 3))
    expected = np.concatenate([x @ p["layers.0.W"] + p["layers.0.b"], x], 1)
    np.testing.assert_allclose(mlp.fprop(torch.tensor(x)).detach().numpy(), expected, rtol=1e-12)
    assert mlp.layers[0].output_space.dim == 5


# -- termination criteria ----------------------------------------------------------------------
class Counting(TerminationCriterion):
    def __init__(self, vote):
        self.vote, self.asked = vote, 0
        self.reason = None

    def continue_learning(self, model):
        self.asked += 1
        return self.vote


def test_and_or_short_circuit():
    first, second = Counting(False), Counting(True)
    assert And([first, second]).continue_learning(None) is False
    assert (first.asked, second.asked) == (1, 0)
    first, second = Counting(True), Counting(False)
    assert Or([first, second]).continue_learning(None) is True
    assert (first.asked, second.asked) == (1, 0)
    first, second = Counting(True), Counting(True)
    assert And([first, second]).continue_learning(None) is True
    assert (first.asked, second.asked) == (1, 1)


# -- conv pooling size -------------------------------------------------------------------------
def test_pooled_size_matches_the_original_or_refuses():
    from pylearn2.models.mlp.conv import max_pool, pooled_size

    for size, pool, stride in [(9, 3, 2), (10, 3, 3), (8, 2, 2), (11, 2, 3)]:
        n = pooled_size(size, pool, stride)
        assert n == int(np.ceil((size - pool) / stride)) + 1
        out = max_pool(torch.randn(1, 1, size, size), (pool, pool), (stride, stride))
        assert out.shape[-1] == n
    with pytest.raises(ConfigError, match="covers"):
        pooled_size(8, 1, 3)


def test_modify_updates_applies_the_max_col_norm_to_proposed_values():
    mlp = MLP(nvis=3, layers=[Linear(dim=2, layer_name="h", irange=0.5, max_col_norm=1.0)])
    layer = mlp.layers[0]
    before = layer.W.detach().clone()
    proposed = {layer.W: torch.full((3, 2), 5.0)}
    layer.censor_updates(proposed)
    norms = proposed[layer.W].pow(2).sum(0).sqrt()
    torch.testing.assert_close(norms, torch.ones(2))
    torch.testing.assert_close(layer.W.detach(), before)  # the parameter itself is untouched


# -- training algorithms and the monitor -------------------------------------------------------
def small_classification(n=10, seed=0):
    from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    return DenseDesignMatrix(X=X, y=(X[:, :1] > 0).astype(np.int64), y_labels=2)


def softmax_mlp(**kw):
    return MLP(nvis=3, seed=[3], layers=[Softmax(n_classes=2, layer_name="y", irange=0.5, **kw)])


def test_monitoring_batches_alone_split_the_whole_monitoring_set():
    """The monitor's value is the example-weighted mean over the whole set, cut into
    ``monitoring_batches`` batches (not a subset of ``batch_size`` batches)."""
    from pylearn2.costs.mlp import Default
    from pylearn2.training_algorithms.sgd import SGD

    data = small_classification(n=10)
    model = softmax_mlp()
    algorithm = SGD(learning_rate=0.0, batch_size=2, monitoring_batches=3,
                    monitoring_dataset={"valid": data}, cost=Default(), device="cpu")
    algorithm.setup(model, data)
    model.monitor()
    X = torch.as_tensor(data.X)
    Y = torch.nn.functional.one_hot(torch.as_tensor(data.y[:, 0]), 2).float()
    expected = float(Default().expr(model, (X, Y)))
    assert model.monitor.last("valid_objective") == pytest.approx(expected, rel=1e-6)
    assert model.monitor.get_examples_seen() == 0


def test_stochastic_monitor_mode_is_seeded_and_iterators_take_a_randomstate():
    from pylearn2.training_algorithms.sgd import SGD

    data = small_classification(n=12)
    values = []
    for _ in range(2):
        model = softmax_mlp()
        algorithm = SGD(learning_rate=0.0, batch_size=4, monitoring_batches=2,
                        monitoring_batch_size=3, monitor_iteration_mode="random_uniform",
                        monitoring_dataset={"valid": data}, device="cpu")
        algorithm.setup(model, data)
        model.monitor()
        values.append(model.monitor.last("valid_objective"))
    assert values[0] == values[1]  # seeded: reproducible
    batches = [b for b in data.iterator(mode="shuffled_sequential", batch_size=4,
                                        rng=np.random.RandomState(0))]
    assert sum((b[0] if isinstance(b, tuple) else b).shape[0] for b in batches) == 12


def test_custom_gradients_for_a_subset_leave_the_rest_alone():
    from pylearn2.costs.cost import Cost
    from pylearn2.costs.mlp import Default
    from pylearn2.training_algorithms.learning_rule import Momentum
    from pylearn2.training_algorithms.sgd import SGD

    class OnlyW(Cost):
        supervised = True

        def expr(self, model, data, **kwargs):
            return Default().expr(model, data)

        def has_custom_gradients(self):
            return True

        def get_gradients(self, model, data, **kwargs):
            W = model.layers[0].W
            (g,) = torch.autograd.grad(self.expr(model, data), [W])
            return {W: g}, {}

    data = small_classification(n=8)
    model = softmax_mlp()
    b0, W0 = model.layers[0].b.detach().clone(), model.layers[0].W.detach().clone()
    algorithm = SGD(learning_rate=0.1, batch_size=4, cost=OnlyW(),
                    learning_rule=Momentum(0.5), device="cpu")
    algorithm.setup(model, data)
    algorithm.train(data)
    torch.testing.assert_close(model.layers[0].b.detach(), b0)
    assert not torch.equal(model.layers[0].W.detach(), W0)


def test_bgd_scales_each_parameter_step_and_constrains_every_trial_point():
    from pylearn2.optimization.batch_gradient_descent import BatchGradientDescent
    from pylearn2.training_algorithms.bgd import BGD

    data = small_classification(n=10)
    model = softmax_mlp(b_lr_scale=0.0)
    b0 = model.layers[0].b.detach().clone()
    algorithm = BGD(batch_size=10, updates_per_batch=3, device="cpu")
    algorithm.setup(model, data)
    algorithm.train(data)
    torch.testing.assert_close(model.layers[0].b.detach(), b0)  # b_lr_scale 0: b never moves
    # the line search only sees constrained points: minimise (x - 3)^2 with x <= 1
    x = torch.zeros(1, requires_grad=True)
    seen = []

    def clamp():
        x.clamp_(max=1.0)

    def objective():
        seen.append(float(x.detach()))
        return ((x - 3.0) ** 2).sum()

    optimizer = BatchGradientDescent([x], objective, init_alpha=4.0, param_constrainers=[clamp])
    optimizer.minimize(3)
    assert max(seen) <= 1.0 and float(x.detach()) == pytest.approx(1.0)


def test_softmax_nll_of_soft_target_rows_is_the_original_definition():
    """Float rows of targets (not only one-hot): the mean over examples of
    -sum_k Y_k log softmax(z)_k, the original Softmax.cost, in float64."""
    mlp = MLP(nvis=3, layers=[Softmax(n_classes=4, layer_name="y", irange=0.5)]).double()
    p = numpy_params(mlp)
    rng = np.random.default_rng(11)
    x, y = rng.normal(size=(6, 3)), rng.uniform(size=(6, 4)) * 2.0
    z = x @ p["layers.0.W"] + p["layers.0.b"]
    log_p = z - np.log(np.exp(z).sum(1, keepdims=True))
    expected = -(y * log_p).sum(1).mean()
    got = float(mlp.cost_from_X((torch.tensor(x), torch.tensor(y))))
    assert got == pytest.approx(expected, rel=1e-12)
