"""Exceptions a user can cause, each carrying a message that says how to fix it.

The command-line tools print a :class:`Pylearn2Error` as one line (no traceback) and
exit with a non-zero status; everything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class Pylearn2Error(Exception):
    """An error caused by the user's input (file, argument, data), not by the library."""


class ConfigError(Pylearn2Error, ValueError):
    """A YAML experiment file or constructor argument is wrong."""


class EnvironmentVariableError(Pylearn2Error, ValueError):
    """A `${VAR}` reference names an environment variable that is not set."""


class NoDataPathError(EnvironmentVariableError):
    """`PYLEARN2_DATA_PATH` is needed but not set."""

    def __init__(self, extra: str = ""):
        msg = (
            "PYLEARN2_DATA_PATH is not set. Point it at the folder that holds your datasets, "
            "e.g. `export PYLEARN2_DATA_PATH=/path/to/data` (MNIST then lives in "
            "$PYLEARN2_DATA_PATH/mnist/)."
        )
        super().__init__(msg + (" " + extra if extra else ""))


class DataNotFoundError(Pylearn2Error, FileNotFoundError):
    """A dataset file is missing."""


class UnsafeObjectError(Pylearn2Error):
    """A file asked for a class or function outside the allowlist, or for pickled code."""


class ModelFileError(Pylearn2Error):
    """A model file or checkpoint is corrupt, truncated or of an unknown format."""


class DivergenceError(Pylearn2Error, FloatingPointError):
    """Training produced NaN or Inf parameters (usually a learning rate that is too high)."""


class ShapeError(Pylearn2Error, ValueError):
    """Data does not have the shape a space or model expects."""


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return ' Did you mean X?' for the closest candidate, or '' when none is close."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""
