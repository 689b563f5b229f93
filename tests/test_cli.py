"""The command-line tools, driven as a user would: exit codes and printed text."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pylearn2.scripts import cli

TINY = """\
!obj:pylearn2.train.Train {
    dataset: &train !obj:pylearn2.datasets.digits.Digits { which_set: 'train', stop: 200 },
    model: !obj:pylearn2.models.mlp.MLP {
        nvis: 64,
        layers: [
            !obj:pylearn2.models.mlp.Sigmoid { layer_name: 'h0', dim: 16, irange: 0.1 },
            !obj:pylearn2.models.mlp.Softmax { layer_name: 'y', n_classes: 10, irange: 0.1 },
        ],
    },
    algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {
        learning_rate: 0.1, batch_size: 20,
        monitoring_dataset: { 'train': *train,
                              'valid': !obj:pylearn2.datasets.digits.Digits { which_set: 'valid' } },
        termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 2 },
    },
    save_path: "${PYLEARN2_TRAIN_DIR}tiny.pkl",
    save_freq: 1,
}
"""


@pytest.fixture
def trained(tmp_path):
    config = tmp_path / "tiny.yaml"
    config.write_text(TINY)
    assert cli.main(["train", "-q", str(config)]) == 0
    return tmp_path / "tiny.pkl"


def test_train_then_print_monitor(trained, capsys):
    capsys.readouterr()
    assert cli.main(["print-monitor", str(trained)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "epochs seen:  2"
    assert out[1].startswith("time trained:")
    names = [line.split(" : ")[0] for line in out[2:]]
    for expected in ("learning_rate", "train_objective", "train_y_misclass", "valid_y_nll",
                     "h0_col_norms_max", "training_seconds_this_epoch"):
        assert expected in names
    assert all(len(line.split(" : ")) == 2 for line in out[2:])
    # a parameter channel is recorded once; its per-dataset name still resolves
    assert "valid_h0_col_norms_max" not in names
    assert cli.main(["print-monitor", str(trained), "-c", "valid_h0_col_norms_max"]) == 0
    (line,) = capsys.readouterr().out.splitlines()[2:]
    assert line.split(" : ")[0] == "valid_h0_col_norms_max"
    assert line.split(" : ")[1] == dict(ln.split(" : ") for ln in out[2:])["h0_col_norms_max"]


def test_print_monitor_reads_an_earlier_stage(trained, tmp_path, capsys):
    from pylearn2.monitor import push_monitor
    from pylearn2.utils import serial

    model = serial.load(trained)
    stage0_objective = model.monitor.last("train_objective")
    push_monitor(model, "monitor_stage_0")
    serial.save(tmp_path / "continued.pkl", model)
    capsys.readouterr()
    assert cli.main(["print-monitor", "--monitor", "monitor_stage_0",
                     str(tmp_path / "continued.pkl")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "epochs seen:  2"
    assert f"train_objective : {stage0_objective:.10g}" in out
    assert cli.main(["print-monitor", "-m", "monitor_stage_1",
                     str(tmp_path / "continued.pkl")]) == 2
    assert "no monitor called 'monitor_stage_1'; the file keeps monitor_stage_0" in \
        capsys.readouterr().err


def test_print_monitor_several_models_prints_paths(trained, capsys):
    capsys.readouterr()
    assert cli.main(["print-monitor", str(trained), str(trained)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out.count(str(trained)) == 2


@pytest.mark.parametrize("content,fragment", [
    ("!obj:pylearn2.train.Train {dataset: 1,\n", "YAML syntax error"),
    ("!obj:pylearn2.models.mlp.MLPP {}\n", "Did you mean 'MLP'"),
    ("!obj:os.system {command: 'echo hi'}\n", "allowlist"),
    ("!obj:pylearn2.space.VectorSpace {dim: 3}\n", "not a Train"),
])
def test_train_errors_are_one_clear_line(tmp_path, capsys, content, fragment):
    config = tmp_path / "bad.yaml"
    config.write_text(content)
    assert cli.main(["train", str(config)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0] and str(config) in err[0]


def test_bad_paths_and_non_model_files(tmp_path, capsys):
    assert cli.main(["train", str(tmp_path / "missing.yaml")]) == 2
    junk = tmp_path / "junk.pkl"
    junk.write_text("not a model")
    assert cli.main(["print-monitor", str(junk)]) == 2
    assert cli.main(["print-monitor", str(tmp_path / "none.pkl")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and "not a pylearn2 model file" in err[1] and "none.pkl" in err[2]
    assert cli.main(["trian"]) == 2
    assert "Did you mean 'train'" in capsys.readouterr().err


def test_help_documents_every_flag(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    text = capsys.readouterr().out
    for flag in ("--time-budget", "--resume", "--verbose-logging", "--quiet", "--device", "--allow"):
        assert flag in text


@pytest.mark.slow  # subprocesses
def test_console_scripts_run_as_processes(trained):
    bindir = Path(sys.executable).parent
    for name in ("print_monitor.py", "pylearn2-print-monitor"):
        script = bindir / name
        if not script.exists():
            pytest.skip("console scripts are not installed in this environment")
        result = subprocess.run([str(script), str(trained)], capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0 and "epochs seen:  2" in result.stdout
    result = subprocess.run([str(bindir / "pylearn2"), "print-monitor", "/nonexistent.pkl"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stderr.count("\n") == 1


@pytest.mark.slow  # subprocesses
def test_train_progress_lines_when_not_a_terminal(tmp_path):
    config = tmp_path / "tiny.yaml"
    config.write_text(textwrap.dedent(TINY))
    result = subprocess.run([sys.executable, "-m", "pylearn2.scripts.cli", "train", str(config)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("epoch ")]
    assert [line.split(":")[0] for line in lines] == ["epoch 1/2", "epoch 2/2"]
    assert "valid_y_misclass=" in lines[-1]


def test_top_level_list_runs_phases_in_order(tmp_path, monkeypatch):
    monkeypatch.delenv("PYLEARN2_TRAIN_PHASE", raising=False)
    body = TINY.replace('save_path: "${PYLEARN2_TRAIN_DIR}tiny.pkl",\n', "")
    config = tmp_path / "two.yaml"
    second = body.replace("&train", "&train2").replace("*train", "*train2")
    config.write_text("- " + body.replace("\n", "\n  ") + "\n- " + second.replace("\n", "\n  "))
    assert cli.main(["train", "-q", str(config)]) == 0
    assert (tmp_path / "two.phase1.pkl").exists() and (tmp_path / "two.phase2.pkl").exists()
