"""String helpers for configuration files: ``${VAR}`` substitution."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from pylearn2.utils.exc import (
    ConfigError,
    EnvironmentVariableError,
    NoDataPathError,
    did_you_mean,
)

_NAME = re.compile(r"[^${}\s]+")

# Variables with a known meaning get a specific hint when they are missing.
_HINTS = {
    "PYLEARN2_VIEWER_COMMAND": "it names the image viewer used to show pictures, e.g. "
                               "`export PYLEARN2_VIEWER_COMMAND='eog --new-instance'`",
}


def preprocess(string: str, environ: Mapping[str, str] | None = None) -> str:
    """Replace every ``${VAR}`` in ``string``, looking in ``environ`` first, then os.environ.

    There is no escape for ``${``; ``~`` is not expanded.
    """
    pieces = string.split("${")
    out = [pieces[0]]
    for piece in pieces[1:]:
        name, brace, rest = piece.partition("}")
        if not brace:
            raise ConfigError(f"Open ${{ not followed by }} before the end of the string or the "
                              f"next ${{ in {string!r}; write ${{NAME}}.")
        if not _NAME.fullmatch(name):
            raise ConfigError(f"${{{name}}} in {string!r} is not a variable name; write "
                              "${NAME} with no spaces.")
        out.append(lookup(name, environ))
        out.append(rest)
    return "".join(out)


def lookup(name: str, environ: Mapping[str, str] | None = None) -> str:
    """The value of variable ``name`` from ``environ`` or os.environ, or a clear error."""
    if environ is not None and name in environ:
        return str(environ[name])
    if name in os.environ:
        return os.environ[name]
    if name == "PYLEARN2_DATA_PATH":
        raise NoDataPathError()
    if name in _HINTS:
        raise EnvironmentVariableError(f"Environment variable {name} is not set: {_HINTS[name]}.")
    known = set(os.environ) | set(environ or ())
    raise EnvironmentVariableError(
        f"Environment variable {name!r} is not set.{did_you_mean(name, known)} "
        f"Set it (export {name}=...) or pass it in environ."
    )


def first_data_path(why: str) -> str:
    """The first folder of ``PYLEARN2_DATA_PATH`` (user-expanded); a NoDataPathError
    whose message starts with ``why`` (what lives there) when it is unset or empty."""
    root = os.environ.get("PYLEARN2_DATA_PATH", "").split(os.pathsep)[0].strip()
    if not root:
        raise NoDataPathError(why)
    return os.path.expanduser(root)
