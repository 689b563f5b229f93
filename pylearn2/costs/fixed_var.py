"""FixedVarDescr: what a cost needs held fixed for a batch, and how to merge two."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pylearn2.space import NullSpace
from pylearn2.utils.exc import ConfigError


class FixedVarDescrDataSpecsError(ConfigError, TypeError):
    """The data specs of FixedVarDescr objects being merged are not compatible."""


class FixedVarDescr:
    """Variables a cost keeps fixed during one batch's update (``fixed_vars``: name ->
    value), functions to call when a batch is loaded (``on_load_batch``: each called with
    the batch in ``data_specs``), and those data specs."""

    def __init__(self) -> None:
        self.fixed_vars: dict[str, Any] = {}
        self.on_load_batch: list[Callable[..., Any]] = []
        self.data_specs: tuple[Any, Any] = (NullSpace(), "")

    def load_batch(self, *batch: Any) -> None:
        """Call every ``on_load_batch`` function with the batch."""
        for fn in self.on_load_batch:
            fn(*batch)


def merge(left: FixedVarDescr, right: FixedVarDescr) -> FixedVarDescr:
    """One FixedVarDescr with both sets of variables and callbacks; the same name may
    not be fixed twice, and the data specs must agree (or one side needs none)."""
    clash = sorted(set(left.fixed_vars) & set(right.fixed_vars))
    if clash:
        raise ConfigError(f"merge: both FixedVarDescr objects fix {clash}.")
    out = FixedVarDescr()
    out.fixed_vars = {**left.fixed_vars, **right.fixed_vars}
    out.on_load_batch = list(left.on_load_batch) + list(right.on_load_batch)
    specs = [d for d in (left.data_specs, right.data_specs) if not isinstance(d[0], NullSpace)]
    if len(specs) == 2 and specs[0] != specs[1]:
        raise FixedVarDescrDataSpecsError(f"merge: the FixedVarDescr objects want different "
                                          f"data: {specs[0]} and {specs[1]}.")
    out.data_specs = specs[0] if specs else (NullSpace(), "")
    return out


__all__ = ["FixedVarDescr", "FixedVarDescrDataSpecsError", "merge"]
