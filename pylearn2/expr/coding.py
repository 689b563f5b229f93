"""Feature encodings."""

from __future__ import annotations

import torch


def triangle_code(X: torch.Tensor, centroids: torch.Tensor) -> torch.Tensor:
    """Coates et al.'s (AISTATS 2011) triangle activation: with ``Z[i, j]`` the distance
    from example ``i`` to centroid ``j`` (one centroid per row), returns
    ``max(0, mean_j Z[i, j] - Z[i, j])``."""
    sq_dists = (X.square().sum(dim=1, keepdim=True) + centroids.square().sum(dim=1)[None, :]
                - 2.0 * X @ centroids.T)
    Z = torch.sqrt(torch.clamp(sq_dists, min=0.0))
    return torch.clamp(Z.mean(dim=1, keepdim=True) - Z, min=0.0)
