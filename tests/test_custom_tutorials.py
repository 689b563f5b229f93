"""The custom layer, dataset and extension tutorials: their YAML files train as described."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pylearn2.config import yaml_parse
from pylearn2.utils import serial
from pylearn2.utils.allowlist import allowing

CUSTOM = Path(__file__).resolve().parents[1] / "examples" / "custom"


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(CUSTOM))

    def run_yaml(name, replace=()):
        text = (CUSTOM / name).read_text()
        for old, new in replace:
            assert old in text
            text = text.replace(old, new)
        (tmp_path / name).write_text(text)
        with allowing("my_parts"):
            job = yaml_parse.load_train_file(str(tmp_path / name))
            job.main_loop()
        return job

    return run_yaml


def test_custom_layer_trains_and_keeps_its_constraint(run, tmp_path):
    job = run("custom_layer.yaml", [("max_epochs: 5", "max_epochs: 2")])
    gain = job.model.layers[1]
    assert gain.has_constraints()  # overriding enforce_constraints is enough
    assert float(gain.g.max()) <= 2.0 and float(gain.g.min()) >= 0.0
    misclass = job.model.monitor.channels["valid_y_misclass"].val_record
    assert misclass[-1] < misclass[0]
    assert "valid_gain_gain_mean" in job.model.monitor.channels
    with allowing("my_parts"):
        loaded = serial.load(tmp_path / "custom_layer.pkl")
    assert np.array_equal(loaded.layers[1].g.detach().numpy(), gain.g.detach().numpy())


def test_custom_dataset_spirals_are_learnable(run):
    from my_parts import Spirals

    a, b = Spirals(n=50, seed=3), Spirals(n=50, seed=3)
    assert np.array_equal(a.X, b.X) and a.X.shape == (50, 2)
    assert sorted(np.unique(a.y)) == [0, 1]
    job = run("custom_dataset.yaml")
    misclass = job.model.monitor.channels["valid_y_misclass"].val_record
    assert misclass[0] > 0.3 and misclass[-1] < 0.25


def test_custom_extension_stops_and_writes_its_summary(run, tmp_path):
    job = run("custom_extension.yaml")
    summary = json.loads((tmp_path / "custom_extension.json").read_text())
    assert summary["stop_kind"] == "request" and job.stop_reason.kind == "request"
    assert summary["best"] < 0.08 and summary["epochs"] < 50
    per_epoch = -(-job.dataset.get_num_examples() // 50)
    assert summary["batches"] == summary["epochs"] * per_epoch  # on_batch_end every batch
    assert job.state_dict()["extensions"]["StopBelow"]["best"] == summary["best"]


def test_tutorial_files_exist_and_name_their_yaml():
    docs = Path(__file__).resolve().parents[1] / "docs" / "tutorials"
    for name in ("custom_layer", "custom_dataset", "custom_extension"):
        text = (docs / f"{name}.md").read_text()
        assert f"examples/custom/{name}.yaml" in text
