"""Train semantics, SGD updates and monitor arithmetic against hand-computed references."""

import os

import numpy as np
import pytest
import torch

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.kmeans import KMeans
from pylearn2.models.mlp import MLP, Linear, RectifiedLinear, Softmax
from pylearn2.termination_criteria import EpochCounter
from pylearn2.train import Train
from pylearn2.train_extensions import TrainExtension
from pylearn2.training_algorithms.learning_rule import Momentum
from pylearn2.training_algorithms.sgd import SGD
from pylearn2.utils import serial
from pylearn2.utils.exc import ConfigError


def regression_data(n=10, nvis=3, nout=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, nvis)).astype(np.float32)
    y = rng.normal(size=(n, nout)).astype(np.float32)
    return DenseDesignMatrix(X=X, y=y)


def classification_data(n=60, nvis=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, nvis)).astype(np.float32)
    y = (X[:, :1] > 0).astype(np.int64) + 2 * (X[:, 1:2] > 0)
    return DenseDesignMatrix(X=X, y=y, y_labels=4)


def linear_model(nvis=3, nout=2):
    return MLP(nvis=nvis, layers=[Linear(dim=nout, layer_name="out", irange=0.5)])


def classifier(nvis=5):
    return MLP(nvis=nvis, seed=[4, 5, 6], layers=[
        RectifiedLinear(dim=8, layer_name="h0", irange=0.3),
        Softmax(n_classes=4, layer_name="y", irange=0.1),
    ])


class Recorder(TrainExtension):
    def __init__(self):
        self.calls = []

    def setup(self, model, dataset, algorithm, **kwargs):
        self.calls.append(("setup", model.monitor.get_epochs_seen()))

    def on_monitor(self, model, **kwargs):
        self.calls.append(("on_monitor", model.monitor.get_epochs_seen()))

    def on_save(self, model, **kwargs):
        self.calls.append(("on_save", model.monitor.get_epochs_seen()))

    def on_train_end(self, **kwargs):
        self.calls.append(("on_train_end", None))


def test_sgd_momentum_matches_hand_computed_updates():
    data = regression_data()
    model = linear_model()
    W = model.layers[0].W.detach().double().numpy().copy()
    b = model.layers[0].b.detach().double().numpy().copy()
    lr, m = 0.05, 0.7
    algorithm = SGD(learning_rate=lr, batch_size=10, train_iteration_mode="sequential",
                    learning_rule=Momentum(init_momentum=m), device="cpu",
                    termination_criterion=EpochCounter(3))
    Train(dataset=data, model=model, algorithm=algorithm).main_loop()
    X, Y = data.X.astype(np.float64), data.y.astype(np.float64)
    vW, vb = np.zeros_like(W), np.zeros_like(b)
    for _ in range(3):
        err = X @ W + b - Y  # cost = mean_i sum_j err^2
        gW, gb = 2 * X.T @ err / len(X), 2 * err.sum(0) / len(X)
        vW, vb = m * vW - lr * gW, m * vb - lr * gb
        W, b = W + vW, b + vb
    np.testing.assert_allclose(model.layers[0].W.detach().numpy(), W, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.layers[0].b.detach().numpy(), b, rtol=1e-5, atol=1e-6)


def test_lr_scale_applies_per_parameter():
    data = regression_data()
    model = MLP(nvis=3, layers=[Linear(dim=2, layer_name="out", irange=0.5, W_lr_scale=0.0)])
    W0 = model.layers[0].W.detach().clone()
    b0 = model.layers[0].b.detach().clone()
    Train(dataset=data, model=model, algorithm=SGD(
        learning_rate=0.1, batch_size=5, termination_criterion=EpochCounter(1))).main_loop()
    assert torch.equal(model.layers[0].W.detach(), W0)
    assert not torch.equal(model.layers[0].b.detach(), b0)


def test_monitor_means_over_uneven_batches():
    data = regression_data(n=10)
    model = linear_model()
    algorithm = SGD(learning_rate=0.0, batch_size=4, monitoring_dataset={"valid": data},
                    monitoring_batch_size=4, termination_criterion=EpochCounter(0))
    Train(dataset=data, model=model, algorithm=algorithm).main_loop()
    X, Y = data.X.astype(np.float64), data.y.astype(np.float64)
    W, b = (t.detach().double().numpy() for t in (model.layers[0].W, model.layers[0].b))
    out = X @ W + b
    per_example = ((out - Y) ** 2).sum(1)
    monitor = model.monitor
    assert monitor.last("valid_objective") == pytest.approx(per_example.mean(), rel=1e-6)
    # A max-type channel is the example-weighted mean of per-batch maxima (batches 4, 4, 2).
    batch_max = [out[s:s + 4].max(0).max() for s in (0, 4, 8)]
    expected = (4 * batch_max[0] + 4 * batch_max[1] + 2 * batch_max[2]) / 10
    assert monitor.last("valid_out_max_x_max_u") == pytest.approx(expected, rel=1e-6)


def test_monitor_runs_before_first_epoch_and_after_each():
    data = classification_data()
    model = classifier()
    algorithm = SGD(learning_rate=0.05, batch_size=16, monitoring_dataset={"train": data},
                    termination_criterion=EpochCounter(3))
    ext = Recorder()
    Train(dataset=data, model=model, algorithm=algorithm, extensions=[ext]).main_loop()
    channel = model.monitor.channels["train_y_misclass"]
    assert channel.epoch_record == [0, 1, 2, 3]
    assert channel.batch_record == [0, 4, 8, 12]
    assert channel.example_record == [0, 60, 120, 180]
    assert model.monitor.channels["learning_rate"].val_record == [0.05] * 4
    assert [c for c in ext.calls if c[0] == "on_monitor"] == [("on_monitor", e) for e in range(4)]
    assert ext.calls[0] == ("setup", 0) and ext.calls[-1] == ("on_train_end", None)
    assert model.monitor.training_succeeded


def test_save_freq_final_save_and_on_save_without_path(tmp_path):
    data = classification_data()
    path = tmp_path / "model.pkl"
    ext = Recorder()
    Train(dataset=data, model=classifier(), save_path=str(path), save_freq=2, extensions=[ext],
          algorithm=SGD(learning_rate=0.05, batch_size=16,
                        termination_criterion=EpochCounter(5))).main_loop()
    assert [c for c in ext.calls if c[0] == "on_save"] == [("on_save", 2), ("on_save", 4),
                                                           ("on_save", 5)]
    saved = serial.load(str(path))
    assert saved.monitor.get_epochs_seen() == 5
    assert not os.path.exists(str(path) + ".bak")
    ext2 = Recorder()
    Train(dataset=data, model=classifier(), save_freq=1, extensions=[ext2],
          algorithm=SGD(learning_rate=0.05, batch_size=16,
                        termination_criterion=EpochCounter(1))).main_loop()
    assert ("on_save", 1) in ext2.calls


def test_allow_overwrite_false_refuses_existing_file(tmp_path):
    path = tmp_path / "model.pkl"
    path.write_bytes(b"precious")
    job = Train(dataset=classification_data(), model=classifier(), save_path=str(path),
                save_freq=1, allow_overwrite=False,
                algorithm=SGD(learning_rate=0.05, batch_size=16,
                              termination_criterion=EpochCounter(1)))
    with pytest.raises(ConfigError, match="allow_overwrite"):
        job.main_loop()
    assert path.read_bytes() == b"precious"


def test_saved_model_predicts_identically(tmp_path):
    data = classification_data()
    model = classifier()
    path = tmp_path / "m.pkl"
    Train(dataset=data, model=model, save_path=str(path), save_freq=1,
          algorithm=SGD(learning_rate=0.05, batch_size=16, monitoring_dataset=data,
                        termination_criterion=EpochCounter(2))).main_loop()
    loaded = serial.load(str(path))
    X = torch.as_tensor(data.X)
    assert torch.equal(loaded.fprop(X), model.fprop(X))
    assert loaded.monitor.channels["objective"].val_record == \
        model.monitor.channels["objective"].val_record


def test_dataset_yaml_src_is_stored():
    data = classification_data()
    data.yaml_src = "!obj:pylearn2.datasets.digits.Digits {which_set: 'train'}"
    model = classifier()
    Train(dataset=data, model=model, algorithm=SGD(learning_rate=0.1, batch_size=10))
    assert model.dataset_yaml_src == data.yaml_src


class StopAfter(TrainExtension):
    def __init__(self, epochs):
        self.epochs = epochs

    def on_monitor(self, model, trainer, **kwargs):
        if model.monitor.get_epochs_seen() >= self.epochs:
            trainer.request_stop(f"stopped by test after {self.epochs} epochs")


def test_extension_stop_flag_and_time_budget():
    data = classification_data()
    job = Train(dataset=data, model=classifier(), extensions=[StopAfter(2)],
                algorithm=SGD(learning_rate=0.05, batch_size=16))
    job.main_loop()
    assert job.model.monitor.get_epochs_seen() == 2
    assert job.stop_reason == "stopped by test after 2 epochs"
    job = Train(dataset=data, model=classifier(), algorithm=SGD(learning_rate=0.05, batch_size=16))
    job.main_loop(time_budget=0.0)
    assert job.model.monitor.get_epochs_seen() == 0
    assert "time budget" in job.stop_reason and not job.model.monitor.training_succeeded


def test_self_training_model_kmeans():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [5, 5], [0, 5]], dtype=np.float64)
    X = np.concatenate([c + 0.1 * rng.normal(size=(30, 2)) for c in centres]).astype(np.float32)
    model = KMeans(k=3, nvis=2, init="k-means++")
    Train(dataset=DenseDesignMatrix(X=X), model=model).main_loop()
    found = np.sort(model.mu.numpy(), axis=0)
    np.testing.assert_allclose(found, np.sort(centres, axis=0), atol=0.1)
    assert not model.continue_learning()
    assert model.monitor.get_epochs_seen() == int(model.iterations)


def test_resume_is_bit_identical(check_resume):
    def job(path, epochs):
        return Train(dataset=classification_data(), model=classifier(), save_path=str(path),
                     save_freq=1, algorithm=SGD(
                         learning_rate=0.05, batch_size=7, learning_rule=Momentum(0.5),
                         monitoring_dataset=classification_data(seed=1),
                         termination_criterion=EpochCounter(epochs)))
    check_resume(job, channels=["objective"])


def test_sgd_batches_per_iter_monitoring_batches_and_batch_size_rules():
    data = classification_data(n=60)
    model = classifier()
    algorithm = SGD(learning_rate=0.05, batch_size=10, batches_per_iter=2, monitoring_batches=1,
                    monitoring_batch_size=7, monitoring_dataset={"valid": data},
                    termination_criterion=EpochCounter(2))
    Train(dataset=data, model=model, algorithm=algorithm).main_loop()
    channel = model.monitor.channels["valid_y_misclass"]
    assert channel.batch_record == [0, 2, 4] and channel.example_record == [0, 20, 40]
    expected = float((model.fprop(torch.as_tensor(data.X[:7])).argmax(1).numpy()
                      != data.y[:7, 0]).mean())
    assert channel.val_record[-1] == pytest.approx(expected)  # one batch of 7
    forced = MLP(nvis=5, batch_size=12, layers=[Softmax(n_classes=4, layer_name="y", irange=0.1)])
    with pytest.raises(ConfigError, match="set_batch_size"):
        Train(dataset=data, model=forced, algorithm=SGD(learning_rate=0.1, batch_size=10)).main_loop()
    with pytest.raises(ConfigError, match="even_"):
        Train(dataset=classification_data(n=61), model=forced,
              algorithm=SGD(learning_rate=0.1)).main_loop()
    Train(dataset=classification_data(n=61), model=forced, algorithm=SGD(
        learning_rate=0.1, train_iteration_mode="even_shuffled_sequential",
        termination_criterion=EpochCounter(1))).main_loop()
    assert forced.monitor.get_examples_seen() == 60
    with pytest.raises(ConfigError, match="SumOfCosts"):
        SGD(learning_rate=0.1, cost=[1, 2])
    with pytest.raises(ConfigError, match="batch size"):
        Train(dataset=data, model=classifier(), algorithm=SGD(learning_rate=0.1)).main_loop()
