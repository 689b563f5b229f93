"""The original MP-DBM experiment file and the energy-based examples, at toy size."""

import os
import re
from pathlib import Path

import pytest
from helpers import write_fake_mnist

from pylearn2.config import yaml_parse
from pylearn2.termination_criteria import EpochCounter

HERE = Path(__file__).parent
EXAMPLES = HERE.parent / "examples"


@pytest.fixture
def mnist_files(tmp_path, monkeypatch):
    """MNIST-format files with 300 training images whose label lights up one row."""
    write_fake_mnist(tmp_path / "data", train=300, test=20)
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path / "data"))
    monkeypatch.setenv("PYLEARN2_TRAIN_DIR", str(tmp_path) + os.sep)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.slow
def test_original_mpdbm_yaml_trains_one_epoch(mnist_files):
    job = yaml_parse.load_train_file(str(HERE / "data" / "original_yaml" / "mpdbm.yaml"))
    assert [type(layer).__name__ for layer in job.model.hidden_layers] == [
        "BinaryVectorMaxPool", "BinaryVectorMaxPool", "Softmax"]
    assert type(job.model.inference_procedure).__name__ == "WeightDoubling"
    job.algorithm.termination_criterion = EpochCounter(1)
    job.main_loop()
    assert len(job.model.monitor.channels["raw_valid_err"].val_record) == 2
    assert job.algorithm.batch_size == 100
    assert (mnist_files / "mpdbm.pkl").exists()


def test_mpdbm_example_at_toy_size(mnist_files):
    text = (EXAMPLES / "mnist_mpdbm.yaml").read_text()
    text = text.replace("start: 0, stop: 50000", "start: 0, stop: 200")
    text = text.replace("start: 50000, stop: 60000", "start: 200, stop: 300")
    text = re.sub(r"detector_layer_dim: \d+", "detector_layer_dim: 12", text)
    text = text.replace("niter: 14", "niter: 3").replace("N: 100", "N: 1")
    text = re.sub(r"sparse_init: \d+", "sparse_init: 5", text)
    (mnist_files / "mpdbm.yaml").write_text(text)
    job = yaml_parse.load_train_file(str(mnist_files / "mpdbm.yaml"))
    job.algorithm.termination_criterion = EpochCounter(2)
    job.main_loop()
    err = job.model.monitor.channels["raw_valid_err"].val_record
    assert len(err) == 3 and all(0 <= e <= 1 for e in err)
    assert (mnist_files / "mnist_mpdbm.pkl").exists()


def test_s3c_example_at_toy_size(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLEARN2_TRAIN_DIR", str(tmp_path) + os.sep)
    text = (EXAMPLES / "digits_s3c.yaml").read_text()
    text = text.replace("nhid: 50", "nhid: 6").replace("max_epochs: 20", "max_epochs: 2")
    text = text.replace("which_set: 'train'", "which_set: 'train', stop: 200")
    (tmp_path / "s3c.yaml").write_text(text)
    job = yaml_parse.load_train_file(str(tmp_path / "s3c.yaml"))
    job.main_loop()
    assert job.model.epochs_done == 2
    assert (tmp_path / "digits_s3c.pkl").exists()
