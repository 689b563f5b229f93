"""Opt-in ``torch.compile`` of a function, falling back to eager on the first failure.

:class:`CompiledOrEager` wraps a callable (for SGD: the cost's expression, whose autodiff
gives the gradients). The first call runs the compiled version; when compiling fails
(an operation the compiler does not support, a model with Python side effects, ...) it
logs one line naming the function and the reason, and every later call runs eager. A
failure after the first successful call is a real error and propagates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class CompiledOrEager:
    """``fn`` compiled with ``torch.compile`` (``options`` passed on), eager if that fails.

    Parameters
    ----------
    fn : callable
        The function to compile.
    what : str
        How the log line names it (e.g. ``'SoftmaxRegression cost'``).
    options : dict, optional
        Keyword arguments of ``torch.compile`` (``mode``, ``dynamic``, ...).
    """

    def __init__(self, fn: Callable[..., Any], what: str, **options: Any) -> None:
        import torch

        self.eager = fn
        self.what = what
        self.fallback_reason: str | None = None
        self._proven = False
        try:
            self._compiled: Callable[..., Any] | None = torch.compile(fn, **options)
        except Exception as error:  # e.g. no compiler backend on this platform
            self._fall_back(error)

    @property
    def compiled(self) -> bool:
        """Whether calls run the compiled function."""
        return self._compiled is not None

    def _fall_back(self, error: BaseException) -> None:
        self._compiled = None
        self.fallback_reason = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        log.warning("compile: %s cannot be compiled (%s); running it eager.", self.what,
                    self.fallback_reason)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._compiled is None:
            return self.eager(*args, **kwargs)
        if self._proven:
            return self._compiled(*args, **kwargs)
        try:
            result = self._compiled(*args, **kwargs)
        except Exception as error:
            self._fall_back(error)
            return self.eager(*args, **kwargs)
        self._proven = True
        return result


__all__ = ["CompiledOrEager"]
