"""Dataset exceptions: a missing data path, and a dataset that is not installed."""

from pylearn2.utils.exc import (
    DataNotFoundError,
    NoDataPathError,  # noqa: F401 (same class, original path)
)


class NotInstalledError(DataNotFoundError):
    """A whole dataset appears not to be installed (tests skip on it; a damaged
    installation still fails loudly)."""


__all__ = ["NoDataPathError", "NotInstalledError"]
