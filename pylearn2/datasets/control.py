"""A switch that tells datasets whether to read their files (True) or to make random
stand-ins of the right shape (False), e.g. to check an experiment file quickly."""

from __future__ import annotations

_load_data: list[bool] = [True]


def push_load_data(setting: bool) -> None:
    """Set the switch; :func:`pop_load_data` restores the previous value."""
    _load_data.append(bool(setting))


def pop_load_data() -> None:
    if len(_load_data) == 1:
        raise RuntimeError("pop_load_data called more often than push_load_data.")
    _load_data.pop()


def get_load_data() -> bool:
    return _load_data[-1]


__all__ = ["get_load_data", "pop_load_data", "push_load_data"]
