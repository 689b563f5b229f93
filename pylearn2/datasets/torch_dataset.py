"""A ``torch.utils.data.Dataset`` or ``DataLoader`` as a pylearn2 dataset.

``TorchDataset(dataset=...)`` reads every example once (``(features, target)`` pairs or
bare features, tensors, arrays or numbers) into a :class:`DenseDesignMatrix`, so every
pylearn2 iteration mode, the monitor, exact resume and data-parallel slicing work
unchanged. Integer targets become class labels (``y_labels``); features are flattened to
vectors, their per-example shape kept as ``example_shape``. A DataLoader is read batch by
batch (its own shuffling and workers apply while reading). The data must fit in memory.

In YAML a torch Dataset is any allowed class (``!obj:mypackage.MyDataset {...}`` with
``--allow mypackage``); a DataLoader is reached through :func:`data_loader`, which takes
only plain keyword arguments (no worker functions, samplers or collate code from the file).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.utils.exc import ConfigError

__all__ = ["TorchDataset", "data_loader"]


def data_loader(dataset: Any, batch_size: int = 1, shuffle: bool = False,
                drop_last: bool = False, seed: int | None = None) -> torch.utils.data.DataLoader:
    """A ``torch.utils.data.DataLoader`` built from plain arguments only (safe for YAML).

    Worker processes, samplers, collate functions and pinning are not reachable from a
    file; build such a loader in Python and pass it to :class:`TorchDataset` there.
    """
    if not isinstance(dataset, torch.utils.data.Dataset):
        raise ConfigError(f"data_loader: dataset must be a torch.utils.data.Dataset, got "
                          f"{type(dataset).__name__}.")
    generator = None
    if seed is not None:
        generator = torch.Generator()
        generator.manual_seed(int(seed))
    return torch.utils.data.DataLoader(dataset, batch_size=int(batch_size), shuffle=bool(shuffle),
                                       drop_last=bool(drop_last), generator=generator,
                                       num_workers=0)


def _as_array(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _split(item: Any) -> tuple[Any, Any]:
    if isinstance(item, (tuple, list)):
        if len(item) == 2:
            return item[0], item[1]
        if len(item) == 1:
            return item[0], None
        raise ConfigError(f"TorchDataset: examples must be (features, target) pairs or bare "
                          f"features; got a {type(item).__name__} of {len(item)} items.")
    if isinstance(item, dict):
        raise ConfigError("TorchDataset: examples that are dicts are not supported; return "
                          "(features, target) pairs.")
    return item, None


def _read(source: Any, max_examples: int | None) -> tuple[np.ndarray, np.ndarray | None, bool]:
    """(features, targets, batched) read from a Dataset (one example each) or a DataLoader."""
    batched = isinstance(source, torch.utils.data.DataLoader)
    features: list[np.ndarray] = []
    targets: list[np.ndarray] = []
    count = 0
    items: Iterable[Any] = source if batched else (source[i] for i in range(len(source)))
    for item in items:
        x, y = _split(item)
        x = _as_array(x)
        features.append(x if batched else x[None])
        if y is not None:
            y = _as_array(y)
            targets.append(y if batched else y[None])
        count += len(features[-1])
        if max_examples is not None and count >= max_examples:
            break
    if not features:
        raise ConfigError("TorchDataset: the dataset yielded no examples.")
    if targets and len(targets) != len(features):
        raise ConfigError("TorchDataset: some examples have targets and some do not.")
    X = np.concatenate(features)[:max_examples]
    y = np.concatenate(targets)[:max_examples] if targets else None
    return X, y, batched


class TorchDataset(DenseDesignMatrix):
    """The examples of a torch ``Dataset`` or ``DataLoader`` as a DenseDesignMatrix.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset or torch.utils.data.DataLoader
        Where the examples come from (a map-style Dataset, or any DataLoader).
    n_classes : int, optional
        Number of classes for integer targets (default: the largest label + 1).
    max_examples : int, optional
        Read at most this many examples.
    """

    def __init__(self, dataset: Any, n_classes: int | None = None,
                 max_examples: int | None = None) -> None:
        if not isinstance(dataset, (torch.utils.data.Dataset, torch.utils.data.DataLoader)):
            raise ConfigError(f"TorchDataset: dataset must be a torch.utils.data.Dataset or "
                              f"DataLoader, got {type(dataset).__name__}.")
        if isinstance(dataset, torch.utils.data.IterableDataset):
            dataset = torch.utils.data.DataLoader(dataset, batch_size=None)
            X, y, _ = _read_iterable(dataset, max_examples)
        else:
            if not isinstance(dataset, torch.utils.data.DataLoader) and \
                    not hasattr(dataset, "__len__"):
                raise ConfigError("TorchDataset: a map-style Dataset needs __len__.")
            X, y, _ = _read(dataset, max_examples)
        self.example_shape = tuple(X.shape[1:])
        X = X.reshape(len(X), -1)
        labels = None
        if y is not None and y.dtype.kind in "iub" and (y.ndim == 1 or y.shape[1:] == (1,)):
            y = y.reshape(-1, 1).astype(np.int64)
            labels = int(n_classes) if n_classes is not None else int(y.max()) + 1
        elif y is not None and y.ndim == 1:
            y = y[:, None]
        super().__init__(X=X.astype(np.float32) if X.dtype.kind != "f" else X, y=y,
                         y_labels=labels)


def _read_iterable(loader: Any, max_examples: int | None) -> tuple[np.ndarray, Any, bool]:
    features, targets = [], []
    for item in loader:
        x, y = _split(item)
        features.append(_as_array(x)[None])
        if y is not None:
            targets.append(_as_array(y)[None])
        if max_examples is not None and len(features) >= max_examples:
            break
    if not features:
        raise ConfigError("TorchDataset: the dataset yielded no examples.")
    return np.concatenate(features), (np.concatenate(targets) if targets else None), False
