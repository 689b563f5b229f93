"""datasets.transformer_dataset.TransformerIterator at the original's path with the
original's arguments (raw_iterator, transformer_dataset, data_specs), and CSVDataset's
DenseDesignMatrix arguments and one_hot, each against numpy references."""

import numpy as np
import pytest

from pylearn2.blocks import ExamplewiseAddScaleTransform
from pylearn2.datasets.csv_dataset import CSVDataset
from pylearn2.datasets.dense_design_matrix import DefaultViewConverter, DenseDesignMatrix
from pylearn2.datasets.preprocessing import Standardize
from pylearn2.datasets.transformer_dataset import TransformerDataset, TransformerIterator
from pylearn2.space import CompositeSpace, VectorSpace
from pylearn2.utils.exc import ConfigError


def _raw():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(10, 3)).astype("float32")
    y = rng.integers(0, 2, size=(10, 1))
    return X, y, DenseDesignMatrix(X=X, y=y, y_labels=2)


def test_transformer_iterator_built_by_hand_transforms_the_features_only():
    X, y, raw = _raw()
    ds = TransformerDataset(raw, ExamplewiseAddScaleTransform(add=1.0, multiply=-2.0))
    specs = (CompositeSpace([VectorSpace(3), VectorSpace(2)]), ("features", "targets"))
    inner = raw.iterator(mode="sequential", batch_size=4, data_specs=specs)
    it = TransformerIterator(inner, ds, specs)
    assert it.raw_iterator is inner and it.transformer_dataset is ds
    assert it.num_examples == 10 and it.batch_size == 4 and not it.stochastic
    batches = list(it)
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    features = np.concatenate([np.asarray(b[0]) for b in batches])
    targets = np.concatenate([np.asarray(b[1]) for b in batches])
    np.testing.assert_allclose(features, (X.astype(np.float64) + 1.0) * -2.0, rtol=1e-6)
    np.testing.assert_array_equal(targets, np.eye(2)[y[:, 0]])


def test_transformer_iterator_in_the_older_two_argument_form():
    X, _, raw = _raw()
    ds = TransformerDataset(raw, ExamplewiseAddScaleTransform(multiply=3.0))
    inner = raw.iterator(mode="sequential", batch_size=5,
                         data_specs=(VectorSpace(3), "features"))
    it = TransformerIterator(inner, ds)  # a single tensor per batch: all features
    out = np.concatenate([np.asarray(b) for b in it])
    np.testing.assert_allclose(out, 3.0 * X, rtol=1e-6)
    # a tuple batch without data_specs: the first entry is the features (the original's rule)
    inner = raw.iterator(mode="sequential", batch_size=5, return_tuple=True,
                         data_specs=(CompositeSpace([VectorSpace(3), VectorSpace(2)]),
                                     ("features", "targets")))
    first = TransformerIterator(inner, ds).next()
    assert isinstance(first, tuple) and len(first) == 2
    np.testing.assert_allclose(np.asarray(first[0]), 3.0 * X[:5], rtol=1e-6)


def test_the_dataset_iterator_is_a_transformer_iterator_and_resumes():
    X, _, raw = _raw()
    ds = TransformerDataset(raw, ExamplewiseAddScaleTransform(add=-0.5))
    it = ds.iterator(mode="shuffled_sequential", batch_size=3, rng=7,
                     data_specs=(VectorSpace(3), "features"))
    assert isinstance(it, TransformerIterator)
    next(it)
    state = it.state_dict()
    expected = [np.asarray(b) for b in it]
    again = ds.iterator(mode="shuffled_sequential", batch_size=3, rng=7,
                        data_specs=(VectorSpace(3), "features"))
    again.load_state_dict(state)
    for a, b in zip(expected, again, strict=True):
        np.testing.assert_array_equal(a, np.asarray(b))


def test_mismatched_data_specs_is_a_clear_error():
    _, _, raw = _raw()
    ds = TransformerDataset(raw, ExamplewiseAddScaleTransform())
    inner = raw.iterator(mode="sequential", batch_size=5,
                         data_specs=(VectorSpace(3), "features"))
    specs = (CompositeSpace([VectorSpace(3), VectorSpace(2)]), ("features", "targets"))
    with pytest.raises(ConfigError, match="2 sources"):
        next(TransformerIterator(inner, ds, specs))


# -- CSVDataset: the original's DenseDesignMatrix arguments -----------------------------------
def _csv(tmp_path):
    rows = [[(7, 2, 9)[i % 3]] + [float(i * 4 + j) for j in range(4)] for i in range(6)]
    path = tmp_path / "d.csv"
    path.write_text("y,a,b,c,d\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return str(path), np.array(rows, dtype=np.float64)


def test_csv_one_hot_uses_the_position_among_distinct_labels(tmp_path):
    path, table = _csv(tmp_path)
    ds = CSVDataset(path, one_hot=True)
    # distinct labels sorted: 2, 7, 9 -> columns 0, 1, 2
    position = {2: 0, 7: 1, 9: 2}
    expected = np.zeros((6, 3), dtype=np.float32)
    for i, label in enumerate(table[:, 0].astype(int)):
        expected[i, position[label]] = 1
    np.testing.assert_array_equal(ds.y, expected)
    assert ds.y_labels is None and ds.y.dtype == np.float32


def test_csv_view_converter_axes_and_preprocessor(tmp_path):
    path, table = _csv(tmp_path)
    ds = CSVDataset(path, task="regression", view_converter=DefaultViewConverter((2, 2, 1)))
    topo = ds.get_topological_view()
    assert topo.shape == (6, 2, 2, 1)
    np.testing.assert_allclose(topo[:, :, :, 0].reshape(6, 4), table[:, 1:])
    standardized = CSVDataset(path, preprocessor=Standardize(), fit_preprocessor=True)
    features = table[:, 1:]
    reference = (features - features.mean(0)) / (features.std(0) + 1e-4)
    np.testing.assert_allclose(standardized.X, reference, rtol=1e-4, atol=1e-4)
    seeded = CSVDataset(path, rng=[1, 2, 3])
    assert seeded.rng == [1, 2, 3]


@pytest.mark.parametrize("name", ["X", "topo_view", "y"])
def test_csv_data_arguments_are_refused_with_the_reason(tmp_path, name):
    path, _ = _csv(tmp_path)
    with pytest.raises(ConfigError, match=f"drop {name}"):
        CSVDataset(path, **{name: np.zeros((6, 4))})
