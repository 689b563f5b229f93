"""The original Pylearn2's MNIST experiment files (stored unchanged under
tests/data/original_yaml/) load, and train one epoch at toy size.

Toy size means only the MNIST ranges shrink (a few hundred examples instead of 60000),
the tutorial's own %()-placeholders get the toy values its original test used, and the
run stops after one epoch (the file's own criterion is kept and still consulted)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from pylearn2.config import yaml_parse
from pylearn2.termination_criteria import And, EpochCounter

ORIGINAL = Path(__file__).parent / "data" / "original_yaml"
FILES = ["maxout_mnist_pi.yaml", "dropout_mnist_valid.yaml", "mlp_tutorial_part_3.yaml"]
TUTORIAL_VALUES = {"train_stop": 200, "valid_stop": 50100, "dim_h0": 5, "dim_h1": 10,
                   "sparse_init_h1": 2, "max_epochs": 1}


def toy_size(text: str) -> str:
    """Shrink every MNIST range to at most a few hundred examples."""
    text = re.sub(r"stop:\s*50000\b", "stop: 200", text)
    text = re.sub(r"start:\s*50000,(\s*)stop:\s*60000", r"start: 50000,\1stop: 50100", text)
    # the test split has no range in these files: give it one
    return re.sub(r"(which_set:\s*'test',\s*one_hot:\s*1,)", r"\1 stop: 100,", text)


def load(name: str, tmp_path: Path, monkeypatch, shrink: bool):
    monkeypatch.setenv("PYLEARN2_TRAIN_FILE_FULL_STEM", str(tmp_path / Path(name).stem))
    monkeypatch.setenv("PYLEARN2_OUTPUT_PATH", str(tmp_path))  # where its extensions may write
    text = (ORIGINAL / name).read_text()
    if "%(" in text:
        text = text % dict(TUTORIAL_VALUES, save_path=str(tmp_path))
    return yaml_parse.load(toy_size(text) if shrink else text)


@pytest.mark.parametrize("name", FILES)
def test_original_mnist_file_trains_one_epoch_at_toy_size(name, tmp_path, monkeypatch,
                                                          mnist_data_path):
    train = load(name, tmp_path, monkeypatch, shrink=True)
    assert train.dataset.X.shape[0] == 200
    criterion = train.algorithm.termination_criterion
    train.algorithm.termination_criterion = And([EpochCounter(1), criterion])
    before = [p.detach().clone() for p in train.model.parameters()]
    train.main_loop()
    monitor = train.model.monitor
    assert monitor.get_epochs_seen() == 1
    records = {n: c.val_record for n, c in monitor.channels.items()}
    assert "valid_y_misclass" in records and "valid_objective" in records
    assert all(np.isfinite(r[-1]) for r in records.values() if r)
    assert any(not np.array_equal(b.numpy(), p.detach().numpy())
               for b, p in zip(before, train.model.parameters()))


@pytest.mark.slow
@pytest.mark.parametrize("name", FILES)
def test_original_mnist_file_loads_unchanged(name, tmp_path, monkeypatch, mnist_data_path):
    train = load(name, tmp_path, monkeypatch, shrink=False)
    expected = 50000 if "tutorial" not in name else TUTORIAL_VALUES["train_stop"]
    assert train.dataset.X.shape[0] == expected
    assert train.model.get_input_space().get_total_dimension() == 784
