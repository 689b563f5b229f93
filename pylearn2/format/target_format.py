"""Integer labels to one-hot codes, as numpy arrays, scipy sparse matrices or torch tensors.

Modes for a batch of label lists (``targets`` of shape (batch, k)):

- ``'stack'``: shape (batch, k, max_labels), one one-hot row per label;
- ``'concatenate'``: shape (batch, k * max_labels), the k one-hot rows side by side;
- ``'merge'``: shape (batch, max_labels), the indicator of the labels present.

A 1-d ``targets`` is one row of labels (batch 1), and the numpy path squeezes singleton
axes, as the classic formatter did: a 1-d input of n labels gives (n, max_labels) in
'stack' mode, (n * max_labels,) in 'concatenate' and (max_labels,) in 'merge'.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from pylearn2.utils.exc import ConfigError

MODES = ("concatenate", "stack", "merge")


class OneHotFormatter:
    """One-hot encoder for labels ``0 .. max_labels - 1``.

    Parameters
    ----------
    max_labels : the number of classes; every label must be below it.
    dtype : dtype of the codes (default float32).
    """

    def __init__(self, max_labels: int, dtype: Any = None) -> None:
        if isinstance(max_labels, bool) or not isinstance(max_labels, (int, np.integer)) \
                or max_labels < 1:
            raise ConfigError(f"OneHotFormatter got bad max_labels argument {max_labels!r}: "
                              "give the number of classes (a positive int).")
        self._max_labels = int(max_labels)
        try:
            self._dtype = np.dtype("float32" if dtype is None else dtype)
        except TypeError as exc:
            raise ConfigError(f"OneHotFormatter got bad dtype identifier {dtype!r}.") from exc

    @property
    def max_labels(self) -> int:
        return self._max_labels

    def _check(self, mode: str, sparse: bool) -> None:
        if mode not in MODES:
            raise ConfigError(f"OneHotFormatter got bad mode {mode!r}; choose one of {MODES}.")
        if mode == "stack" and sparse:
            raise ConfigError("Sparse matrices are 2-d, so they cannot be stacked: use "
                              "mode 'concatenate' or 'merge' with sparse=True.")

    def format(self, targets: Any, mode: str = "stack", sparse: bool = False) -> Any:
        """One-hot codes of an integer numpy array (see the module docstring)."""
        self._check(mode, sparse)
        targets = np.asarray(targets)
        if not np.issubdtype(targets.dtype, np.integer):
            raise ConfigError(f"OneHotFormatter needs integer targets, got dtype {targets.dtype}.")
        if targets.size and (targets.min() < 0 or targets.max() >= self._max_labels):
            raise ConfigError(f"Labels must lie in 0..{self._max_labels - 1}; got values "
                              f"{targets.min()}..{targets.max()}.")
        targets = np.atleast_2d(targets)
        batch, k = targets.shape
        rows = np.repeat(np.arange(batch), k)
        if sparse:
            import scipy.sparse

            if mode == "concatenate":
                cols = targets.ravel() + np.tile(np.arange(k) * self._max_labels, batch)
                shape = (batch, k * self._max_labels)
            else:
                cols, shape = targets.ravel(), (batch, self._max_labels)
            data = np.ones(len(rows), dtype=self._dtype)
            out = scipy.sparse.csr_matrix((data, (rows, cols)), shape=shape)
            out.sum_duplicates()
            if mode == "merge":
                out.data[:] = 1
            return out
        one_hot = np.zeros((batch, k, self._max_labels), dtype=self._dtype)
        one_hot[rows, np.tile(np.arange(k), batch), targets.ravel()] = 1
        if mode == "concatenate":
            one_hot = one_hot.reshape(batch, k * self._max_labels)
        elif mode == "merge":
            one_hot = (one_hot.sum(axis=1) > 0).astype(self._dtype)
        return one_hot.squeeze()

    def torch_expr(self, targets: torch.Tensor, mode: str = "stack") -> torch.Tensor:
        """One-hot codes of an integer tensor (1-d or 2-d), on its device; a 1-d input
        drops the leading batch axis of k = 1 the way the classic symbolic version did."""
        self._check(mode, sparse=False)
        if targets.dtype.is_floating_point or targets.dtype == torch.bool:
            raise ConfigError(f"OneHotFormatter needs integer targets, got {targets.dtype}.")
        if targets.ndim not in (1, 2):
            raise ConfigError(f"targets must be 1- or 2-dimensional, got {targets.ndim} dims.")
        squeeze = targets.ndim == 1
        t2 = targets[None, :] if squeeze else targets
        dtype = getattr(torch, self._dtype.name)
        one_hot = torch.nn.functional.one_hot(t2.long(), self._max_labels).to(dtype)
        if mode == "concatenate":
            one_hot = one_hot.reshape(t2.shape[0], -1)
        elif mode == "merge":
            one_hot = (one_hot.sum(dim=1) > 0).to(dtype)
        return one_hot[0] if squeeze else one_hot

    theano_expr = torch_expr  # the classic name


def convert_to_one_hot(integer_vector: Any, dtype: Any = None, max_labels: int | None = None,
                       mode: str = "stack", sparse: bool = False) -> Any:
    """One-hot codes of ``integer_vector`` (list or array, at most 2-d); ``max_labels``
    defaults to the largest label + 1."""
    integer_vector = np.asarray(integer_vector)
    if integer_vector.ndim > 2:
        raise ConfigError(f"convert_to_one_hot takes at most 2-d labels, got shape "
                          f"{integer_vector.shape}.")
    if integer_vector.size and integer_vector.min() < 0:
        raise ConfigError("convert_to_one_hot: labels must be >= 0.")
    if max_labels is None:
        max_labels = int(integer_vector.max()) + 1
    return OneHotFormatter(max_labels, dtype=dtype).format(integer_vector, mode=mode,
                                                           sparse=sparse)


def compressed_one_hot(integer_vector: Any, dtype: Any = None,
                       simplify_binary: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """One-hot codes over the labels that actually occur, and those labels (sorted).

    Returns ``(one_hot, uniq)`` with column ``j`` standing for label ``uniq[j]``. With
    exactly two labels and ``simplify_binary``, only the second column is kept
    (1 for ``uniq[1]``, 0 for ``uniq[0]``).
    """
    integer_vector = np.asarray(integer_vector)
    uniq, codes = np.unique(integer_vector, return_inverse=True)
    codes = codes.reshape(integer_vector.shape)
    one_hot = convert_to_one_hot(codes, dtype=dtype, max_labels=len(uniq))
    if simplify_binary and len(uniq) == 2:
        one_hot = one_hot[..., 1:]
    return one_hot, uniq
