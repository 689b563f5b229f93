"""A dict whose entries may also be reached through an alias."""

from __future__ import annotations

from typing import Any


class alias_dict(dict):  # noqa: N801 (the original's name)
    """``d[key, alias] = value`` stores ``value`` under ``key`` and makes ``d[alias]``
    (and ``alias in d``) refer to the same entry; plain keys work as in a dict. An alias
    may not be the name of another entry or another entry's alias."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self._alias_to_key: dict[Any, Any] = {}
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def _key(self, key_or_alias: Any) -> Any:
        return self._alias_to_key.get(key_or_alias, key_or_alias)

    def __getitem__(self, key_or_alias: Any) -> Any:
        return super().__getitem__(self._key(key_or_alias))

    def __contains__(self, key_or_alias: object) -> bool:
        return super().__contains__(self._key(key_or_alias))

    def __setitem__(self, keys: Any, value: Any) -> None:
        if isinstance(keys, tuple) and len(keys) == 2:
            key, alias = keys
            if alias is not None:
                if alias in self and self._key(alias) != key:
                    raise KeyError(f"alias {alias!r} already names another entry.")
                self._alias_to_key[alias] = key
        else:
            key = self._key(keys)
        super().__setitem__(key, value)

    def __delitem__(self, key_or_alias: Any) -> None:
        key = self._key(key_or_alias)
        super().__delitem__(key)
        self._alias_to_key = {a: k for a, k in self._alias_to_key.items() if k != key}

    def get(self, key_or_alias: Any, default: Any = None) -> Any:
        return self[key_or_alias] if key_or_alias in self else default


__all__ = ["alias_dict"]
