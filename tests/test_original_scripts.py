"""The original's small model scripts: print_model and num_parameters."""

from __future__ import annotations

from pylearn2.models.mlp import MLP, Sigmoid, Softmax
from pylearn2.scripts.cli import main
from pylearn2.utils import serial


def _saved_model(tmp_path):
    model = MLP(nvis=5, layers=[Sigmoid(layer_name="h0", dim=4, irange=0.1),
                                Softmax(layer_name="y", n_classes=3, irange=0.1)])
    path = tmp_path / "model.pkl"
    serial.save(str(path), model)
    return str(path)


def test_num_parameters_counts_every_weight_and_bias(tmp_path, capsys):
    path = _saved_model(tmp_path)
    assert main(["num-parameters", path]) == 0
    assert capsys.readouterr().out.strip() == str(5 * 4 + 4 + 4 * 3 + 3)


def test_print_model_shows_the_layers(tmp_path, capsys):
    path = _saved_model(tmp_path)
    assert main(["print-model", path]) == 0
    out = capsys.readouterr().out
    assert "MLP" in out and "Sigmoid" in out and "Softmax" in out


def test_num_parameters_on_a_missing_file_is_one_clear_error(tmp_path, capsys):
    assert main(["num-parameters", str(tmp_path / "absent.pkl")]) == 2
    assert "absent.pkl" in capsys.readouterr().err


def _model_with_channels(path, values: dict[str, tuple[str, float]]) -> str:
    from pylearn2.monitor import Monitor, MonitorChannel

    model = MLP(nvis=2, layers=[Softmax(layer_name="y", n_classes=2, irange=0.1)])
    monitor = Monitor(model)
    for name, (doc, value) in values.items():
        channel = monitor.channels[name] = MonitorChannel(name, doc)
        channel.val_record.append(value)
        channel.batch_record.append(0)
        channel.example_record.append(0)
        channel.epoch_record.append(0)
        channel.time_record.append(0.0)
    model.monitor = monitor
    serial.save(str(path), model)
    return str(path)


def test_print_channel_doc_lists_each_channel_with_its_doc(tmp_path, capsys):
    path = _model_with_channels(tmp_path / "m.pkl", {
        "valid_y_nll": ("negative log likelihood", 0.5), "learning_rate": ("", 0.1)})
    assert main(["print-channel-doc", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["learning_rate: (no documentation)",
                     "valid_y_nll: negative log likelihood"]


def test_predict_csv_accepts_the_original_option_spellings(tmp_path):
    import numpy as np
    import torch

    path = _saved_model(tmp_path)
    x = np.random.default_rng(0).normal(size=(6, 5)).astype(np.float32)
    (tmp_path / "in.csv").write_text("\n".join(",".join(f"{v:.6f}" for v in row) for row in x))
    out = tmp_path / "out.csv"
    assert main(["predict-csv", path, str(tmp_path / "in.csv"), str(out),
                 "--prediction_type", "regression", "--output_type", "float"]) == 0
    written = np.loadtxt(out, delimiter=",", ndmin=2)
    with torch.no_grad():
        expected = serial.load(path).fprop(torch.as_tensor(
            np.loadtxt(tmp_path / "in.csv", delimiter=",", dtype=np.float32))).numpy()
    np.testing.assert_allclose(written, expected, atol=1e-5)


def test_diff_monitor_reports_missing_and_differing_channels(tmp_path, capsys):
    a = _model_with_channels(tmp_path / "a.pkl", {"nll": ("", 0.5), "lr": ("", 0.1)})
    b = _model_with_channels(tmp_path / "b.pkl", {"nll": ("", 0.25), "err": ("", 0.3)})
    assert main(["diff-monitor", a, b]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "only in A: lr", "only in B: err", "nll: record 0 (epoch 0) A=0.5 B=0.25"]
    assert main(["diff-monitor", a, a]) == 0
    assert "identical" in capsys.readouterr().out


def test_compute_test_err_scores_the_training_sets_test_split(tmp_path, capsys):
    import numpy as np
    import torch

    from pylearn2.datasets.digits import Digits

    model = MLP(nvis=64, layers=[Softmax(layer_name="y", n_classes=10, irange=0.0)])
    train = Digits("train")
    # a nearest-class-mean classifier written as a linear softmax layer
    means = np.stack([train.X[train.y[:, 0] == k].mean(0) for k in range(10)])
    with torch.no_grad():
        model.layers[0].W.copy_(torch.as_tensor(means.T))
        model.layers[0].b.copy_(torch.as_tensor(-0.5 * (means ** 2).sum(1)))
    model.dataset_yaml_src = "!obj:pylearn2.datasets.digits.Digits {which_set: train}"
    path = str(tmp_path / "digits.pkl")
    serial.save(path, model)
    assert main(["compute-test-err", path, "--batch-size", "64"]) == 0
    test = Digits("test")
    X = test.X.astype(np.float64)
    predicted = np.argmin(((X[:, None, :] - means[None]) ** 2).sum(-1), axis=1)
    wrong = int((predicted != test.y[:, 0]).sum())
    assert 0 < wrong < 0.2 * len(X)  # a sensible classifier, not all right by accident
    assert capsys.readouterr().out.splitlines() == [
        f"{wrong} of {len(X)} test examples misclassified", f"{wrong / len(X):.6g}"]
    model.dataset_yaml_src = None
    serial.save(path, model)
    assert main(["compute-test-err", path]) == 2
    assert "does not record its training dataset" in capsys.readouterr().err
