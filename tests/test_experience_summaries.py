"""summarize-model's layer table, units, _best models, CSV alignment, command names."""

import csv

import pytest

from pylearn2.scripts import cli
from pylearn2.scripts.summarize_model import format_seconds, layer_rows
from pylearn2.utils import serial

JOB = """\
!obj:pylearn2.train.Train {
    dataset: &train !obj:pylearn2.datasets.digits.Digits { which_set: 'train', stop: 150 },
    model: !obj:pylearn2.models.mlp.MLP {
        nvis: 64,
        layers: [
            !obj:pylearn2.models.mlp.RectifiedLinear { layer_name: 'h0', dim: 7, irange: 0.1 },
            !obj:pylearn2.models.mlp.Softmax { layer_name: 'y', n_classes: 10, irange: 0.1 },
        ],
    },
    algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {
        learning_rate: 0.05, batch_size: 10,
        monitoring_dataset: { 'train': *train },
        termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 3 },
    },
    extensions: [ !obj:pylearn2.train_extensions.best_params.MonitorBasedSaveBest {
        channel_name: train_objective, save_path: "${PYLEARN2_TRAIN_DIR}job_best.pkl" } ],
    save_path: "${PYLEARN2_TRAIN_DIR}job.pkl",
    save_freq: 1,
}
"""


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("summaries")
    (folder / "job.yaml").write_text(JOB)
    assert cli.main(["train", "-q", str(folder / "job.yaml")]) == 0
    return folder


def test_layer_table_names_types_spaces_and_parameters(trained, capsys):
    model = serial.load(str(trained / "job.pkl"))
    assert layer_rows(model) == [("h0", "RectifiedLinear", "Vector(64)", "Vector(7)", 64 * 7 + 7),
                                 ("y", "Softmax", "Vector(7)", "Vector(10)", 7 * 10 + 10)]
    assert cli.main(["summarize-model", str(trained / "job.pkl")]) == 0
    text = capsys.readouterr().out
    header, rule, first = text.splitlines()[:3]
    assert header.split() == ["layer", "type", "input", "output", "params"]
    assert set(rule.replace(" ", "")) == {"-"}
    assert first.split() == ["h0", "RectifiedLinear", "Vector(64)", "Vector(7)", "455"]
    assert "h0.W: shape (64, 7)" in text and "layers.0" not in text
    assert "time trained: " in text and text.split("time trained: ")[1].split("\n")[0][-1] == "s"
    assert "Training succeeded" in text


def test_best_model_is_not_called_unfinished(trained, capsys):
    assert cli.main(["summarize-model", str(trained / "job_best.pkl")]) == 0
    text = capsys.readouterr().out
    assert "Best model so far, saved during training after epoch" in text
    assert "not yet completed" not in text


def test_time_units():
    assert [format_seconds(s) for s in (13.0, 125.0, 3725.0)] == ["13.0 s", "2 min 05 s",
                                                                 "1 h 02 min"]


def test_print_monitor_patterns_and_seconds(trained, capsys):
    assert cli.main(["print-monitor", str(trained / "job.pkl"), "-c", "*misclass"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("time trained:") and lines[1].endswith(" s")
    assert [line.split(" : ")[0] for line in lines[2:]] == ["train_y_misclass"]


def test_csv_rows_hold_their_own_epochs_time(trained):
    with open(trained / "job.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2, 3]
    assert float(rows[0]["total_seconds_last_epoch"]) == 0.0
    for row in rows[1:]:  # an epoch's total includes its own training time
        assert float(row["total_seconds_last_epoch"]) >= float(row["training_seconds_this_epoch"]) > 0


def test_messages_name_the_command_that_was_run(tmp_path, capsys):
    assert cli.main(["train", str(tmp_path / "missing.yaml")]) == 2
    assert capsys.readouterr().err.startswith("pylearn2 train: error:")
    assert cli.main(["yaml-dryrun", str(tmp_path / "missing.yaml")]) == 2
    assert capsys.readouterr().err.startswith("pylearn2 yaml-dryrun: error:")
