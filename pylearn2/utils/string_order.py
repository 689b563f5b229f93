"""Sorting names the way people read them: 'h2' before 'h10'."""

from __future__ import annotations

import re


def number_aware_key(name: str) -> list:
    """Sort key that compares digit runs as numbers."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]
