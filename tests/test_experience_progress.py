"""The progress display: epoch k/N, ETA, the monitor pass, headline channels first (on a
pseudo-terminal, from the command line and from Python)."""

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import textwrap

import pytest

from pylearn2.monitor import Monitor
from pylearn2.termination_criteria import And, EpochCounter, MonitorBased, Or
from pylearn2.utils.progress import epoch_summary, format_duration, last_epoch

JOB = """\
!obj:pylearn2.train.Train {
    dataset: &train !obj:pylearn2.datasets.digits.Digits { which_set: 'train', stop: 400 },
    model: !obj:pylearn2.models.mlp.MLP {
        nvis: 64,
        layers: [ !obj:pylearn2.models.mlp.Softmax { layer_name: 'y', n_classes: 10,
                                                     irange: 0.1 } ],
    },
    algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {
        learning_rate: 0.05, batch_size: 2,
        monitoring_dataset: { 'train': *train,
                              'valid': !obj:pylearn2.datasets.digits.Digits { which_set: 'valid' } },
        termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 3 },
    },
}
"""


def run_on_pty(argv, env):
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))  # 160 columns
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            proc.kill()
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(master)
    return proc.returncode, b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.slow
def test_progress_on_a_terminal(tmp_path):
    config = tmp_path / "job.yaml"
    config.write_text(JOB)
    env = {**os.environ, "PYLEARN2_PROGRESS": "auto"}
    status, out = run_on_pty([sys.executable, "-m", "pylearn2.scripts.cli", "train", str(config)],
                             env)
    assert status == 0, out
    frames = out.replace("\r", "\n")
    assert "epoch 1/3" in frames and "epoch 3/3" in frames
    assert "ETA " in frames  # from the second epoch on
    assert "batch/s" in frames and "/200" in frames  # the bar counts the epoch's 200 batches
    assert "monitoring" in frames and "monitoring valid" in frames  # the monitor pass's bar
    assert "last monitor: train_objective" in frames and "running objective " in frames
    lines = [line for line in frames.splitlines() if line.startswith("epoch 3/3:")]
    assert lines and lines[0].index("train_objective") < lines[0].index("valid_objective")


@pytest.mark.slow
def test_progress_from_python_without_logging(tmp_path):
    script = textwrap.dedent(f"""
        from pylearn2.config import yaml_parse
        yaml_parse.load(open({str(tmp_path / 'job.yaml')!r}).read()).main_loop()
    """)
    (tmp_path / "job.yaml").write_text(JOB)
    env = {**os.environ, "PYLEARN2_PROGRESS": "auto"}
    status, out = run_on_pty([sys.executable, "-c", script], env)
    assert status == 0, out
    frames = out.replace("\r", "\n")
    assert "epoch 2/3" in frames and "batch/s" in frames
    assert any(line.startswith("epoch 3/3: train_objective=") for line in frames.splitlines())


def _monitor_with(names):
    monitor = Monitor()
    for name in names:
        channel = monitor._channel(name)
        channel.val_record.append(0.5)
    return monitor


def test_summary_puts_headline_channels_first_and_drops_none():
    names = [f"{ds}_{kind}" for ds in ("valid", "test", "train", "zeta")
             for kind in ("y_misclass", "y_nll", "objective")] + ["learning_rate", "h0_norm"]
    line = epoch_summary(_monitor_with(names), 1.5, total_epochs=10)
    shown = [part.split("=")[0] for part in line.split(": ", 1)[1].rsplit(" (", 1)[0].split()]
    assert line.startswith("epoch 0/10: ") and line.endswith("(1.50 s)")
    assert shown[:3] == ["train_objective", "train_y_misclass", "train_y_nll"]
    assert shown[3:6] == ["valid_objective", "valid_y_misclass", "valid_y_nll"]
    assert shown[6:9] == ["test_objective", "test_y_misclass", "test_y_nll"]
    assert len(shown) == 12 and "learning_rate" not in shown


def test_epochs_known_from_the_criterion():
    assert last_epoch(EpochCounter(7)) == 7
    assert last_epoch(And([EpochCounter(9), EpochCounter(4)])) == 4
    assert last_epoch(And([MonitorBased(channel_name="x"), EpochCounter(5)])) == 5
    assert last_epoch(Or([MonitorBased(channel_name="x"), EpochCounter(5)])) is None
    assert last_epoch(Or([EpochCounter(2), EpochCounter(5)])) == 5
    assert last_epoch(None) is None
    assert [format_duration(s) for s in (4, 65, 3725)] == ["4 s", "1:05", "1:02:05"]


def _monitored_classifier():
    from pylearn2.costs.mlp import Default
    from tests.helpers import classification_data, classifier

    model = classifier()
    monitor = Monitor.get_monitor(model)
    monitor.setup({"valid": classification_data(n=20, seed=1)}, Default(), batch_size=5)
    return monitor


def test_monitor_pass_has_its_own_bar_per_dataset(monkeypatch, capsys):
    monkeypatch.setenv("PYLEARN2_PROGRESS", "1")
    monitor = _monitored_classifier()
    monitor()
    err = capsys.readouterr().err
    assert "monitoring valid" in err and "0/4 [" in err  # 20 examples in batches of 5
    assert monitor.channels["valid_objective"].val_record  # the bar does not change records


def test_monitor_pass_draws_nothing_without_a_display(monkeypatch, capsys):
    monkeypatch.setenv("PYLEARN2_PROGRESS", "0")
    _monitored_classifier()()
    assert capsys.readouterr().err == ""


def test_long_startup_work_gets_a_spinner_and_a_timed_log_line(monkeypatch, capsys, caplog):
    import logging
    import time

    from pylearn2.utils.progress import startup_status

    monkeypatch.setenv("PYLEARN2_PROGRESS", "1")
    with caplog.at_level(logging.INFO, logger="pylearn2"):
        with startup_status("loading data", after=0.05):
            time.sleep(0.6)
        with startup_status("quick work", after=0.5):
            pass
    assert "loading data" in capsys.readouterr().err  # the spinner was drawn
    messages = [r.getMessage() for r in caplog.records]
    assert "loading data took 1 s" in messages  # 0.6 s rounds to 1 s
    assert not any("quick work" in m for m in messages)
