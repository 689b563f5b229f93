"""Files written on a YAML experiment's behalf go only under the output roots (issue 12):
the data folders, the output folder (PYLEARN2_OUTPUT_PATH, else the working directory),
the experiment file's folder and, for a run's extensions, its save_path's folder. The
same functions called from Python write anywhere."""

from __future__ import annotations

import os

import numpy as np
import pytest
from helpers import small_job

from pylearn2.config import yaml_parse
from pylearn2.utils import serial
from pylearn2.utils.exc import ConfigError

MODEL = "!obj:pylearn2.models.mlp.MLP {nvis: 2, layers: [!obj:pylearn2.models.mlp.Linear " \
        "{dim: 1, layer_name: out, irange: 0.1}]}"


@pytest.fixture
def folders(tmp_path, monkeypatch):
    """cwd = work/, data = data/, no PYLEARN2_OUTPUT_PATH / PYLEARN2_TRAIN_DIR."""
    for name in ("work", "data", "elsewhere"):
        (tmp_path / name).mkdir()
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path / "data"))
    monkeypatch.delenv("PYLEARN2_OUTPUT_PATH", raising=False)
    monkeypatch.delenv("PYLEARN2_TRAIN_DIR", raising=False)
    return tmp_path


def _save_from_yaml(path):
    return yaml_parse.load(f"!obj:pylearn2.utils.serial.save {{path: '{path}', model: {MODEL}}}",
                           source="exp.yaml")


def test_serial_save_from_yaml_writes_only_under_the_output_roots(folders, monkeypatch):
    outside = folders / "elsewhere" / "m.pkl"
    with pytest.raises(ConfigError) as info:
        _save_from_yaml(outside)
    message = str(info.value)
    assert message.startswith("exp.yaml:1")  # located at the call in the file
    assert f"would write '{outside}', outside the folders a YAML experiment may write to" \
        in message
    assert str(folders / "work") in message and str(folders / "data") in message
    assert "Set PYLEARN2_OUTPUT_PATH" in message
    assert os.listdir(folders / "elsewhere") == []  # not even a temporary file

    # a symlink inside the working directory that points outside does not get through
    os.symlink(folders / "elsewhere", folders / "work" / "link")
    with pytest.raises(ConfigError, match="outside the folders"):
        _save_from_yaml(folders / "work" / "link" / "m.pkl")
    assert os.listdir(folders / "elsewhere") == []

    for allowed in (folders / "work" / "sub" / "m.pkl", folders / "data" / "m.pkl"):
        _save_from_yaml(allowed)
        assert serial.load(str(allowed)).get_input_space().dim == 2

    # naming an output folder replaces the working directory as the output root
    monkeypatch.setenv("PYLEARN2_OUTPUT_PATH", str(folders / "elsewhere"))
    _save_from_yaml(outside)
    assert outside.exists()
    with pytest.raises(ConfigError, match="outside the folders"):
        _save_from_yaml(folders / "work" / "again.pkl")
    monkeypatch.setenv("PYLEARN2_TRAIN_DIR", str(folders / "work") + os.sep)
    _save_from_yaml(folders / "work" / "again.pkl")  # the experiment file's folder


def test_python_callers_are_not_restricted(folders):
    model = yaml_parse.load(MODEL)
    outside = folders / "elsewhere" / "m.pkl"
    serial.save(str(outside), model)  # after the YAML was built: no restriction
    assert serial.load(str(outside)).get_input_space().dim == 2


def test_other_writers_reachable_from_yaml_are_guarded(folders):
    zeros = "!obj:numpy.zeros {shape: [2, 2, 3], dtype: uint8}"
    calls = {
        "save_png": f"!obj:pylearn2.gui.patch_viewer.save_png {{picture: {zeros}, path: '%s'}}",
        "write_run_json": "!obj:pylearn2.utils.run_dir.write_run_json {folder: '%s', seed: 1, "
                          "seeds: {}}",
    }
    targets = {"save_png": folders / "elsewhere" / "p.png",
               "write_run_json": folders / "elsewhere"}
    for name, text in calls.items():
        with pytest.raises(ConfigError, match=rf"{name} \(called while building <string>\) "
                                              "would write"):
            yaml_parse.load(text % targets[name])
    assert os.listdir(folders / "elsewhere") == []
    yaml_parse.load(calls["save_png"] % (folders / "work" / "p.png"))
    assert (folders / "work" / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


BEST_JOB = """\
!obj:pylearn2.train.Train {
    dataset: &d !obj:pylearn2.datasets.dense_design_matrix.DenseDesignMatrix {
        X: !obj:numpy.ones {shape: [8, 2], dtype: float32},
        y: !obj:numpy.zeros {shape: [8, 1], dtype: float32} },
    model: %(model)s,
    algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {
        learning_rate: 0.01, batch_size: 4, monitoring_dataset: {valid: *d},
        termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter {max_epochs: 1}},
    save_path: '%(save)s', save_freq: 1,
    extensions: [!obj:pylearn2.train_extensions.best_params.MonitorBasedSaveBest {
        channel_name: valid_objective, save_path: '%(best)s'}],
}
"""


def test_a_yaml_experiments_extensions_write_under_the_roots_or_beside_save_path(folders):
    save = folders / "elsewhere" / "run" / "model.pkl"
    outside = folders / "elsewhere" / "best.pkl"
    job = yaml_parse.load(BEST_JOB % {"model": MODEL, "save": save, "best": outside})
    with pytest.raises(ConfigError) as info:
        job.main_loop()
    assert str(info.value).startswith(f"MonitorBasedSaveBest (in a YAML experiment) would "
                                      f"write '{outside}', outside the folders")
    assert not (folders / "elsewhere" / "run").exists()  # refused before any file or lock
    assert not (folders / "elsewhere" / "best.pkl.lock").exists()
    # the dry run reports it too
    from pylearn2.train_checks import check_experiment

    report = check_experiment(job, run=False)
    assert [p.message for p in report.errors] == [str(info.value)]

    beside = folders / "elsewhere" / "run" / "best" / "best.pkl"  # under save_path's folder
    yaml_parse.load(BEST_JOB % {"model": MODEL, "save": save, "best": beside}).main_loop()
    assert save.exists() and beside.exists()

    # built in Python, the same extension may write anywhere
    from pylearn2.train_extensions.best_params import MonitorBasedSaveBest

    small_job(folders / "work" / "py.pkl", epochs=1,
              extensions=[MonitorBasedSaveBest("valid_objective", save_path=str(outside))]
              ).main_loop()
    assert outside.exists()
    assert np.isfinite(serial.load(str(outside)).monitor.channels["valid_objective"]
                       .val_record[-1])


def test_dataset_cache_from_yaml_copies_only_under_the_output_roots(folders):
    source = folders / "data" / "set.npy"
    np.save(source, np.arange(3.0))
    doc = ("!obj:pylearn2.datasets.cache.LocalDatasetCache {cache_path: '%s'}")
    outside = yaml_parse.load(doc % (folders / "elsewhere" / "cache"), source="exp.yaml")
    from pylearn2.utils.serial.write_guard import building_yaml

    with building_yaml("exp.yaml"), pytest.raises(ConfigError, match="LocalDatasetCache"):
        outside.cache_file(str(source))
    assert os.listdir(folders / "elsewhere") == []
    inside = yaml_parse.load(doc % (folders / "work" / "cache"), source="exp.yaml")
    with building_yaml("exp.yaml"):
        local = inside.cache_file(str(source))
    np.testing.assert_array_equal(np.load(local), np.arange(3.0))
    # from Python the same call writes anywhere
    assert np.load(outside.cache_file(str(source)))[2] == 2.0


def test_contest_csv_cache_is_checked_while_building_yaml(folders):
    from pylearn2.datasets.icml_2013 import _save_atomic
    from pylearn2.utils.serial.write_guard import building_yaml

    with building_yaml("exp.yaml"), pytest.raises(ConfigError, match="contest CSV cache"):
        _save_atomic(str(folders / "elsewhere" / "x.npy"), np.zeros(2))
    assert os.listdir(folders / "elsewhere") == []
