"""Training data kept on the compute device, batches gathered there.

On a GPU, copying every batch from host memory costs more than a small model's step. A
:class:`ResidentData` converts an in-memory DenseDesignMatrix to the cost's data specs
once (one sequential pass of the dataset's own iterator, so every conversion the dataset
applies is kept), moves the result to the device, and then serves each epoch by indexing
those tensors with the same subset iterator (mode, batch size, seeded RNG) the dataset's
iterator would use, so the batches and the RNG stream are exactly the dataset's own.

Used automatically on CUDA when the converted data fit ``PYLEARN2_DEVICE_DATA_MIB``
(default: a quarter of the device's memory); ``PYLEARN2_DEVICE_DATA_MIB=0`` turns it off.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import torch

from pylearn2.utils.iteration import make_subset_iterator

BUDGET_VARIABLE = "PYLEARN2_DEVICE_DATA_MIB"


def device_budget_bytes(device: torch.device) -> int:
    """Bytes of data that may live on ``device`` (0 on CPU unless the variable says)."""
    chosen = os.environ.get(BUDGET_VARIABLE)
    if chosen is not None:
        return int(float(chosen) * 2**20)
    if device.type != "cuda":
        return 0
    return torch.cuda.get_device_properties(device).total_memory // 4


class ResidentData:
    """The dataset in ``data_specs`` as tensors on ``device``; :meth:`batches` iterates them.

    Parameters
    ----------
    dataset : DenseDesignMatrix
        An in-memory dataset (``get_num_examples()`` known).
    data_specs : tuple
        The cost's ``(space, source)``.
    device, dtype : torch.device, torch.dtype
        Where the tensors live and the floating dtype they take (the model's).
    """

    def __init__(self, dataset: Any, data_specs: Any, device: torch.device,
                 dtype: torch.dtype | None) -> None:
        self.size = int(dataset.get_num_examples())
        whole = dataset.iterator(mode="sequential", batch_size=self.size, data_specs=data_specs,
                                 return_tuple=True)
        tensors = next(iter(whole))
        self.tensors = tuple(
            t.to(device, dtype if (dtype is not None and t.is_floating_point()) else t.dtype)
            for t in tensors)
        self.device = device

    @staticmethod
    def fits(dataset: Any, device: torch.device) -> bool:
        """Whether ``dataset`` is an in-memory design matrix within the device budget."""
        from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix

        if not isinstance(dataset, DenseDesignMatrix) or getattr(dataset, "X", None) is None:
            return False
        nbytes = dataset.X.nbytes + (dataset.y.nbytes if dataset.y is not None else 0)
        return 0 < nbytes * 2 <= device_budget_bytes(device)  # room for one-hot targets etc.

    def batches(self, mode: str, batch_size: int, num_batches: int | None,
                rng: Any) -> Iterator[tuple[torch.Tensor, ...]]:
        """One epoch, batch for batch as ``dataset.iterator`` with the same arguments."""
        subset = make_subset_iterator(mode, self.size, batch_size, num_batches, rng)
        for index in subset:
            if isinstance(index, torch.Tensor):
                index = index.to(self.device, non_blocking=True)
            elif not isinstance(index, slice):
                index = torch.as_tensor(index, device=self.device)
            yield tuple(t[index] for t in self.tensors)


__all__ = ["ResidentData", "device_budget_bytes", "BUDGET_VARIABLE"]
