"""Sparse batches made dense (torch sparse tensors, scipy.sparse matrices or arrays)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


def to_dense(X: Any) -> torch.Tensor:
    """A dense torch batch from a torch sparse tensor, a scipy.sparse matrix or an array."""
    if isinstance(X, torch.Tensor):
        return X.to_dense() if X.is_sparse or X.layout != torch.strided else X
    if hasattr(X, "toarray"):
        return torch.as_tensor(X.toarray(), dtype=torch.float32)
    return torch.as_tensor(np.asarray(X), dtype=torch.float32)
