"""The dry run (yaml-dryrun, train --check) reports each typical mistake with its YAML
location, all at once; train refuses (or warns) before training."""

import pytest

from pylearn2.scripts import cli

BASE = {
    "nvis": "64", "n_classes": "10", "lr": "0.1", "batch": "30",
    "monitoring": "{ 'train': *train, 'valid': !obj:pylearn2.datasets.digits.Digits "
                  "{ which_set: 'valid' } }",
    "criterion": "!obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 1 }",
    "overwrite": "True", "extensions": "[]",
}

TEMPLATE = """\
!obj:pylearn2.train.Train {{
    dataset: &train !obj:pylearn2.datasets.digits.Digits {{ which_set: 'train', stop: 200 }},
    model: !obj:pylearn2.models.mlp.MLP {{
        nvis: {nvis},
        layers: [
            !obj:pylearn2.models.mlp.RectifiedLinear {{ layer_name: 'h0', dim: 8, irange: 0.1 }},
            !obj:pylearn2.models.mlp.Softmax {{ layer_name: 'y', n_classes: {n_classes},
                                                irange: 0.1 }},
        ],
    }},
    algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {{
        learning_rate: {lr},
        batch_size: {batch},
        monitoring_dataset: {monitoring},
        termination_criterion: {criterion},
    }},
    extensions: {extensions},
    save_path: "${{PYLEARN2_TRAIN_DIR}}job.pkl",
    save_freq: 1,
    allow_overwrite: {overwrite},
}}
"""


def write(tmp_path, **changes):
    text = TEMPLATE.format(**{**BASE, **changes})
    path = tmp_path / "job.yaml"
    path.write_text(text)
    return path, text


def line_of(text, needle):
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def dryrun(path, capsys):
    status = cli.main(["yaml-dryrun", str(path)])
    return status, capsys.readouterr().out


MISTAKES = [  # (changes, text on the line at fault, argument named, words in the message)
    ({"nvis": "63"}, "nvis:", "nvis", "takes 63 input values"),
    ({"n_classes": "8"}, "n_classes:", "n_classes", "labels up to 9"),
    ({"lr": "-0.1"}, "learning_rate:", "learning_rate", "must be positive"),
    ({"batch": "0"}, "batch_size:", "batch_size", "must be positive"),
    ({"batch": "500"}, "batch_size:", "batch_size", "larger than the training dataset"),
    ({"monitoring": "[*train]"}, "monitoring_dataset:", "monitoring_dataset", "got a list"),
    ({"criterion": "!obj:pylearn2.termination_criteria.MonitorBased "
                   "{ channel_name: valid_y_misclas }"},
     "termination_criterion:", "channel_name", "Did you mean 'valid_y_misclass'"),
    ({"extensions": "[!obj:pylearn2.train_extensions.best_params.MonitorBasedSaveBest "
                    "{ channel_name: valid_objectiv, save_path: '${PYLEARN2_TRAIN_DIR}b.pkl' }]"},
     "extensions:", "channel_name", "Did you mean 'valid_objective'"),
]


@pytest.mark.parametrize("changes, needle, arg, words", MISTAKES,
                         ids=[next(iter(m[0])) + str(i) for i, m in enumerate(MISTAKES)])
def test_dry_run_reports_mistake_with_location(tmp_path, capsys, changes, needle, arg, words):
    path, text = write(tmp_path, **changes)
    status, out = dryrun(path, capsys)
    assert status == 2
    expected = f"{path}:{line_of(text, needle)} ({arg}): error:"
    lines = [line for line in out.splitlines() if expected in line]
    assert lines and words in lines[0], out
    assert not list(tmp_path.glob("*.pkl")) and not list(tmp_path.glob("*.csv"))


TRAIN_REFUSES = MISTAKES[:6]


@pytest.mark.parametrize("changes, needle, arg, words", TRAIN_REFUSES,
                         ids=[next(iter(m[0])) + str(i) for i, m in enumerate(TRAIN_REFUSES)])
def test_train_refuses_before_training(tmp_path, capsys, changes, needle, arg, words):
    path, text = write(tmp_path, **changes)
    assert cli.main(["train", "-q", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:{line_of(text, needle)} ({arg})" in err and words in err
    assert not list(tmp_path.glob("job*"))[1:]  # only the YAML itself


def test_correct_experiment_passes_and_writes_nothing(tmp_path, capsys):
    path, _ = write(tmp_path)
    status, out = dryrun(path, capsys)
    assert status == 0 and "no errors, 0 warning(s)" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job.yaml"]
    assert cli.main(["train", "-q", "--check", str(path)]) == 0


def test_every_problem_is_reported_at_once(tmp_path, capsys):
    path, _ = write(tmp_path, lr="-1", batch="500", overwrite="False",
                    criterion="!obj:pylearn2.termination_criteria.MonitorBased "
                              "{ channel_name: nope }")
    (tmp_path / "job.pkl").write_bytes(b"earlier run")
    status, out = dryrun(path, capsys)
    assert status == 2
    for words in ("allow_overwrite is False", "learning_rate must be positive",
                  "larger than the training dataset", "reads channel 'nope'"):
        assert words in out
    assert "6 error(s)" in out  # and the monitoring batch is larger than both monitored sets
    assert out.count("larger than the monitoring dataset") == 2


def test_allow_overwrite_false_refuses_before_any_training(tmp_path, capsys):
    path, text = write(tmp_path, overwrite="False", extensions=(
        "[!obj:pylearn2.train_extensions.best_params.MonitorBasedSaveBest "
        "{ channel_name: valid_objective, save_path: '${PYLEARN2_TRAIN_DIR}job_best.pkl' }]"))
    (tmp_path / "job_best.pkl").write_bytes(b"best of an earlier run")
    status, out = dryrun(path, capsys)
    assert status == 2 and f"{path}:{line_of(text, 'allow_overwrite')} (allow_overwrite)" in out
    assert cli.main(["train", "-q", str(path)]) == 2
    assert "job_best.pkl" in capsys.readouterr().err
    assert (tmp_path / "job_best.pkl").read_bytes() == b"best of an earlier run"
    assert not (tmp_path / "job.pkl").exists()


def test_missing_termination_criterion_is_warned(tmp_path, capsys):
    path, text = write(tmp_path, criterion="null")
    status, out = dryrun(path, capsys)
    assert status == 0
    assert f"{path}:{line_of(text, 'termination_criterion')} (termination_criterion): " \
           "warning: no termination_criterion" in out
    assert cli.main(["train", "-q", "--time-budget", "0", str(path)]) == 0
    err = capsys.readouterr().err  # warnings reach stderr even with -q
    assert "(termination_criterion): warning: no termination_criterion" in err


def test_plain_module_as_model_says_how_to_wrap(tmp_path, capsys):
    path = tmp_path / "job.yaml"
    path.write_text(_plain_module_yaml())
    status, out = dryrun(path, capsys)
    assert status == 2
    assert "plain torch.nn.Module (Linear)" in out and "TorchModule" in out
    assert cli.main(["train", "-q", str(path)]) == 2
    err = capsys.readouterr().err
    assert "wrap it" in err and "Traceback" not in err


def _plain_module_yaml():
    return """\
!obj:pylearn2.train.Train {
    dataset: !obj:pylearn2.datasets.digits.Digits { which_set: 'train', stop: 100 },
    model: !obj:torch.nn.Linear { in_features: 64, out_features: 10 },
    algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {
        learning_rate: 0.1, batch_size: 10,
        termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 1 },
    },
}
"""
