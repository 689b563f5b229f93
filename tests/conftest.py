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
