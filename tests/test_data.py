"""Spaces, DenseDesignMatrix views, iteration schemes, MNIST and Digits."""

import gzip
import hashlib
import struct

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.datasets.digits import Digits
from pylearn2.datasets.mnist import MNIST
from pylearn2.space import CompositeSpace, Conv2DSpace, IndexSpace, VectorSpace
from pylearn2.utils.exc import ConfigError, DataNotFoundError, ModelFileError, NoDataPathError
from pylearn2.utils.iteration import has_uniform_batch_size, is_stochastic, resolve_iterator_class

AXES = [("b", 0, 1, "c"), ("b", "c", 0, 1), ("c", 0, 1, "b"), (0, "b", "c", 1)]


@settings(max_examples=30, deadline=None)
@given(rows=st.integers(1, 4), cols=st.integers(1, 4), ch=st.integers(1, 3),
       batch=st.integers(1, 3), src=st.sampled_from(AXES), dst=st.sampled_from(AXES))
def test_conv_vector_round_trip_any_axes(rows, cols, ch, batch, src, dst):
    a, b = Conv2DSpace((rows, cols), ch, axes=src), Conv2DSpace((rows, cols), ch, axes=dst)
    vec = VectorSpace(rows * cols * ch)
    data = np.random.default_rng(0).normal(size=[{"b": batch, 0: rows, 1: cols, "c": ch}[x]
                                                 for x in src]).astype(np.float32)
    flat = a.np_format_as(data, vec)
    b01c = Conv2DSpace.convert(data, src, ("b", 0, 1, "c"))
    np.testing.assert_array_equal(flat, b01c.reshape(batch, -1))  # 01c flattening
    np.testing.assert_array_equal(vec.np_format_as(flat, a), data)
    np.testing.assert_array_equal(b.np_format_as(a.np_format_as(data, b), a), data)


@settings(max_examples=20, deadline=None)
@given(rows=st.integers(1, 4), cols=st.integers(1, 4), ch=st.integers(1, 3),
       axes=st.sampled_from(AXES))
def test_design_topo_round_trip_and_c01_storage(rows, cols, ch, axes):
    topo_b01c = np.random.default_rng(1).normal(size=(3, rows, cols, ch)).astype(np.float32)
    topo = Conv2DSpace.convert(topo_b01c, ("b", 0, 1, "c"), axes)
    ds = DenseDesignMatrix(topo_view=topo, axes=axes)
    np.testing.assert_array_equal(ds.get_topological_view(), topo)
    expected_rows = topo_b01c.transpose(0, 3, 1, 2).reshape(3, -1)  # channel-major rows
    np.testing.assert_array_equal(ds.get_design_matrix(), expected_rows)


def test_storage_order_example_by_hand():
    # One 1x2 image with 3 channels: pixel p, channel c has value 10*p + c.
    topo = np.array([[[[0, 1, 2], [10, 11, 12]]]], dtype=np.float32)  # b01c
    ds = DenseDesignMatrix(topo_view=topo)
    assert ds.get_design_matrix().tolist() == [[0, 10, 1, 11, 2, 12]]  # c01
    batch = next(ds.iterator(batch_size=1, data_specs=(Conv2DSpace((1, 2), 3, axes=("b", "c", 0, 1)),
                                                        "features")))
    assert batch.tolist() == [[[[0, 10]], [[1, 11]], [[2, 12]]]]


def test_index_space_one_hot():
    labels = torch.tensor([[2], [0]])
    one_hot = IndexSpace(3, 1).format_as(labels, VectorSpace(3))
    assert one_hot.tolist() == [[0, 0, 1], [1, 0, 0]]
    two = IndexSpace(3, 2).format_as(torch.tensor([[2, 1]]), VectorSpace(6))
    assert two.tolist() == [[0, 0, 1, 0, 1, 0]]
    merged = IndexSpace(3, 2).format_as(torch.tensor([[2, 0]]), VectorSpace(3))
    assert merged.tolist() == [[1, 0, 1]]
    with pytest.raises(TypeError, match="IndexSpace"):
        IndexSpace(3, 1).format_as(labels, VectorSpace(4))


TABLE = {  # mode: (stochastic, uniform batch size, covers every example exactly once)
    "sequential": (False, False, True),
    "shuffled_sequential": (True, False, True),
    "random_slice": (True, True, False),
    "random_uniform": (True, True, False),
    "batchwise_shuffled_sequential": (True, False, True),
    "even_sequential": (False, True, False),
    "even_shuffled_sequential": (True, True, False),
    "even_batchwise_shuffled_sequential": (True, True, False),
}


@pytest.mark.parametrize("mode", sorted(TABLE))
def test_iteration_table(mode):
    stochastic, uniform, covers = TABLE[mode]
    assert is_stochastic(mode) == stochastic and has_uniform_batch_size(mode) == uniform
    ds = DenseDesignMatrix(X=np.arange(10, dtype=np.float32)[:, None])
    it = ds.iterator(mode=mode, batch_size=3, rng=[1] if stochastic else None,
                     data_specs=(VectorSpace(1), "features"))
    batches = [b[:, 0].long().tolist() for b in it]
    sizes = {len(b) for b in batches}
    if uniform:
        assert sizes == {3}
    seen = sorted(sum(batches, []))
    assert (seen == list(range(10))) == covers
    assert it.num_batches == len(batches)


def test_sequential_arithmetic_and_errors():
    cls = resolve_iterator_class("sequential")
    it = cls(10, batch_size=None, num_batches=3)
    assert it.batch_size == 4 and it.num_examples == 10
    with pytest.raises(ConfigError, match="can only provide 4 batches"):
        cls(10, batch_size=3, num_batches=5)
    with pytest.raises(ConfigError, match="Unknown iteration mode"):
        resolve_iterator_class("shufled_sequential")


@pytest.mark.parametrize("mode", ["shuffled_sequential", "random_slice", "random_uniform",
                                  "batchwise_shuffled_sequential"])
def test_resumed_iterator_yields_the_same_batches(mode):
    ds = DenseDesignMatrix(X=np.arange(20, dtype=np.float32)[:, None])
    specs = (VectorSpace(1), "features")

    def epochs(rng, n):
        return [[b[:, 0].tolist() for b in ds.iterator(mode=mode, batch_size=3, num_batches=6,
                                                        rng=rng, data_specs=specs)]
                for _ in range(n)]

    straight = epochs(np.random.default_rng([5]), 2)
    rng = np.random.default_rng([5])
    it = ds.iterator(mode=mode, batch_size=3, num_batches=6, rng=rng, data_specs=specs)
    first = [next(it)[:, 0].tolist() for _ in range(2)]
    state = it.state_dict()
    rng2 = np.random.default_rng([0])
    resumed = ds.iterator(mode=mode, batch_size=3, num_batches=6, rng=rng2, data_specs=specs)
    resumed.load_state_dict(state)
    rest = [b[:, 0].tolist() for b in resumed]
    assert first + rest == straight[0]
    assert epochs(rng2, 1)[0] == straight[1]


def test_targets_formatted_and_composite_specs():
    ds = DenseDesignMatrix(X=np.eye(4, dtype=np.float32), y=np.array([3, 1, 0, 2]), y_labels=4)
    specs = (CompositeSpace([VectorSpace(4), VectorSpace(4)]), ("features", "targets"))
    X, Y = next(ds.iterator(batch_size=4, data_specs=specs))
    assert Y.argmax(1).tolist() == [3, 1, 0, 2] and Y.sum().item() == 4
    with pytest.raises(ConfigError, match="source with name: labels"):
        ds.iterator(batch_size=2, data_specs=(VectorSpace(4), "labels"))


def _idx(path, magic, dims, payload, compress):
    data = struct.pack(">" + "i" * (1 + len(dims)), magic, *dims) + np.asarray(payload, np.uint8).tobytes()
    (gzip.open if compress else open)(path, "wb").write(data)


@pytest.mark.parametrize("compress", [True, False])
def test_mnist_reader_on_synthetic_files(tmp_path, monkeypatch, compress):
    folder = tmp_path / "mnist"
    folder.mkdir()
    suffix = ".gz" if compress else ""
    pixels = np.arange(3 * 28 * 28) % 256
    _idx(folder / f"t10k-images-idx3-ubyte{suffix}", 2051, [3, 28, 28], pixels, compress)
    _idx(folder / f"t10k-labels-idx1-ubyte{suffix}", 2049, [3], [7, 2, 1], compress)
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    ds = MNIST(which_set="test")
    assert ds.X.shape == (3, 784) and ds.y[:, 0].tolist() == [7, 2, 1]
    np.testing.assert_allclose(ds.X[0, :5], np.arange(5) / 255.0, rtol=1e-6)
    with pytest.raises(DataNotFoundError, match="train-images-idx3-ubyte"):
        MNIST(which_set="train")
    _idx(folder / f"t10k-labels-idx1-ubyte{suffix}", 2049, [5], [7, 2, 1], compress)
    from pylearn2.utils import mnist_ubyte

    mnist_ubyte._cached.cache_clear()
    with pytest.raises(ModelFileError, match="truncated"):
        MNIST(which_set="test")


def test_mnist_errors(monkeypatch):
    monkeypatch.delenv("PYLEARN2_DATA_PATH", raising=False)
    with pytest.raises(NoDataPathError):
        MNIST(which_set="train")
    with pytest.raises(ConfigError, match="start: 50000"):
        MNIST(which_set="valid")


def test_real_mnist(mnist_data_path):
    for name, digest in (("train-labels-idx1-ubyte.gz", None),):
        assert (mnist_data_path / "mnist" / name).exists(), digest
    train = MNIST(which_set="train", start=0, stop=50000)
    valid = MNIST(which_set="train", start=50000, stop=60000)
    test = MNIST(which_set="test")
    assert train.X.shape == (50000, 784) and valid.X.shape == (10000, 784)
    assert test.X.shape == (10000, 784)
    assert train.y[:5, 0].tolist() == [5, 0, 4, 1, 9]
    assert 0.0 == train.X.min() and train.X.max() == 1.0
    assert np.bincount(test.y[:, 0], minlength=10).tolist() == \
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    digest = hashlib.sha256(train.X[:100].tobytes()).hexdigest()
    assert digest == hashlib.sha256(MNIST(which_set="train", stop=100).X.tobytes()).hexdigest()


def test_digits_splits():
    sets = {name: Digits(which_set=name) for name in ("train", "valid", "test")}
    assert [s.get_num_examples() for s in sets.values()] == [1000, 300, 497]
    rows = {name: {r.tobytes() for r in s.X} for name, s in sets.items()}
    assert not rows["train"] & rows["test"] and not rows["valid"] & rows["test"]
    assert sets["train"].view_shape() == (8, 8, 1) and sets["train"].X.max() <= 1.0
    assert sorted(set(sets["train"].y[:, 0])) == list(range(10))
    assert Digits(which_set="train", start=10, stop=20).get_num_examples() == 10
    with pytest.raises(ConfigError, match="which_set"):
        Digits(which_set="validation")
