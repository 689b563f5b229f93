"""Kill ``pylearn2 train`` with SIGKILL at random moments, saves included, then resume it
to the end (issue 12): the result must equal one uninterrupted run's, bit for bit.

The child process is the real command line (``pylearn2.scripts.cli train``), driven by a
tiny wrapper that pins torch to one thread and makes every ``os.fsync`` sleep, so each
atomic save holds its temporary file (``.<name>.tmp-*``) for a while and the parent can
kill it in the middle of writing the model file or the checkpoint. The kill moments come
from a seeded generator. After every kill the model file and the checkpoint must load;
at the end the weights, every monitor channel and the CSV log (row by row) must equal
the uninterrupted run's, and no temporary, backup or lock file may be left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from helpers import CSV_TIMING_COLUMNS, csv_rows_without_timing

from pylearn2.utils import serial

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.name != "posix", reason="SIGKILL and fcntl are POSIX")]

EPOCHS = 10
EXPERIMENT = f"""\
!obj:pylearn2.train.Train {{
    dataset: &train !obj:pylearn2.datasets.digits.Digits {{ which_set: 'train', stop: 200 }},
    model: !obj:pylearn2.models.mlp.MLP {{
        nvis: 64, seed: [7, 8, 9],
        layers: [
            !obj:pylearn2.models.mlp.Sigmoid {{ layer_name: 'h0', dim: 16, irange: 0.1 }},
            !obj:pylearn2.models.mlp.Softmax {{ layer_name: 'y', n_classes: 10, irange: 0.1 }},
        ],
    }},
    algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {{
        learning_rate: 0.1, batch_size: 20,
        learning_rule: !obj:pylearn2.training_algorithms.learning_rule.Momentum {{
            init_momentum: 0.5 }},
        monitoring_dataset: {{ 'train': *train,
            'valid': !obj:pylearn2.datasets.digits.Digits {{ which_set: 'valid' }} }},
        termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter {{
            max_epochs: {EPOCHS} }},
    }},
    save_path: "${{PYLEARN2_TRAIN_DIR}}run.pkl",
    save_freq: 1,
}}
"""

# the child: one torch thread, every fsync (temp file, then its folder) slowed by argv[1] s
DRIVER = """\
import os, sys, time
import torch
torch.set_num_threads(1)
delay = float(sys.argv[1])
real_fsync = os.fsync
def slow_fsync(fd):
    time.sleep(delay)
    real_fsync(fd)
os.fsync = slow_fsync
from pylearn2.scripts import cli
sys.exit(cli.main(["train", "-q", *sys.argv[2:]]))
"""
SAVE_DELAY = 0.12  # seconds per fsync: four per epoch (model, its folder, checkpoint, folder)


def _start(folder, resume, delay=SAVE_DELAY):
    args = [sys.executable, str(folder / "driver.py"), str(delay), str(folder / "exp.yaml")]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    return subprocess.Popen(args + (["--resume"] if resume else []), cwd=folder, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _temp_files(folder):
    return sorted(n for n in os.listdir(folder) if ".tmp-" in n)


def _holds_lock(folder, child):
    try:
        return (folder / "run.pkl.lock").read_text().startswith(f"pid {child.pid} ")
    except FileNotFoundError:
        return False


def _wait_for(condition, child, timeout=120.0):
    """Poll every 2 ms until ``condition()`` or the child ends; True if the condition held."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        if child.poll() is not None:
            return False
        time.sleep(0.002)
    raise AssertionError("the training process neither progressed nor ended in time")


def _job_folder(root, name):
    folder = root / name
    folder.mkdir()
    (folder / "exp.yaml").write_text(EXPERIMENT)
    (folder / "driver.py").write_text(DRIVER)
    return folder


def _finish(child):
    _, err = child.communicate(timeout=300)
    assert child.returncode == 0, err.decode(errors="replace")[-3000:]


def _channels(model):
    """Every channel's records but wall-clock ones (time_record, the timing channels)."""
    return {name: (list(ch.val_record), list(ch.batch_record), list(ch.example_record),
                   list(ch.epoch_record))
            for name, ch in model.monitor.channels.items() if name not in CSV_TIMING_COLUMNS}


def test_random_sigkills_mid_save_and_resume_give_the_uninterrupted_result(tmp_path):
    reference = _job_folder(tmp_path, "reference")
    _finish(_start(reference, resume=False, delay=0.0))
    expected = serial.load(str(reference / "run.pkl"))

    folder = _job_folder(tmp_path, "killed")
    model_file, checkpoint = folder / "run.pkl", folder / "run.pkl.ckpt"
    rng = np.random.default_rng(20261202)
    kills = mid_save = 0
    child = _start(folder, resume=False)
    for attempt in range(6):
        # first a checkpoint to resume from and this child past its set-up (holding the
        # lock), then the moment to kill
        if not _wait_for(lambda c=child: checkpoint.exists() and _holds_lock(folder, c), child):
            break
        if attempt % 2 == 0:  # in the middle of a save: the n-th temp file seen, then a bit
            for _ in range(int(rng.integers(1, 4))):
                _wait_for(lambda: not _temp_files(folder), child)
                if not _wait_for(lambda: _temp_files(folder), child):
                    break
            time.sleep(float(rng.uniform(0.0, SAVE_DELAY)))
        else:  # anywhere at all: training, monitoring, the CSV row, a save
            time.sleep(float(rng.uniform(0.0, 1.2)))
        if child.poll() is not None:
            break
        child.send_signal(signal.SIGKILL)
        child.wait()
        kills += 1
        mid_save += bool(_temp_files(folder))  # the kill left a half-written save behind
        # whatever the moment, the last good model file and checkpoint are intact
        if model_file.exists():
            assert serial.load(str(model_file)).monitor.get_epochs_seen() >= 1
        saved, state = serial.load_checkpoint(str(checkpoint))
        assert "algorithm" in state and saved.monitor.get_epochs_seen() >= 1
        child = _start(folder, resume=True)
    _finish(child)
    assert kills >= 4 and mid_save >= 2, (kills, mid_save)

    resumed = serial.load(str(model_file))
    assert resumed.monitor.get_epochs_seen() == EPOCHS
    expected_state, resumed_state = expected.state_dict(), resumed.state_dict()
    assert expected_state.keys() == resumed_state.keys()
    for name, value in expected_state.items():
        assert torch.equal(value, resumed_state[name]), name  # bit for bit
    assert _channels(resumed) == _channels(expected)
    rows = csv_rows_without_timing(folder / "run.csv")
    assert rows == csv_rows_without_timing(reference / "run.csv")
    assert [row[0] for row in rows] == ["epoch", *map(str, range(EPOCHS + 1))]
    leftovers = [n for n in os.listdir(folder)
                 if ".tmp-" in n or n.endswith((".bak", ".lock")) or n.startswith("run.1")]
    assert leftovers == []
