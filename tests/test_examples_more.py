"""The gated-autoencoder, LWTA, VAE and SVHN-maxout examples run at toy size."""

import os
import re
from pathlib import Path

import h5py
import numpy as np
import pytest
from helpers import write_fake_mnist

from pylearn2.config import yaml_parse

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(tmp_path, name, replacements):
    text = (EXAMPLES / name).read_text()
    for pattern, value in replacements:
        text, n = re.subn(pattern, value, text)
        assert n, f"{pattern!r} not found in {name}"
    config = tmp_path / name
    config.write_text(text)
    train = yaml_parse.load_train_file(str(config))
    train.main_loop()
    return train


EPOCHS = (r"max_epochs: \d+", "max_epochs: 1")


def test_gae_shifts_example(tmp_path):
    train = run(tmp_path, "gae_shifts.yaml", [(r"num_examples: \d+", "num_examples: 60"),
                                              (r"nfac: \d+", "nfac: 9"), (r"nmap: \d+", "nmap: 4"),
                                              (r"batch_size: \d+", "batch_size: 20"), EPOCHS])
    record = train.model.monitor.channels["train_objective"].val_record
    assert len(record) == 2 and record[1] < record[0]
    assert (tmp_path / "gae_shifts.pkl").exists()


@pytest.fixture
def fake_mnist(tmp_path, monkeypatch):
    write_fake_mnist(tmp_path / "data", train=120, test=40)
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path / "data"))
    yield tmp_path
    from pylearn2.utils import mnist_ubyte

    mnist_ubyte._cached.cache_clear()


def test_lwta_example(fake_mnist):
    train = run(fake_mnist, "lwta_mnist.yaml", [("stop: 50000", "stop: 100"),
                                                ("start: 50000, stop: 60000", "start: 100, stop: 120"),
                                                (r"dim: 500", "dim: 20"),
                                                (r"batch_size: \d+", "batch_size: 20"), EPOCHS])
    assert len(train.model.monitor.channels["valid_y_misclass"].val_record) == 2


def test_vae_example(tmp_path, monkeypatch):
    folder = tmp_path / "binarized_mnist"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name, n in (("train", 200), ("valid", 100)):
        np.save(folder / f"binarized_mnist_{name}.npy", (rng.uniform(size=(n, 784)) < 0.2).astype(np.uint8))
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    train = run(tmp_path, "vae_binarized_mnist.yaml", [(r"dim: 200", "dim: 32"), EPOCHS])
    record = train.model.monitor.channels["valid_objective"].val_record
    assert len(record) == 2 and record[1] < record[0]


def test_svhn_maxout_example(tmp_path, monkeypatch):
    from pylearn2.scripts.svhn_preprocessing import main as svhn_preprocess

    rng = np.random.default_rng(0)
    raw = tmp_path / "format2"
    for name in ("splitted_train", "valid"):
        os.makedirs(raw / "h5", exist_ok=True)
        with h5py.File(raw / "h5" / f"{name}_32x32.h5", "w") as f:
            f.create_group("Data")
            f["Data"]["X"] = rng.integers(0, 256, size=(128, 3072)).astype(np.float32)
            f["Data"]["y"] = np.eye(10, dtype=np.float32)[rng.integers(0, 10, size=128)]
    # the paper's pipeline: contrast normalisation, then the network on its output
    assert svhn_preprocess(["--source", str(raw), "--output", str(tmp_path / "gcn_lcn"),
                            "--sets", "splitted_train", "valid"]) == 0
    monkeypatch.setenv("SVHN_LOCAL_PATH", str(tmp_path / "gcn_lcn") + "/")
    train = run(tmp_path, "svhn_maxout.yaml", [
        (r"num_channels: (64|128), num_pieces: 2", "num_channels: 8, num_pieces: 2"),
        (r"num_units: 400", "num_units: 10"),
        (r"termination_criterion: !obj:pylearn2.termination_criteria.MonitorBased \{[^}]*\}",
         "termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter {max_epochs: 1}")])
    assert len(train.model.monitor.channels["valid_y_misclass"].val_record) == 2
