"""Combining and splitting flat data specs, as composite costs and the monitor need.

A data spec is ``(space, source)``: a single space with a source name, or a
``CompositeSpace`` with a tuple of names. ``merge_data_specs`` unites several specs into
one non-redundant spec (identical pairs merged, NullSpace parts dropped) so each batch is
drawn once; ``select_from_flat`` picks one spec's part back out of a merged batch.
"""

from __future__ import annotations

from typing import Any

from pylearn2.space import CompositeSpace, NullSpace, Space
from pylearn2.utils.exc import ConfigError


def flatten_specs(specs: tuple[Space, Any]) -> list[tuple[Space, str]]:
    space, source = specs
    if isinstance(space, NullSpace):
        return []
    if isinstance(space, CompositeSpace):
        if not isinstance(source, (tuple, list)) or len(source) != len(space.components):
            raise ConfigError(f"Data specs mismatch: {space} with sources {source!r}.")
        pairs: list[tuple[Space, str]] = []
        for sub_space, sub_source in zip(space.components, source):
            pairs.extend(flatten_specs((sub_space, sub_source)))
        return pairs
    return [(space, source)]


def merge_data_specs(all_specs: list[tuple[Space, Any]]) -> tuple[Space, Any]:
    pairs: list[tuple[Space, str]] = []
    for specs in all_specs:
        for pair in flatten_specs(specs):
            clash = [p for p in pairs if p[1] == pair[1] and p[0] != pair[0]]
            if clash:
                raise ConfigError(
                    f"Source {pair[1]!r} is requested in two spaces ({clash[0][0]} and {pair[0]})."
                )
            if pair not in pairs:
                pairs.append(pair)
    if not pairs:
        return (NullSpace(), "")
    return (CompositeSpace([p[0] for p in pairs]), tuple(p[1] for p in pairs))


def select_from_flat(merged: tuple[Space, Any], data: Any, wanted: tuple[Space, Any]) -> Any:
    """From a batch laid out as ``merged`` (see :func:`merge_data_specs`), take ``wanted``."""
    merged_pairs = flatten_specs(merged)
    if not isinstance(merged[0], CompositeSpace):
        data = (data,)
    space, source = wanted
    if isinstance(space, NullSpace):
        return None
    if isinstance(space, CompositeSpace):
        return tuple(select_from_flat(merged, data if isinstance(merged[0], CompositeSpace)
                                      else data[0], (s, src))
                     for s, src in zip(space.components, source))
    return data[merged_pairs.index((space, source))]
