"""Runs of monitoring batches evaluated in one call (pylearn2.monitor_batches).

Grouping maps the per-batch channel function over several batches with torch.vmap, so a
channel must keep its per-batch meaning: a batch's maximum is that batch's maximum, and
the record is the example-weighted mean of the batch values. Every test compares the
grouped pass with an independent reference: float64 numpy per batch, or the monitor run
batch by batch (``batches_per_call = 1``), which test_monitor_passes checks against the
formulas. Grouped against batch by batch the matrix products cover more rows at once, so
float32 rounding may differ (rel 1e-6); where the producers cannot be grouped the same
operations run and the numbers are equal.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
from helpers import classification_data

from pylearn2.costs.mlp import Default
from pylearn2.costs.mlp.dropout import Dropout
from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.maxout import MaxoutConvC01B
from pylearn2.models.mlp import MLP, ConvRectifiedLinear, Sigmoid, Softmax, Tanh
from pylearn2.monitor import Monitor
from pylearn2.monitor_batches import group_size, stack_batches
from pylearn2.space import Conv2DSpace, VectorSpace


def network() -> MLP:
    return MLP(nvis=5, seed=[3, 1, 4], layers=[
        Tanh(dim=7, layer_name="h0", irange=0.4),
        Sigmoid(dim=6, layer_name="h1", irange=0.4),
        Softmax(n_classes=4, layer_name="y", irange=0.3)])


def records(model, dataset, cost=None, batches_per_call=None, batch_size=5):
    monitor = Monitor(model)
    monitor.batches_per_call = batches_per_call
    monitor.setup(dataset={"valid": dataset}, cost=cost or Default(), batch_size=batch_size)
    monitor()
    monitor()
    channels = monitor._datasets["valid"]._channels
    values = {name: list(c.val_record) for name, c in monitor.channels.items()
              if "seconds" not in name}
    return values, channels


def test_grouped_channels_keep_their_per_batch_meaning():
    model = network()
    dataset = classification_data(n=23, seed=1)
    values, channels = records(model, dataset)
    assert channels.grouping is True
    W = [layer.W.detach().double().numpy() for layer in model.layers]
    b = [layer.b.detach().double().numpy() for layer in model.layers]
    h0 = np.tanh(dataset.X.astype(np.float64) @ W[0] + b[0])
    starts = range(0, 23, 5)  # batches of 5, 5, 5, 5 (one call) and 3 (its own)

    def weighted(stat):
        return sum(stat(h0[i:i + 5]) * len(h0[i:i + 5]) for i in starts) / 23

    expected = {
        "valid_h0_max_x_max_u": weighted(lambda h: h.max(0).max()),
        "valid_h0_min_x_mean_u": weighted(lambda h: h.min(0).mean()),
        "valid_h0_range_x_min_u": weighted(lambda h: (h.max(0) - h.min(0)).min()),
    }
    for name, value in expected.items():
        assert values[name][-1] == pytest.approx(value, rel=1e-5), name
    # a statistic of the whole group instead of each batch would be far off
    assert values["valid_h0_max_x_max_u"][-1] != pytest.approx(h0.max(0).max(), rel=1e-3)


def test_grouped_equals_batch_by_batch_tail_and_all_channels():
    dataset = classification_data(n=47, seed=2)  # 9 batches of 5 and a tail of 2
    grouped, channels = records(network(), dataset)
    single, _ = records(network(), dataset, batches_per_call=1)
    assert channels.grouping is True and len(grouped) > 20 and grouped.keys() == single.keys()
    for name in single:
        np.testing.assert_allclose(grouped[name], single[name], rtol=1e-6, atol=1e-7,
                                   err_msg=name)


@pytest.mark.parametrize("axes", [("c", 0, 1, "b"), ("b", 0, 1, "c")])
def test_conv_nets_group_like_batch_by_batch(axes):
    rng = np.random.default_rng(4)
    topo = rng.normal(size=(22, 6, 6, 2)).astype(np.float32)
    dataset = DenseDesignMatrix(topo_view=topo, y=rng.integers(0, 3, (22, 1)), y_labels=3)

    def model():
        return MLP(input_space=Conv2DSpace((6, 6), num_channels=2, axes=axes), seed=[5, 6, 7],
                   layers=[MaxoutConvC01B(num_channels=3, num_pieces=2, kernel_shape=(3, 3),
                                          pool_shape=(2, 2), pool_stride=(2, 2),
                                          layer_name="h0", irange=0.3),
                           ConvRectifiedLinear(output_channels=2, kernel_shape=(2, 2),
                                               layer_name="h1", irange=0.3,
                                               pool_shape=(1, 1), pool_stride=(1, 1)),
                           Softmax(n_classes=3, layer_name="y", irange=0.3)])

    grouped, channels = records(model(), dataset, batch_size=4)
    single, _ = records(model(), dataset, batch_size=4, batches_per_call=1)
    assert channels.grouping is True, "conv layers should map over batches"
    assert len(single) > 20
    for name in single:
        np.testing.assert_allclose(grouped[name], single[name], rtol=1e-5, atol=1e-6,
                                   err_msg=name)


def test_random_channels_fall_back_to_batch_by_batch_drawing_the_same_numbers(caplog):
    """Dropout's monitored objective draws masks from the monitor's seeded generator:
    vmap refuses random draws, so the dataset goes batch by batch, and the failed trial
    drew nothing (the records equal a monitor that never tried)."""
    dataset = classification_data(n=23, seed=1)

    def cost():  # each monitor its own, so both start from the same generator state
        return Dropout(default_input_include_prob=0.5, default_input_scale=2.0)

    with caplog.at_level(logging.INFO, logger="pylearn2.monitor_batches"):
        tried, channels = records(network(), dataset, cost=cost())
    never, _ = records(network(), dataset, cost=cost(), batches_per_call=1)
    assert channels.grouping is False
    assert "batch by batch (a channel draws random numbers" in caplog.text
    assert tried == never
    assert tried["valid_objective"][0] != tried["valid_objective"][1]  # masks do vary


def test_producers_that_read_values_back_or_keep_state_go_batch_by_batch(caplog):
    dataset = classification_data(n=23, seed=1)
    monitor = Monitor(network())
    monitor.setup(dataset={"valid": dataset}, cost=Default(), batch_size=5)
    monitor.add_producer(lambda data: {"host_sum": torch.tensor(float(data.sum()))},
                         (VectorSpace(5), "features"), "valid", "valid_", pure=True)
    with caplog.at_level(logging.INFO, logger="pylearn2.monitor_batches"):
        monitor()
    assert "a channel reads a value back to Python" in caplog.text
    assert monitor._datasets["valid"]._channels.grouping is False  # float() inside vmap
    X = dataset.X.astype(np.float64)
    expected = sum(X[i:i + 5].sum() * len(X[i:i + 5]) for i in range(0, 23, 5)) / 23
    assert monitor.last("valid_host_sum") == pytest.approx(expected, rel=1e-5)
    impure = Monitor(network())
    impure.setup(dataset={"valid": dataset}, cost=Default(), batch_size=5)
    impure.add_producer(lambda data: {"n": torch.tensor(1.0)}, (VectorSpace(5), "features"),
                        "valid", "valid_")  # not declared pure: never mapped
    impure()
    assert impure._datasets["valid"]._channels.grouping is False


def test_stacking_is_a_view_for_consecutive_slices_and_a_copy_otherwise():
    data = torch.arange(60.0).reshape(12, 5)
    labels = torch.arange(12.0).reshape(12, 1)
    batches = [(data[i:i + 3], labels[i:i + 3]) for i in range(0, 12, 3)]
    x, y = stack_batches(batches)
    assert x.shape == (4, 3, 5) and y.shape == (4, 3, 1)
    assert x.data_ptr() == data.data_ptr() and x.untyped_storage().data_ptr() == \
        data.untyped_storage().data_ptr()
    torch.testing.assert_close(x, data.reshape(4, 3, 5), rtol=0, atol=0)
    shuffled = [batches[2], batches[0]]
    (x,) = stack_batches([(b[0],) for b in shuffled])
    assert x.data_ptr() != data.data_ptr()
    torch.testing.assert_close(x, torch.stack([data[6:9], data[0:3]]), rtol=0, atol=0)
    columns = [(data[i:i + 3, :2],) for i in range(0, 12, 3)]  # not contiguous: copied
    (x,) = stack_batches(columns)
    torch.testing.assert_close(x, data[:, :2].reshape(4, 3, 2), rtol=0, atol=0)


def test_group_size_is_bounded_and_balanced():
    batch = (torch.zeros(100, 784), torch.zeros(100, 10))
    assert group_size(batch, 20, uneven=False) == 20  # 1.6M elements: one call
    assert group_size(batch, 60, uneven=False) == 20  # at most 26 per call: 20, 20, 20
    assert group_size(batch, 61, uneven=True) == 20  # the short last batch runs alone
    assert group_size(batch, 20, uneven=False, limit=1) == 1
    assert group_size(batch, None, uneven=False, limit=7) == 7
    big = (torch.zeros(100, 3 * 32 * 32 * 8),)
    assert group_size(big, 50, uneven=False) == 1  # a batch past the budget: one per call
    images = (torch.zeros(128, 1, 28, 28), torch.zeros(128, 10))  # counted 8 times
    assert group_size(images, 78, uneven=True) == 2
