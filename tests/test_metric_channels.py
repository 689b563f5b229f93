"""RocAucChannel and WMapeChannel in real short runs, against direct computations."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.datasets.digits import Digits
from pylearn2.models.mlp import MLP, Linear, Softmax
from pylearn2.termination_criteria import EpochCounter
from pylearn2.train import Train
from pylearn2.train_extensions.roc_auc import RocAucChannel
from pylearn2.train_extensions.wmape_channel import (
    WMapeChannel,
    WMapeDenominatorChannel,
    WMapeNumeratorChannel,
)
from pylearn2.training_algorithms.sgd import SGD
from pylearn2.utils.exc import ConfigError


def _outputs(model, X):
    with torch.no_grad():
        return model.fprop(torch.as_tensor(X, dtype=torch.float32)).double().numpy()


def _run(model, train, monitoring, extensions, epochs=2):
    algorithm = SGD(learning_rate=0.05, batch_size=50, monitoring_dataset=monitoring,
                    termination_criterion=EpochCounter(epochs))
    trainer = Train(train, model, algorithm, extensions=extensions)
    trainer.main_loop()
    return trainer


def test_roc_auc_channel_on_digits_matches_sklearn():
    train, valid = Digits("train", stop=300), Digits("valid", stop=150)
    model = MLP(nvis=64, seed=0, layers=[Softmax(layer_name="y", n_classes=10, irange=0.05)])
    one_vs_rest = RocAucChannel(positive_class_index=3)
    pairwise = RocAucChannel("roc_auc_3v8", positive_class_index=3, negative_class_index=8)
    trainer = _run(model, train, {"valid": valid, "train": train}, [one_vs_rest, pairwise])
    channel = model.monitor.channels["valid_roc_auc"]
    assert len(channel.val_record) == 3 and channel.epoch_record == [0, 1, 2]
    assert "train_roc_auc" in model.monitor.channels
    labels = valid.y.reshape(-1)
    scores = _outputs(model, valid.X)[:, 3]
    assert channel.val_record[-1] == pytest.approx(roc_auc_score(labels == 3, scores), abs=1e-6)
    keep = (labels == 3) | (labels == 8)
    assert model.monitor.last("valid_roc_auc_3v8") == pytest.approx(
        roc_auc_score(labels[keep] == 3, scores[keep]), abs=1e-6)
    assert trainer.stop_reason is not None
    # the score improves from the untrained model's
    assert channel.val_record[-1] > channel.val_record[0]


def test_roc_auc_is_nan_with_one_class_and_refuses_bad_index():
    X = np.random.RandomState(0).randn(40, 5)
    y = np.zeros((40, 1), dtype=int)
    data = DenseDesignMatrix(X=X, y=y, y_labels=2)
    model = MLP(nvis=5, seed=0, layers=[Softmax(layer_name="y", n_classes=2, irange=0.05)])
    _run(model, data, data, [RocAucChannel()], epochs=1)
    assert np.isnan(model.monitor.last("roc_auc"))
    with pytest.raises(ConfigError, match="must differ"):
        RocAucChannel(positive_class_index=1, negative_class_index=1)


def test_wmape_channel_regression_run():
    rng = np.random.RandomState(1)
    X = rng.randn(200, 4)
    y = (X @ np.array([1.0, -2.0, 0.5, 0.0]) + 3.0)[:, None]
    data = DenseDesignMatrix(X=X, y=y)
    model = MLP(nvis=4, seed=0, layers=[Linear(layer_name="out", dim=1, irange=0.1)])
    _run(model, data, {"train": data},
         [WMapeChannel(), WMapeNumeratorChannel(), WMapeDenominatorChannel()], epochs=3)
    pred = _outputs(model, X)[:, 0]
    truth = y[:, 0].astype(np.float32).astype(np.float64)
    expected = np.abs(truth - pred).sum() / np.abs(truth).sum()
    record = model.monitor.channels["train_wmape"].val_record
    assert record[-1] == pytest.approx(expected, rel=1e-5)
    assert record[-1] < record[0]
    numerator = model.monitor.last("train_wmape_num")
    denominator = model.monitor.last("train_wmape_den")
    assert numerator == pytest.approx(np.abs(truth - pred).sum(), rel=1e-5)
    assert denominator == pytest.approx(np.abs(truth).sum(), rel=1e-6)
    assert numerator / denominator == pytest.approx(record[-1], rel=1e-9)


def test_regression_builder_draws_like_randomstate():
    from pylearn2.testing.datasets import random_dense_design_matrix_for_regression

    rng = np.random.RandomState(4)
    X_ref, y_ref = rng.randn(6, 3), rng.randint(-2, 5, (6, 1))
    data = random_dense_design_matrix_for_regression(np.random.RandomState(4), 6, 3, -2, 5)
    np.testing.assert_allclose(data.X, X_ref.astype(np.float32))
    np.testing.assert_array_equal(data.y, y_ref)
    assert data.y.dtype == np.float32


def test_roc_auc_score_op():
    from pylearn2.train_extensions.roc_auc import RocAucScoreOp

    y, score = np.array([0, 1, 1, 0, 1]), np.array([0.1, 0.7, 0.4, 0.5, 0.9])
    assert RocAucScoreOp()(torch.as_tensor(y), torch.as_tensor(score)) == roc_auc_score(y, score)
    assert np.isnan(RocAucScoreOp()(np.zeros(3), score[:3]))
