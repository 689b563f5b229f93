"""Skip a test when an optional dependency or the data directory is missing."""

from __future__ import annotations

import importlib.util
import os

import pytest

#: pytest's skip exception, under the name older tests import and raise.
SkipTest = pytest.skip.Exception


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def skip_if_no_module(module: str) -> None:
    """Skip the calling test unless ``module`` can be imported."""
    if not _has(module):
        pytest.skip(f"{module} is not installed")


scipy_works = _has("scipy")
sklearn_works = _has("sklearn")
h5py_works = _has("h5py")
matplotlib_works = _has("matplotlib")
PIL_works = _has("PIL")
zmq_works = _has("zmq")


def skip_if_no_data() -> None:
    """Skip unless PYLEARN2_DATA_PATH is set."""
    if "PYLEARN2_DATA_PATH" not in os.environ:
        pytest.skip("PYLEARN2_DATA_PATH is not set")


def skip_if_no_scipy() -> None:
    skip_if_no_module("scipy")


def skip_if_no_sklearn() -> None:
    skip_if_no_module("sklearn")


def skip_if_no_h5py() -> None:
    skip_if_no_module("h5py")


def skip_if_no_matplotlib() -> None:
    skip_if_no_module("matplotlib")


def skip_if_no_PIL() -> None:  # noqa: N802 - the classic spelling
    skip_if_no_module("PIL")


def skip_if_no_zmq() -> None:
    skip_if_no_module("zmq")


def skip_if_no_gpu() -> None:
    """Skip unless a CUDA device is available."""
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
