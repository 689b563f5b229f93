"""MissingTargetCost against a numpy reference with masked targets."""

import numpy as np
import pytest
import torch

from pylearn2.costs.mlp.missing_target_cost import MissingTargetCost
from pylearn2.datasets.mnist import MNIST_rotated_background
from pylearn2.models.mlp import MLP, Linear, Sigmoid, Softmax
from pylearn2.utils.exc import ConfigError


def test_masked_sigmoid_and_linear_costs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5, 3))
    Y = rng.integers(0, 2, size=(5, 4)).astype(float)
    Y[0, 1] = Y[3, 2] = -1
    for layer in (Sigmoid(dim=4, layer_name="y", irange=0.5), Linear(dim=4, layer_name="y", irange=0.5)):
        net = MLP([layer], nvis=3).double()
        Y_hat = net.fprop(torch.tensor(X)).detach().numpy()
        if isinstance(layer, Sigmoid):
            per = -(Y * np.log(Y_hat) + (1 - Y) * np.log(1 - Y_hat))
        else:
            per = (Y - Y_hat) ** 2
        ref = (per * (Y != -1)).sum(1).mean()
        got = MissingTargetCost().expr(net, (torch.tensor(X), torch.tensor(Y)))
        assert float(got.detach()) == pytest.approx(ref, rel=1e-6)
    with pytest.raises(ConfigError, match="elementwise"):
        net = MLP([Softmax(n_classes=4, layer_name="y", irange=0.1)], nvis=3)
        MissingTargetCost().expr(net, (torch.zeros(2, 3), torch.zeros(2, 4)))
    assert MNIST_rotated_background.__module__ == "pylearn2.datasets.icml07"
