"""Command-line overrides, --print-config, --seed, --run-dir and reruns that keep outputs."""

import json

import numpy as np
import pytest

from pylearn2.config import overrides as ov
from pylearn2.config import yaml_parse
from pylearn2.scripts import cli
from pylearn2.utils import serial
from pylearn2.utils.exc import ConfigError

JOB = """\
!obj:pylearn2.train.Train {
    dataset: &train !obj:pylearn2.datasets.digits.Digits { which_set: 'train', stop: 120 },
    model: !obj:pylearn2.models.mlp.MLP {
        nvis: 64,
        layers: [
            !obj:pylearn2.models.mlp.RectifiedLinear { layer_name: 'h0', dim: 6, irange: 0.1 },
            !obj:pylearn2.models.mlp.Softmax { layer_name: 'y', n_classes: 10, irange: 0.1 },
        ],
    },
    algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {
        learning_rate: 0.05, batch_size: 20,
        monitoring_dataset: { 'train': *train },
        termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 2 },
    },
    save_path: "${PYLEARN2_TRAIN_DIR}job.pkl",
    save_freq: 1,
}
"""


@pytest.fixture
def job(tmp_path):
    path = tmp_path / "job.yaml"
    path.write_text(JOB)
    return path


def graph():
    return yaml_parse.load(JOB, instantiate=False, source="job.yaml")


def test_overrides_reach_nested_arguments_and_list_items():
    g = ov.apply_overrides(graph(), ["algorithm.learning_rate=0.1", "model.layers[0].dim=256",
                                     "model.layers[-1].irange=0.5",
                                     "algorithm.termination_criterion.max_epochs=7"])
    model = g.kwargs["model"]
    assert g.kwargs["algorithm"].kwargs["learning_rate"] == 0.1
    assert model.kwargs["layers"][0].kwargs["dim"] == 256
    assert model.kwargs["layers"][1].kwargs["irange"] == 0.5
    assert g.kwargs["algorithm"].kwargs["termination_criterion"].kwargs["max_epochs"] == 7
    built, _ = ov.build(g, {"PYLEARN2_TRAIN_DIR": ""})
    assert built.model.layers[0].dim == 256 and built.algorithm.learning_rate == 0.1


def test_override_values_are_yaml_with_tags():
    g = ov.apply_overrides(graph(), [
        "model.layers[0]=!obj:pylearn2.models.mlp.Tanh {layer_name: t, dim: 3, irange: 0.1}",
        "algorithm.monitoring_dataset={}", "algorithm.batch_size=1e1"])
    built, _ = ov.build(g, {"PYLEARN2_TRAIN_DIR": ""})
    assert type(built.model.layers[0]).__name__ == "Tanh" and built.model.layers[0].dim == 3
    assert built.algorithm.batch_size == 10.0


def test_an_argument_the_file_left_at_its_default_can_be_added():
    g = ov.apply_overrides(graph(), ["algorithm.monitoring_batch_size=5"])
    assert g.kwargs["algorithm"].kwargs["monitoring_batch_size"] == 5


@pytest.mark.parametrize("override, words", [
    ("algorithm.learning_rat=0.1", "Did you mean 'learning_rate'?"),
    ("model.layer[0].dim=3", "Did you mean 'layers'?"),
    ("model.layers[2].dim=3", "has 2 items"),
    ("model.nvis.x=3", "is a int"),
    ("algorithm.learning_rate", "has no '='"),
    ("model..nvis=3", "not of the form"),
])
def test_unknown_paths_are_refused_with_a_hint(override, words):
    with pytest.raises(ConfigError) as err:
        ov.apply_overrides(graph(), [override])
    assert words in str(err.value)


def test_cli_overrides_typo_is_one_clear_line(job, capsys):
    assert cli.main(["train", str(job), "algorithm.learnin_rate=0.1"]) == 2
    err = capsys.readouterr().err
    assert "Did you mean 'learning_rate'" in err and "Traceback" not in err
    assert not (job.parent / "job.pkl").exists()


def test_print_config_shows_the_resolved_experiment(job, capsys):
    assert cli.main(["train", str(job), "--print-config", "model.layers[0].dim=9",
                     "--set", "algorithm.learning_rate=0.2"]) == 0
    text = capsys.readouterr().out
    assert "${" not in text and f"save_path: {job.parent}/job.pkl" in text
    assert "dim: 9" in text and "learning_rate: 0.2" in text
    rebuilt = yaml_parse.load(text)  # the printed text is itself a valid experiment
    assert rebuilt.model.layers[0].dim == 9 and rebuilt.algorithm.learning_rate == 0.2
    assert rebuilt.algorithm.monitoring_dataset["train"] is rebuilt.dataset  # anchors kept
    assert not (job.parent / "job.pkl").exists()


def test_same_seed_gives_identical_monitors_and_is_recorded(tmp_path, job):
    runs = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        out = tmp_path / name
        assert cli.main(["train", "-q", str(job), "--seed", str(seed),
                         f"save_path={out}/m.pkl", "algorithm.train_iteration_mode=shuffled_sequential"]) == 0
        model = serial.load(str(out / "m.pkl"))
        assert model.tag["seed"] == seed
        runs.append(model.monitor.channels["train_objective"].val_record)
        resolved = yaml_parse.load((out / "m.resolved.yaml").read_text())
        assert resolved.algorithm.seed == ov.derived_seed(seed, ("algorithm", "seed"))
        assert resolved.model.seed == ov.derived_seed(seed, ("model", "seed"))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    assert len(runs[0]) == 3


def test_seed_reaches_every_seeded_argument():
    g = graph()
    chosen = ov.seed_everything(g, 3)
    assert set(chosen) == {"model.seed", "algorithm.seed"}
    assert chosen == ov.seed_everything(graph(), 3)
    assert chosen != ov.seed_everything(graph(), 4)
    assert g.kwargs["model"].kwargs["seed"] == chosen["model.seed"]


def test_rerun_keeps_earlier_outputs_under_numbered_names(job, caplog):
    folder = job.parent
    assert cli.main(["train", "-q", str(job)]) == 0
    first = serial.load(str(folder / "job.pkl")).monitor.last("train_objective")
    first_csv = (folder / "job.csv").read_text()
    assert cli.main(["train", str(job), "algorithm.learning_rate=0.3"]) == 0
    kept = serial.load(str(folder / "job.1.pkl")).monitor.last("train_objective")
    assert kept == first and (folder / "job.1.csv").read_text() == first_csv
    assert (folder / "job.resolved.1.yaml").exists() and (folder / "job.pkl.1.ckpt").exists()
    assert serial.load(str(folder / "job.pkl")).monitor.last("train_objective") != first
    assert cli.main(["train", "-q", str(job)]) == 0
    assert (folder / "job.2.pkl").exists() and (folder / "job.2.csv").exists()


def test_rerun_from_python_keeps_earlier_outputs(tmp_path):
    from pylearn2.config import yaml_parse as yp

    text = JOB.replace("${PYLEARN2_TRAIN_DIR}", f"{tmp_path}/")
    for _ in range(2):
        yp.load(text).main_loop()
    assert (tmp_path / "job.pkl").exists() and (tmp_path / "job.1.pkl").exists()
    assert (tmp_path / "job.1.csv").exists()


def test_run_dir_holds_every_output_and_run_json(tmp_path, job):
    runs = tmp_path / "runs"
    assert cli.main(["train", "-q", str(job), "--run-dir", str(runs), "--seed", "11",
                     "algorithm.learning_rate=0.1"]) == 0
    (folder,) = list(runs.iterdir())
    assert folder.name.startswith("job-")
    names = sorted(p.name for p in folder.iterdir())
    assert {"job.pkl", "job.csv", "job.pkl.ckpt", "job.resolved.yaml", "run.json"} <= set(names)
    record = json.loads((folder / "run.json").read_text())
    assert record["seed"] == 11 and record["overrides"] == ["algorithm.learning_rate=0.1"]
    assert record["versions"]["torch"]
    assert record["command"][:2] == ["pylearn2", "train"] and "--seed" in record["command"]
    assert not (job.parent / "job.pkl").exists()
    monitor = serial.load(str(folder / "job.pkl")).monitor
    assert np.isfinite(monitor.last("train_objective"))
