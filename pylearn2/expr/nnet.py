"""Expressions common to neural networks: softmax/sigmoid helpers, KL terms, F1.

The classic library recovered the pre-activation ``z`` of a sigmoid or softmax output
from the symbolic graph. Eager tensors carry no graph, so the functions that need
``z`` take it directly (``*_from_logits``) or, given probabilities, recover it with the
logit / log, which is exact away from saturation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from pylearn2.utils.exc import ConfigError


def softmax_numpy(x: np.ndarray) -> np.ndarray:
    """Row-wise softmax of a matrix (numpy, shifted by each row's max for stability)."""
    x = np.asarray(x)
    shifted = x - x.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def pseudoinverse_softmax_numpy(x: np.ndarray) -> np.ndarray:
    """A vector ``y`` with ``softmax(y) = x`` and ``y.mean() = 0`` (the log, centred)."""
    y = np.log(x)
    return y - y.mean()


def sigmoid_numpy(x: np.ndarray) -> np.ndarray:
    """Logistic sigmoid (numpy)."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x)))


def inverse_sigmoid_numpy(x: np.ndarray) -> np.ndarray:
    """Logit: the inverse of :func:`sigmoid_numpy`."""
    x = np.asarray(x)
    return np.log(x / (1.0 - x))


def arg_of_softmax(Y_hat: torch.Tensor) -> torch.Tensor:
    """Logits ``Z`` with ``softmax(Z) = Y_hat`` (row-wise log, centred per row)."""
    if Y_hat.ndim != 2:
        raise ConfigError(f"arg_of_softmax expects a matrix, got shape {tuple(Y_hat.shape)}.")
    Z = torch.log(Y_hat)
    return Z - Z.mean(dim=1, keepdim=True)


def arg_of_sigmoid(Y_hat: torch.Tensor) -> torch.Tensor:
    """Logits ``z`` with ``sigmoid(z) = Y_hat``."""
    return torch.logit(Y_hat)


def _check_targets(Y: torch.Tensor) -> None:
    if Y.numel() and (Y.min() < 0 or Y.max() > 1):
        raise ConfigError("Expected targets Y between 0 and 1; got values outside [0, 1].")


def elemwise_kl_from_logits(Y: torch.Tensor, Z: torch.Tensor) -> torch.Tensor:
    """Elementwise ``Y softplus(-Z) + (1 - Y) softplus(Z)``: the cross-entropy of
    sigmoid(Z) against Y (the KL divergence for binary Y)."""
    _check_targets(Y)
    return Y * F.softplus(-Z) + (1 - Y) * F.softplus(Z)


def elemwise_kl(Y: torch.Tensor, Y_hat: torch.Tensor) -> torch.Tensor:
    """:func:`elemwise_kl_from_logits` for sigmoid outputs ``Y_hat``."""
    return elemwise_kl_from_logits(Y, arg_of_sigmoid(Y_hat))


def kl(Y: torch.Tensor, Y_hat: torch.Tensor, batch_axis: int | Sequence[int]) -> torch.Tensor:
    """Mean over all axes except ``batch_axis`` of :func:`elemwise_kl`: one value per example."""
    total = elemwise_kl(Y, Y_hat)
    keep = {batch_axis % total.ndim} if isinstance(batch_axis, int) else \
        {a % total.ndim for a in batch_axis}
    reduce = [a for a in range(total.ndim) if a not in keep]
    return total.mean(dim=reduce) if reduce else total


def softmax_ratio(numer: torch.Tensor, denom: torch.Tensor) -> torch.Tensor:
    """``numer / denom`` for two softmax outputs, computed from their logits without
    forming the small probabilities."""
    numer_Z = arg_of_softmax(numer)
    denom_Z = arg_of_softmax(denom)
    numer_Z = numer_Z - numer_Z.max(dim=1, keepdim=True).values
    denom_Z = denom_Z - denom_Z.min(dim=1, keepdim=True).values
    new_num = torch.exp(numer_Z - denom_Z) * torch.exp(denom_Z).sum(dim=1, keepdim=True)
    new_den = torch.exp(numer_Z).sum(dim=1, keepdim=True)
    return new_num / new_den


def compute_precision(tp: torch.Tensor, fp: torch.Tensor) -> torch.Tensor:
    """``tp / max(1, tp + fp)``."""
    tp = torch.as_tensor(tp, dtype=torch.float64) if not isinstance(tp, torch.Tensor) else tp
    return tp / torch.clamp(tp + fp, min=1.0)


def compute_recall(y: torch.Tensor, tp: torch.Tensor) -> torch.Tensor:
    """``tp / max(1, sum(y))``."""
    return tp / torch.clamp(torch.as_tensor(y).sum(), min=1.0)


def compute_f1(precision: torch.Tensor, recall: torch.Tensor) -> torch.Tensor:
    """``2 p r / max(1, p + r)`` (the classic library's guarded F1)."""
    return 2.0 * precision * recall / torch.clamp(precision + recall, min=1.0)
