"""Entropies."""

from __future__ import annotations

import torch


def _xlogx(x: torch.Tensor) -> torch.Tensor:
    """``x log x`` with the limit 0 at x = 0."""
    return torch.xlogy(x, x)


def entropy_binary_vector(P: torch.Tensor) -> torch.Tensor:
    """Entropy (nats) of each row's independent binary variables: ``P[i, j]`` is the
    probability that ``X[i, j] = 1``; returns one value per row."""
    return -(_xlogx(P) + _xlogx(1.0 - P)).sum(dim=1)
