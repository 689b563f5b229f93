"""Test configuration: one torch thread, so a busy neighbouring core slows nothing."""

import os
from pathlib import Path

import pytest
import torch

torch.set_num_threads(1)

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def _data_path() -> Path | None:
    env = os.environ.get("PYLEARN2_DATA_PATH")
    if env and (Path(env) / "mnist").is_dir():
        return Path(env)
    if (SHARED_DATA / "mnist").is_dir():
        return SHARED_DATA
    return None


@pytest.fixture
def mnist_data_path(monkeypatch):
    """Point PYLEARN2_DATA_PATH at real MNIST files, or skip when they are absent."""
    path = _data_path()
    if path is None:
        pytest.skip("MNIST files not found; set PYLEARN2_DATA_PATH to a folder with mnist/")
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(path))
    return path


def assert_same_training(straight, resumed, channels=None) -> None:
    """Two Train jobs ended with bit-identical parameters and equal channel records
    (``channels``: the names to compare; default every channel except timings)."""
    for (name, p), q in zip(straight.model.named_parameters(), resumed.model.parameters()):
        assert torch.equal(p, q), f"parameter {name} differs"
    monitor, other = straight.model.monitor.channels, resumed.model.monitor.channels
    for name in channels or [n for n in monitor if "seconds" not in n]:
        assert other[name].val_record == monitor[name].val_record, f"channel {name} differs"


@pytest.fixture
def check_resume(tmp_path):
    """``check_resume(make_job)`` trains ``make_job(path, epochs)`` straight through, and
    again in two runs (stopping after ``stop_at`` epochs, then resuming from the
    checkpoint), and asserts both end identically. Returns (straight, resumed)."""
    from pylearn2.termination_criteria import EpochCounter

    def check(make_job, epochs=4, stop_at=2, channels=None):
        straight = make_job(tmp_path / "straight.pkl", epochs)
        straight.main_loop()
        make_job(tmp_path / "resumed.pkl", stop_at).main_loop()
        resumed = make_job(tmp_path / "resumed.pkl", epochs)
        resumed.algorithm.termination_criterion = EpochCounter(epochs, new_epochs=False)
        resumed.main_loop(resume=True)
        assert resumed.model.monitor.get_epochs_seen() == epochs
        assert_same_training(straight, resumed, channels)
        return straight, resumed

    return check
