"""Layers take the original's ``extensions`` argument and the training step honours it:
each extension runs after every update with the layer that holds it as its ``model``,
the layers' extensions before those of the MLP around them (the original's order:
an MLP's update hook runs its layers' hooks first, then its own extensions)."""

import numpy as np
import pytest
import torch

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.mlp import MLP, Layer, Linear, Maxout, Softmax, Softplus, Tanh
from pylearn2.training_algorithms.sgd import SGD


class ZeroBias:
    """Sets the bias of the model it is attached to back to zero after each update."""

    def __init__(self, log, name):
        self.log, self.name = log, name

    def post_modify_updates(self, updates, model):
        self.log.append((self.name, model))
        b = getattr(model, "b", None)
        if b is not None:
            updates[b] = torch.zeros_like(updates[b])


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 3)).astype("float32")
    return DenseDesignMatrix(X=X, y=(X[:, :1] > 0).astype("int64"), y_labels=2)


@pytest.mark.parametrize("cls, kwargs", [
    (Linear, {"dim": 4}), (Tanh, {"dim": 4}), (Softplus, {"dim": 4}),
    (Maxout, {"num_units": 2, "num_pieces": 2}),
])
def test_hidden_layer_extension_runs_on_that_layer_only(cls, kwargs):
    log = []
    hidden = cls(layer_name="h", irange=0.5, init_bias=0.3,
                 extensions=[ZeroBias(log, "h")], **kwargs)
    top = Softmax(n_classes=2, layer_name="y", irange=0.5)
    model = MLP(nvis=3, layers=[hidden, top], extensions=[ZeroBias(log, "mlp")])
    assert hidden.extensions[0].name == "h" and model.extensions[0].name == "mlp"
    assert "extensions" in hidden._init_args
    data = _data()
    algorithm = SGD(learning_rate=0.5, batch_size=4, device="cpu")
    algorithm.setup(model, data)
    algorithm.train(data)
    # three batches; per batch the layer's extension, then the MLP's
    assert [name for name, _ in log] == ["h", "mlp"] * 3
    assert all(owner is hidden for name, owner in log if name == "h")
    assert all(owner is model for name, owner in log if name == "mlp")
    assert torch.all(hidden.b == 0)
    assert torch.any(top.b != 0)  # the output layer's bias trained as usual


def test_softmax_and_base_layer_accept_extensions():
    log = []
    top = Softmax(n_classes=2, layer_name="y", irange=0.5, extensions=[ZeroBias(log, "y")])
    model = MLP(nvis=3, layers=[top])
    data = _data()
    algorithm = SGD(learning_rate=0.5, batch_size=6, device="cpu")
    algorithm.setup(model, data)
    algorithm.train(data)
    assert [name for name, _ in log] == ["y", "y"] and torch.all(top.b == 0)
    assert Layer(extensions=[1]).extensions == [1] and Layer().extensions == []


class ZeroHiddenBias:
    """The same constraint written as an extension of the whole MLP."""

    def post_modify_updates(self, updates, model):
        b = model.layers[0].b
        updates[b] = torch.zeros_like(updates[b])


def test_a_layer_extension_trains_exactly_as_the_same_extension_on_the_mlp():
    data = _data()
    results = []
    for on_layer in (True, False):
        hidden = Tanh(dim=4, layer_name="h", irange=0.5, init_bias=0.2,
                      extensions=[ZeroBias([], "h")] if on_layer else None)
        model = MLP(nvis=3, seed=1, layers=[hidden, Softmax(n_classes=2, layer_name="y",
                                                              irange=0.5)],
                    extensions=None if on_layer else [ZeroHiddenBias()])
        algorithm = SGD(learning_rate=0.5, batch_size=4, device="cpu", seed=3)
        algorithm.setup(model, data)
        algorithm.train(data)
        results.append([p.detach().clone() for p in model.get_params()])
    for a, b in zip(*results, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert not torch.equal(results[0][0], torch.zeros_like(results[0][0]))
