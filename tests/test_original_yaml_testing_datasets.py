"""Original experiment files whose data come from pylearn2.testing load unchanged and train."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pylearn2.config import yaml_parse
from pylearn2.testing.datasets import (
    ArangeDataset,
    random_dense_design_matrix,
    random_one_hot_dense_design_matrix,
    random_one_hot_topological_dense_design_matrix,
)
from pylearn2.utils.exc import ConfigError

ORIGINAL = Path(__file__).parent / "data" / "original_yaml"
FILES = ["conv_elemwise_rect.yaml", "conv_elemwise_sigm.yaml",
         "test_vae_cost_vae_criterion.yaml", "test_vae_cost_is_criterion.yaml"]


@pytest.mark.parametrize("name", FILES)
def test_original_file_trains_one_epoch(name, monkeypatch):
    text = (ORIGINAL / name).read_text()
    # one epoch instead of the file's 2-3, to keep the test quick; nothing else changes
    text = text.replace("max_epochs: 3", "max_epochs: 1").replace("max_epochs: 2", "max_epochs: 1")
    train = yaml_parse.load(text)
    before = [p.detach().clone() for p in train.model.parameters()]
    train.main_loop()
    monitor = train.model.monitor
    assert monitor.get_epochs_seen() == 1
    assert all(np.isfinite(c.val_record[-1]) for c in monitor.channels.values() if c.val_record)
    assert "train_objective" in monitor.channels
    assert any(not np.array_equal(b.numpy(), p.detach().numpy())
               for b, p in zip(before, train.model.parameters()))


def test_random_builders_draw_what_randomstate_draws():
    rng = np.random.RandomState(5)
    X_ref, idx_ref = rng.randn(7, 3), rng.randint(0, 4, (7,))
    data = random_one_hot_dense_design_matrix(np.random.RandomState(5), 7, 3, 4)
    np.testing.assert_allclose(data.X, X_ref.astype(np.float32))
    np.testing.assert_array_equal(data.y, np.eye(4)[idx_ref])
    rng = np.random.RandomState(6)
    X_ref, y_ref = rng.randn(5, 2), rng.randint(0, 3, (5, 1))
    dense = random_dense_design_matrix(np.random.RandomState(6), 5, 2, 3)
    np.testing.assert_allclose(dense.X, X_ref.astype(np.float32))
    np.testing.assert_array_equal(np.asarray(dense.y).reshape(5, -1)[:, :1] if dense.y.shape[1] == 1
                                  else dense.y.argmax(1)[:, None], y_ref)
    rng = np.random.RandomState(7)
    topo_ref = rng.randn(3, 4, 5, 2)  # ('c', 0, 1, 'b') with 3 channels, 2 examples
    labels = rng.randint(0, 6, (2,))
    topo = random_one_hot_topological_dense_design_matrix(np.random.RandomState(7), 2, (4, 5), 3,
                                                          ("c", 0, 1, "b"), 6)
    np.testing.assert_allclose(topo.get_topological_view(), topo_ref.astype(np.float32),
                               rtol=1e-6)
    assert topo.X.shape == (2, 60)
    np.testing.assert_array_equal(topo.y.argmax(1), labels)
    np.testing.assert_array_equal(ArangeDataset(4).X[:, 0], [0, 1, 2, 3])
    with pytest.raises(ConfigError, match="axes"):
        random_one_hot_topological_dense_design_matrix(1, 2, (4, 5), 1, ("b", 0, "c"), 2)
