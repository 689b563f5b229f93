"""The ICML 2013 contest scripts (make_submission for the emotions and black box contests,
black box learn_zca) on contest files in their CSV layouts."""

import numpy as np
import pytest
import torch

from pylearn2.models.mlp import MLP, Softmax
from pylearn2.scripts.cli import main
from pylearn2.utils import serial

rng = np.random.default_rng(4)


def linear_model(path, nvis, n_classes, yaml_src):
    model = MLP(nvis=nvis, layers=[Softmax(layer_name="y", n_classes=n_classes, irange=0.0)])
    W, b = rng.normal(size=(nvis, n_classes)), rng.normal(size=n_classes)
    with torch.no_grad():
        model.layers[0].W.copy_(torch.as_tensor(W))
        model.layers[0].b.copy_(torch.as_tensor(b))
    model.dataset_yaml_src = yaml_src
    serial.save(str(path), model)
    return W, b


@pytest.fixture
def black_box(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    folder = tmp_path / "icml_2013_black_box"
    folder.mkdir()
    X, test = rng.normal(size=(6, 5)).round(3), rng.normal(size=(7, 5)).round(3)
    header = "Id,f1,f2,f3,f4,f5\n"
    (folder / "train.csv").write_text(header + "\n".join(
        f"{k % 9 + 1}.0," + ",".join(map(str, x)) for k, x in enumerate(X)) + "\n")
    (folder / "test.csv").write_text("f1,f2,f3,f4,f5\n" + "\n".join(  # no label column
        ",".join(map(str, x)) for x in test) + "\n")
    return folder, X, test


def test_black_box_make_submission_numbers_classes_from_one(black_box, tmp_path, capsys):
    folder, _, test = black_box
    W, b = linear_model(tmp_path / "m.pkl", 5, 9,
                        "!obj:pylearn2.datasets.icml_2013.BlackBoxDataset {which_set: train}")
    out = tmp_path / "submission.csv"
    assert main(["black-box-make-submission", str(tmp_path / "m.pkl"), str(out)]) == 0
    want = (test.astype(np.float32) @ W + b).argmax(1) + 1
    assert out.read_text().splitlines() == [f"{k}.0" for k in want]
    assert main(["black-box-make-submission", str(tmp_path / "m.pkl"), str(out)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_emotions_make_submission(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    folder = tmp_path / "icml_2013_emotions"
    folder.mkdir()
    faces, test = rng.integers(0, 256, size=(3, 2304)), rng.integers(0, 256, size=(4, 2304))
    (folder / "train.csv").write_text("Emotion,Pixels\n" + "\n".join(
        f'{k},"{" ".join(map(str, f))}"' for k, f in enumerate(faces)) + "\n")
    (folder / "test.csv").write_text("Pixels\n" + "\n".join(
        f'"{" ".join(map(str, f))}"' for f in test) + "\n")
    W, b = linear_model(tmp_path / "m.pkl", 2304, 7,
                        "!obj:pylearn2.datasets.icml_2013.EmotionsDataset {which_set: train}")
    out = tmp_path / "submission.csv"
    assert main(["emotions-make-submission", str(tmp_path / "m.pkl"), str(out)]) == 0
    want = (test.astype(np.float64) @ W + b).argmax(1)
    assert out.read_text().splitlines() == [str(k) for k in want]


def test_black_box_learn_zca_whitens_the_extra_data(black_box, tmp_path, monkeypatch):
    folder, X, _ = black_box
    extra = rng.normal(size=(5, 40)) * np.arange(1, 6)[:, None]  # stored features x examples
    np.save(folder / "extra_unsupervised_data.npy", extra)
    monkeypatch.chdir(tmp_path)
    assert main(["black-box-learn-zca"]) == 0
    zca = serial.load(str(tmp_path / "zca.pkl"))
    data = extra.T
    centred = data - data.mean(0)
    cov = centred.T @ centred / len(data) + 0.1 * np.eye(5)
    eigs, vecs = np.linalg.eigh(cov)
    np.testing.assert_allclose(zca.P_, (vecs / np.sqrt(eigs)) @ vecs.T, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(zca.transform(X), (X - data.mean(0)) @ zca.P_, rtol=1e-5)
