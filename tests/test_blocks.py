"""Blocks, TransformerDataset and Binarizer against numpy references."""

import numpy as np
import pytest
import torch

from pylearn2.blocks import (
    Block,
    ColumnSubsetBlock,
    ExamplewiseAddScaleTransform,
    ExamplewiseUnitNormBlock,
    StackedBlocks,
    ZeroColumnInsertBlock,
    apply_transformer,
)
from pylearn2.datasets import preprocessing as pp
from pylearn2.datasets.binarizer import Binarizer
from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.datasets.transformer_dataset import TransformerDataset
from pylearn2.models.autoencoder import Autoencoder
from pylearn2.space import CompositeSpace, Conv2DSpace, IndexSpace, VectorSpace
from pylearn2.utils.exc import ConfigError, ShapeError


def data(n=12, d=4, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)


class ChannelMean(Block):
    """Averages the channels of b01c images: a Block with a Conv2D input space."""

    def __init__(self, rows: int, cols: int, channels: int) -> None:
        self.input_space = Conv2DSpace((rows, cols), num_channels=channels)
        self.output_space = VectorSpace(rows * cols)

    def perform(self, X):
        return X.mean(dim=-1).reshape(X.shape[0], -1)


def test_add_scale_block_per_feature_and_its_inverse():
    X = data()
    add, mul = np.array([1.0, -2.0, 0.5, 0.0]), np.array([2.0, 0.5, -1.0, 3.0])
    block = ExamplewiseAddScaleTransform(add=add, multiply=mul)
    out = block(torch.from_numpy(X))
    assert out.dtype == torch.float32
    np.testing.assert_allclose(out.numpy(), (X.astype(np.float64) + add) * mul, rtol=1e-6)
    np.testing.assert_allclose(block.inverse()(out).numpy(), X, rtol=1e-5, atol=1e-6)
    with pytest.raises(ConfigError, match="non-zero"):
        ExamplewiseAddScaleTransform(multiply=[1.0, 0.0])
    fn = block.function()
    leaf = torch.from_numpy(X).requires_grad_()
    assert not fn(leaf).requires_grad  # function() evaluates without gradients


def test_stacked_blocks_order_spaces_inverse_and_state():
    X = data()
    stack = StackedBlocks([ExamplewiseAddScaleTransform(add=1.0, multiply=2.0),
                           ExamplewiseUnitNormBlock()])
    shifted = (X.astype(np.float64) + 1.0) * 2.0
    expected = shifted / np.linalg.norm(shifted, axis=1, keepdims=True)
    np.testing.assert_allclose(stack(torch.from_numpy(X)).numpy(), expected, rtol=1e-5)
    assert len(stack) == 2 and isinstance(stack[1], ExamplewiseUnitNormBlock)
    with pytest.raises(ConfigError, match="set_input_space"):
        stack.get_input_space()
    stack.set_input_space(VectorSpace(4))
    assert stack.get_input_space() == VectorSpace(4) == stack.get_output_space()
    affine = StackedBlocks([ExamplewiseAddScaleTransform(add=1.0, multiply=2.0),
                            ExamplewiseAddScaleTransform(add=-3.0, multiply=0.5)])
    Y = affine(torch.from_numpy(X))
    np.testing.assert_allclose(affine.inverse()(Y).numpy(), X, rtol=1e-5, atol=1e-5)
    assert affine.state_dict() == {"layers": [{}, {}]}
    with pytest.raises(ConfigError, match="at least one"):
        StackedBlocks([])


def test_column_subset_and_insert_are_inverse():
    X = data(d=5)
    keep = np.array([True, False, True, True, False])
    subset = ColumnSubsetBlock(keep, 5)
    part = subset(torch.from_numpy(X))
    np.testing.assert_array_equal(part.numpy(), X[:, [0, 2, 3]])
    assert subset.get_output_space() == VectorSpace(3)
    full = subset.inverse()(part).numpy()
    expected = X.copy()
    expected[:, [1, 4]] = 0
    np.testing.assert_array_equal(full, expected)
    np.testing.assert_array_equal(ZeroColumnInsertBlock([0, 2, 3], 5).inverse()(
        torch.from_numpy(full)).numpy(), X[:, [0, 2, 3]])
    with pytest.raises(ShapeError, match="expects 5"):
        subset(torch.zeros(2, 4))
    with pytest.raises(ConfigError, match=r"\[0, 5\)"):
        ColumnSubsetBlock([7], 5)


def test_apply_transformer_uses_what_a_model_offers():
    class Encoder:
        def encode(self, X):
            return X * 3

    assert apply_transformer(Encoder(), torch.ones(1, 2)).tolist() == [[3.0, 3.0]]
    with pytest.raises(ConfigError, match="perform, encode"):
        apply_transformer(object(), torch.ones(1, 2))


def test_transformer_dataset_applies_a_block_per_batch():
    X = data(n=10)
    raw = DenseDesignMatrix(X=X, y=np.arange(10)[:, None] % 3, y_labels=3)
    ds = TransformerDataset(raw, ExamplewiseAddScaleTransform(add=-1.0, multiply=4.0))
    space, source = ds.get_data_specs()
    assert source == ("features", "targets") and space.components[0] == VectorSpace(4)
    assert space.components[1] == IndexSpace(max_labels=3, dim=1)
    specs = (CompositeSpace([VectorSpace(4), VectorSpace(3)]), ("features", "targets"))
    it = ds.iterator(mode="shuffled_sequential", batch_size=4, rng=[5], data_specs=specs)
    order = np.random.default_rng([5]).permutation(10)
    assert it.num_batches == 3 and it.num_examples == 10 and it.uneven and it.stochastic
    seen = []
    for features, onehot in it:
        rows = order[len(seen):len(seen) + len(features)]
        np.testing.assert_allclose(features.numpy(), (X[rows] - 1.0) * 4.0, rtol=1e-6)
        np.testing.assert_array_equal(onehot.numpy(), np.eye(3)[rows % 3])
        seen.extend(rows)
    assert sorted(seen) == list(range(10))
    np.testing.assert_allclose(ds.get_design_matrix(batch_size=3), (X - 1.0) * 4.0, rtol=1e-6)
    assert ds.get_num_examples() == 10 and ds.has_targets()


def test_transformer_dataset_uses_the_transformers_input_space_and_dtype():
    images = np.random.default_rng(1).uniform(size=(6, 4, 5, 3)).astype(np.float32)
    raw = DenseDesignMatrix(topo_view=images)
    ds = TransformerDataset(raw, ChannelMean(4, 5, 3))
    assert ds.get_data_specs() == (VectorSpace(20), "features")
    batch = next(ds.iterator(batch_size=6))
    np.testing.assert_allclose(batch.numpy(), images.mean(-1).reshape(6, -1), rtol=1e-6)
    as_images = next(ds.iterator(batch_size=2, data_specs=(Conv2DSpace((4, 5), num_channels=1),
                                                           "features")))
    np.testing.assert_allclose(as_images.numpy()[..., 0], images[:2].mean(-1), rtol=1e-6)

    X = data(n=8, d=5)
    ae = Autoencoder(nvis=5, nhid=3, act_enc="sigmoid", act_dec=None, irange=0.5).double()
    encoded = TransformerDataset(DenseDesignMatrix(X=X), ae)
    W, b = ae.weights.detach().numpy(), ae.hidbias.detach().numpy()
    out = next(encoded.iterator(batch_size=8))
    assert out.dtype == torch.float32 and not out.requires_grad  # back in the raw dtype
    expected = 1 / (1 + np.exp(-(X.astype(np.float64) @ W + b)))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    assert encoded.get_data_specs() == (VectorSpace(3), "features")


def test_binarizer_draws_bernoulli_samples_with_the_raw_probabilities():
    p = np.random.default_rng(2).uniform(0.05, 0.95, size=(50, 6)).astype(np.float32)
    p[:, 0], p[:, 1] = 0.0, 1.0
    binary = Binarizer(DenseDesignMatrix(X=p), seed=11)
    epochs = [torch.cat(list(binary.iterator(batch_size=20))).numpy() for _ in range(40)]
    draws = np.stack(epochs)  # (40 epochs, 50, 6)
    assert set(np.unique(draws)) <= {0.0, 1.0} and draws.dtype == np.float32
    assert draws[..., 0].max() == 0.0 and draws[..., 1].min() == 1.0
    freq = draws.mean(0)
    tolerance = 5 * np.sqrt(p * (1 - p) / 40) + 1e-9  # five binomial standard errors
    assert np.all(np.abs(freq - p) <= tolerance)
    assert not np.array_equal(epochs[0], epochs[1])  # every pass draws anew
    again = Binarizer(DenseDesignMatrix(X=p), seed=11)
    np.testing.assert_array_equal(torch.cat(list(again.iterator(batch_size=20))).numpy(),
                                  epochs[0])


def test_binarizer_iterator_resumes_exactly():
    p = np.full((30, 3), 0.5, np.float32)
    binary = Binarizer(DenseDesignMatrix(X=p), seed=4)
    it = binary.iterator(mode="shuffled_sequential", batch_size=7, rng=[9])
    next(it), next(it)
    state = it.state_dict()
    rest = [b.clone() for b in it]
    fresh = Binarizer(DenseDesignMatrix(X=p), seed=4)
    resumed = fresh.iterator(mode="shuffled_sequential", batch_size=7, rng=[9])
    resumed.load_state_dict(state)
    again = list(resumed)
    assert len(again) == len(rest) == 3
    for a, b in zip(again, rest):
        torch.testing.assert_close(a, b)


def test_block_preprocessor_with_a_stack_and_its_saved_state(tmp_path):
    X = data(n=9)
    stack = StackedBlocks([ExamplewiseAddScaleTransform(add=2.0), ExamplewiseUnitNormBlock()])
    prep = pp.BlockPreprocessor(stack, batch_size=4)
    ds = DenseDesignMatrix(X=X.copy())
    prep.apply(ds)
    shifted = X.astype(np.float64) + 2.0
    np.testing.assert_allclose(ds.X, shifted / np.linalg.norm(shifted, axis=1, keepdims=True),
                               rtol=1e-5)
    prep.save(str(tmp_path / "block.npz"))
    loaded = pp.load_preprocessor(str(tmp_path / "block.npz"))
    again = DenseDesignMatrix(X=X.copy())
    loaded.apply(again)
    np.testing.assert_array_equal(again.X, ds.X)
