"""Nested MLPs, CompositeLayer, FlattenerLayer, SpaceConverter and PretrainedLayer."""

import numpy as np
import pytest
import torch

from pylearn2.models.autoencoder import Autoencoder
from pylearn2.models.mlp import (
    MLP,
    CompositeLayer,
    FlattenerLayer,
    Linear,
    PretrainedLayer,
    Softmax,
    SpaceConverter,
    Tanh,
)
from pylearn2.space import CompositeSpace, Conv2DSpace, VectorSpace
from pylearn2.utils import serial
from pylearn2.utils.exc import ConfigError


def test_nested_mlp_equals_flat_composition(tmp_path):
    inner = MLP(layer_name="inner", layers=[Tanh(dim=4, layer_name="a", irange=0.5),
                                            Tanh(dim=3, layer_name="b", irange=0.5)])
    outer = MLP(nvis=5, layers=[inner, Softmax(n_classes=2, layer_name="y", irange=0.5)])
    x = torch.randn(3, 5)
    h = torch.tanh(torch.tanh(x @ inner.layers[0].W + inner.layers[0].b) @ inner.layers[1].W
                   + inner.layers[1].b)
    expected = torch.softmax(h @ outer.layers[1].W + outer.layers[1].b, dim=1)
    torch.testing.assert_close(outer.fprop(x), expected)
    channels = outer.get_monitoring_channels((x, torch.eye(2)[[0, 1, 0]]))
    assert "inner_a_col_norms_max" in channels and "y_misclass" in channels
    serial.save(str(tmp_path / "nested.pkl"), outer)
    torch.testing.assert_close(serial.load(str(tmp_path / "nested.pkl")).fprop(x), outer.fprop(x))


def test_composite_and_flattener_layers():
    branches = CompositeLayer(layer_name="c", layers=[Linear(dim=2, layer_name="l1", irange=0.5),
                                                      Linear(dim=3, layer_name="l2", irange=0.5)])
    mlp = MLP(nvis=4, layers=[FlattenerLayer(branches), Softmax(n_classes=2, layer_name="y",
                                                                irange=0.1)])
    x = torch.randn(5, 4)
    l1, l2 = branches.layers
    flat = torch.cat([x @ l1.W + l1.b, x @ l2.W + l2.b], dim=1)
    torch.testing.assert_close(mlp.layers[0].fprop(x), flat)
    assert mlp.layers[0].get_output_space() == VectorSpace(5)
    routed = CompositeLayer(layer_name="r", layers=[Linear(dim=1, layer_name="p", irange=0.5),
                                                    Linear(dim=1, layer_name="q", irange=0.5)],
                            inputs_to_layers={0: [0], 1: [1]})
    MLP(input_space=CompositeSpace([VectorSpace(2), VectorSpace(3)]), layers=[routed])
    a, b = torch.randn(4, 2), torch.randn(4, 3)
    out = routed.fprop((a, b))
    torch.testing.assert_close(out[1], b @ routed.layers[1].W + routed.layers[1].b)


def test_space_converter():
    conv = Conv2DSpace((2, 3), num_channels=1)
    mlp = MLP(nvis=6, layers=[SpaceConverter(layer_name="s", output_space=conv)])
    x = torch.arange(12.0).reshape(2, 6)
    assert mlp.fprop(x).shape == (2, 2, 3, 1)
    with pytest.raises(ConfigError, match="cannot convert"):
        MLP(nvis=5, layers=[SpaceConverter(layer_name="s", output_space=conv)])


def test_pretrained_layer_uses_encoder_and_can_freeze():
    ae = Autoencoder(nvis=4, nhid=3, act_enc="sigmoid", act_dec=None, irange=0.5)
    layer = PretrainedLayer(layer_name="h", layer_content=ae, freeze_params=True)
    mlp = MLP(nvis=4, layers=[layer, Softmax(n_classes=2, layer_name="y", irange=0.1)])
    x = torch.randn(3, 4)
    torch.testing.assert_close(mlp.layers[0].fprop(x), ae.encode(x))
    trainable = {id(p) for p in mlp.get_params()}
    assert id(ae.weights) not in trainable and id(mlp.layers[1].W) in trainable
    with pytest.raises(ConfigError, match="expects"):
        MLP(nvis=5, layers=[PretrainedLayer(layer_name="h", layer_content=ae)])
    np.testing.assert_array_equal(layer.get_weights(), ae.get_weights())
