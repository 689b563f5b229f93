"""Costs: MethodCost, LpPenalty, SumOfCosts with custom gradients, Dropout masks and YAML."""

import numpy as np
import pytest
import torch

from pylearn2.config import yaml_parse
from pylearn2.costs.cost import Cost, LpPenalty, MethodCost, SumOfCosts
from pylearn2.costs.mlp import Default, WeightDecay
from pylearn2.costs.mlp.dropout import Dropout
from pylearn2.models.mlp import MLP, Linear, Sigmoid, Softmax
from pylearn2.utils.exc import ConfigError


def small_mlp():
    return MLP(nvis=4, seed=[2], layers=[Sigmoid(dim=3, layer_name="h0", irange=0.5),
                                         Softmax(n_classes=2, layer_name="y", irange=0.5)])


def batch(n=6, seed=0):
    rng = np.random.default_rng(seed)
    X = torch.as_tensor(rng.normal(size=(n, 4)), dtype=torch.float32)
    Y = torch.eye(2)[torch.as_tensor(rng.integers(0, 2, size=n))]
    return X, Y


def test_method_cost_calls_the_model_and_finds_its_data_specs():
    model = small_mlp()
    X, Y = batch()
    cost = MethodCost("cost_from_X")
    value = cost.expr(model, (X, Y)).detach()
    assert float(value) == pytest.approx(float(Default().expr(model, (X, Y)).detach()))
    assert cost.get_data_specs(model) == model.cost_from_X_data_specs()
    named = MethodCost("cost_from_X", data_specs="cost_from_X_data_specs")
    assert named.get_data_specs(model) == model.cost_from_X_data_specs()
    with pytest.raises(ConfigError, match="no method 'nope'"):
        MethodCost("nope").expr(model, (X, Y))
    with pytest.raises(ConfigError, match="data_specs"):
        MethodCost("fprop").get_data_specs(model)


def test_lp_penalty_on_tensors_and_parameter_names():
    model = small_mlp()
    W0 = model.layers[0].W.detach().double().numpy()
    Wy = model.layers[1].W.detach().double().numpy()
    for p in (1, 2, 3):
        by_name = LpPenalty(["layers.0.W", "layers.1.W"], p=p).expr(model)
        expected = (np.abs(W0) ** p).sum() + (np.abs(Wy) ** p).sum()
        assert float(by_name.detach()) == pytest.approx(expected, rel=1e-5)
    by_tensor = LpPenalty(model.layers[0].W, p=2).expr(model)
    assert float(by_tensor.detach()) == pytest.approx((W0 ** 2).sum(), rel=1e-5)
    with pytest.raises(ConfigError, match="Did you mean 'layers.0.W'"):
        LpPenalty(["layer.0.W"], p=2).expr(model)
    with pytest.raises(ConfigError, match="positive"):
        LpPenalty(["layers.0.W"], p=0)


class ScaledGradient(Cost):
    """Reports ``Default``'s value but returns ``factor`` times its gradient."""

    supervised = True

    def __init__(self, factor):
        self.factor = factor

    def expr(self, model, data, **kwargs):
        return model.cost_from_X(data)

    def get_gradients(self, model, data, **kwargs):
        params = model.get_params()
        grads = torch.autograd.grad(self.expr(model, data), params)
        return {p: self.factor * g for p, g in zip(params, grads)}, {}


def test_sum_of_costs_adds_custom_gradients_with_their_coefficients():
    model = small_mlp()
    X, Y = batch()
    total = SumOfCosts([[2.0, ScaledGradient(0.25)], [0.5, WeightDecay({"h0": 0.1})]])
    assert total.has_custom_gradients() and not SumOfCosts([Default()]).has_custom_gradients()
    grads, _ = total.get_gradients(model, (X, Y))
    W = model.layers[0].W
    (g_default,) = torch.autograd.grad(Default().expr(model, (X, Y)), [W])
    torch.testing.assert_close(grads[W], 2.0 * 0.25 * g_default + 0.5 * 0.1 * 2 * W.detach())
    value = total.expr(model, (X, Y))  # the value is still the weighted sum of the values
    expected = 2.0 * Default().expr(model, (X, Y)) + 0.5 * WeightDecay({"h0": 0.1}).expr(model)
    assert float(value.detach()) == pytest.approx(float(expected.detach()), rel=1e-6)


def test_stochastic_costs_are_flagged_through_sums():
    assert Dropout().is_stochastic() and not Default().is_stochastic()
    assert SumOfCosts([Default(), [0.1, Dropout()]]).is_stochastic()
    assert not SumOfCosts([Default(), WeightDecay({"y": 1.0})]).is_stochastic()


def identity_chain(width=300, n=40):
    """Linear layers with identity weights and zero biases: the output counts the kept inputs."""
    model = MLP(nvis=width, layers=[Linear(dim=width, layer_name="h", irange=0.0),
                                    Linear(dim=1, layer_name="out", irange=0.0)])
    with torch.no_grad():
        model.layers[0].W.copy_(torch.eye(width))
        model.layers[1].W.fill_(1.0)
    return model, torch.ones(n, width)


def test_dropout_defaults_mask_every_layer_input_with_half_probability_and_scale_two():
    model, X = identity_chain()
    cost = Dropout(seed=3)
    out = model.dropout_fprop(X, generator=cost.generator(X.device)).detach().numpy()[:, 0]
    # each input survives both masks with probability .25 and is scaled by 2 * 2
    kept = out / 4.0
    assert np.allclose(kept, np.round(kept))
    n, p = 300, 0.25
    assert abs(kept.mean() - n * p) < 4 * np.sqrt(n * p * (1 - p) / len(kept))


def test_dropout_per_example_false_shares_one_mask_across_the_batch():
    model, X = identity_chain()
    shared = model.dropout_fprop(X, input_include_probs={"h": 0.7, "out": 1.0},
                                 input_scales={"h": 1.0, "out": 1.0}, per_example=False,
                                 generator=Dropout(seed=4).generator(X.device))
    values = shared.detach().numpy()[:, 0]
    assert np.all(values == values[0]) and 0 < values[0] < 300
    own = model.dropout_fprop(X, input_include_probs={"h": 0.7, "out": 1.0},
                              input_scales={"h": 1.0, "out": 1.0},
                              generator=Dropout(seed=4).generator(X.device))
    assert len(np.unique(own.detach().numpy())) > 1


def test_dropout_checks_and_yaml_spelling():
    for bad in ({"default_input_include_prob": 0.0}, {"input_include_probs": {"h0": 1.5}}):
        with pytest.raises(ConfigError, match=r"\(0, 1\]"):
            Dropout(**bad)
    cost = yaml_parse.load("""!obj:pylearn2.costs.mlp.dropout.Dropout {
        input_include_probs: {'h0': .8}, input_scales: {'h0': 1.} }""")
    assert cost.input_include_probs == {"h0": 0.8} and cost.default_input_scale == 2.0
    model = small_mlp()
    X, Y = batch()
    with pytest.raises(ConfigError, match="unknown layers"):
        Dropout(input_include_probs={"h9": 0.5}).expr(model, (X, Y))
