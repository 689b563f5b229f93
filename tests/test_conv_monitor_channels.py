"""Convolutional layers' monitoring channels, against float64 numpy references written
from the original's definitions (ConvNonlinearity and its Sigmoid / Identity kinds)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pylearn2.models.mlp import MLP
from pylearn2.models.mlp.conv import (
    ConvElemwise,
    ConvRectifiedLinear,
    IdentityConvNonlinearity,
    MaxoutConvC01B,
    SigmoidConvNonlinearity,
)
from pylearn2.space import Conv2DSpace
from pylearn2.utils.exc import ConfigError


def _layer(nonlinearity, **kwargs):
    mlp = MLP(input_space=Conv2DSpace((5, 5), 1), layers=[ConvElemwise(
        output_channels=3, kernel_shape=(2, 2), layer_name="c", nonlinearity=nonlinearity,
        irange=0.5, **kwargs)])
    return mlp.layers[0]


def _state_and_targets(seed=0):
    rng = np.random.default_rng(seed)
    state = rng.uniform(size=(6, 3, 4, 4))
    targets = (rng.uniform(size=state.shape) < 0.4) * 1.0
    return state, targets


def _activation_reference(state):
    units = state.reshape(state.shape[0], -1)  # every (channel, row, column) is a unit
    stats = {"max": units.max(0), "mean": units.mean(0), "min": units.min(0)}
    stats["range"] = stats["max"] - stats["min"]
    return {f"{x}_x_{u}_u": getattr(v, u)() for x, v in stats.items() for u in ("max", "mean", "min")}


def _prf(tp, fp, positives):
    precision = tp / np.maximum(1.0, tp + fp)
    recall = tp / np.maximum(1.0, positives)
    return precision, recall, 2 * precision * recall / np.maximum(1.0, precision + recall)


def test_sigmoid_conv_channels_match_the_original_definitions():
    state, targets = _state_and_targets()
    layer = _layer(SigmoidConvNonlinearity())
    got = layer.get_layer_monitoring_channels(state=torch.as_tensor(state),
                                              targets=torch.as_tensor(targets))
    y_hat, y = (state > 0.5) * 1.0, (targets > 0.5) * 1.0
    expected = _activation_reference(state)
    expected["01_loss"] = (y != y_hat).mean()
    p, r, f = _prf((y * y_hat).sum(), ((1 - y) * y_hat).sum(), y.sum())
    expected.update(precision=p, recall=r, f1=f)
    p, r, f = _prf((y * y_hat).sum((0, 1)), ((1 - y) * y_hat).sum((0, 1)), y.sum((0, 1)))
    for name, v in (("precision", p), ("recall", r), ("f1", f)):
        expected.update({f"per_output_{name}_max": v.max(), f"per_output_{name}_mean": v.mean(),
                         f"per_output_{name}_min": v.min()})
    for name, value in expected.items():
        assert float(got[name]) == pytest.approx(value, rel=1e-12, abs=1e-15), name
    assert {"kernel_norms_min", "kernel_norms_mean", "kernel_norms_max"} <= set(got)
    assert "kl" not in got  # ConvElemwise defines no cost to report
    # Without targets only the activation statistics and kernel norms remain.
    plain = layer.get_layer_monitoring_channels(state=torch.as_tensor(state))
    assert set(plain) == set(_activation_reference(state)) | {
        "kernel_norms_min", "kernel_norms_mean", "kernel_norms_max"}


def test_identity_conv_misclass_counts_examples_with_any_wrong_output():
    state, targets = _state_and_targets(1)
    got = _layer(IdentityConvNonlinearity()).get_layer_monitoring_channels(
        state=torch.as_tensor(state), targets=torch.as_tensor(targets))
    wrong = (targets != (state > 0.5)).max(axis=1)
    assert float(got["misclass"]) == pytest.approx(wrong.mean(), rel=1e-12)
    assert float(got["max_x_mean_u"]) == pytest.approx(state.max(0).mean(), rel=1e-12)


def test_state_channels_from_state_below_and_in_a_rectified_layer():
    mlp = MLP(input_space=Conv2DSpace((5, 5), 1), layers=[ConvRectifiedLinear(
        output_channels=2, kernel_shape=(2, 2), pool_shape=(2, 2), pool_stride=(2, 2),
        layer_name="c", irange=0.5)])
    x = torch.as_tensor(np.random.default_rng(2).normal(size=(4, 5, 5, 1)), dtype=torch.float32)
    layer = mlp.layers[0]
    got = layer.get_layer_monitoring_channels(state_below=mlp.input_space.format_as(
        x, layer.input_space))
    state = layer.fprop(mlp.input_space.format_as(x, layer.input_space)).detach().double().numpy()
    for name, value in _activation_reference(state).items():
        assert float(got[name]) == pytest.approx(value, rel=1e-5, abs=1e-7), name


def test_maxout_conv_reports_each_output_channel_as_a_unit():
    mlp = MLP(input_space=Conv2DSpace((6, 6), num_channels=2, axes=("c", 0, 1, "b")), layers=[
        MaxoutConvC01B(num_channels=3, num_pieces=2, kernel_shape=(3, 3), pool_shape=(2, 2),
                       pool_stride=(2, 2), layer_name="h", irange=0.3)])
    state = np.random.default_rng(3).normal(size=(3, 2, 2, 5))  # c01b
    got = mlp.layers[0].get_layer_monitoring_channels(state=torch.as_tensor(state))
    per_channel = state.reshape(3, -1)
    # the original's names for this layer: dotted, no prefix
    assert float(got["max_x.min_u"]) == pytest.approx(per_channel.max(1).min(), rel=1e-12)
    assert float(got["mean_x.max_u"]) == pytest.approx(per_channel.mean(1).max(), rel=1e-12)
    rng = per_channel.max(1) - per_channel.min(1)
    assert float(got["range_x.mean_u"]) == pytest.approx(rng.mean(), rel=1e-12)
    assert not any("_x_" in name for name in got)


def test_monitor_style_is_checked():
    with pytest.raises(ConfigError, match="monitor_style"):
        _layer(IdentityConvNonlinearity(), monitor_style="tagging")
    with pytest.raises(ConfigError, match="monitor_style"):
        SigmoidConvNonlinearity(monitor_style="bits")
    assert _layer(SigmoidConvNonlinearity(), monitor_style="detection").monitor_style == "detection"
