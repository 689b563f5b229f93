"""Training data kept on the compute device, batches gathered there.

On a GPU, copying every batch from host memory costs more than a small model's step. A
:class:`ResidentData` converts an in-memory DenseDesignMatrix to the cost's data specs
once (one sequential pass of the dataset's own iterator, so every conversion the dataset
applies is kept), moves the result to the device, and then serves each epoch by indexing
those tensors with the same subset iterator (mode, batch size, seeded RNG) the dataset's
iterator would use, so the batches and the RNG stream are exactly the dataset's own.

Used automatically on CUDA when the converted data fit ``PYLEARN2_DEVICE_DATA_MIB``
(default: a quarter of the device's memory); ``PYLEARN2_DEVICE_DATA_MIB=0`` turns it off.

An in-memory dataset that does not fit is served by a :class:`BatchPrefetcher` instead: a
background thread gathers the next batch (and puts its tensors in pinned memory, so the
copy to the GPU runs asynchronously) while the current one trains. The thread draws from
the dataset's own iterator in order, so the batches and the RNG stream are unchanged.
``PYLEARN2_PREFETCH=1`` forces it (also on CPU, where nothing is pinned), ``0`` turns it
off; by default it is used on CUDA only.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import torch

from pylearn2.utils.iteration import make_subset_iterator

BUDGET_VARIABLE = "PYLEARN2_DEVICE_DATA_MIB"
PREFETCH_VARIABLE = "PYLEARN2_PREFETCH"


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


def _in_memory(dataset: Any) -> bool:
    from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix

    return isinstance(dataset, DenseDesignMatrix) and getattr(dataset, "X", None) is not None


def prefetch_wanted(dataset: Any, device: torch.device) -> bool:
    """Whether batches of ``dataset`` come through a :class:`BatchPrefetcher`: for
    in-memory design matrices (their gathers draw no random numbers, so gathering ahead
    in another thread changes nothing), on CUDA, or wherever ``PYLEARN2_PREFETCH=1``."""
    chosen = os.environ.get(PREFETCH_VARIABLE, "").strip().lower()
    if chosen in ("0", "false", "no", "off"):
        return False
    return (chosen in ("1", "true", "yes", "on") or device.type == "cuda") and _in_memory(dataset)


_DONE = object()


class BatchPrefetcher:
    """The batches of ``batches`` gathered one ahead by a background thread.

    Parameters
    ----------
    batches : iterable of tuples of tensors
        One epoch of the dataset's iterator.
    pin : bool
        Put each batch's tensors in pinned (page-locked) host memory, so that
        ``tensor.to('cuda', non_blocking=True)`` copies asynchronously (needs CUDA).
    """

    def __init__(self, batches: Iterable[tuple[torch.Tensor, ...]], pin: bool) -> None:
        self.batches = batches
        self.pin = pin

    def _fill(self, ready: queue.Queue, stop: threading.Event) -> None:
        try:
            for batch in self.batches:
                if self.pin:
                    batch = tuple(t.pin_memory() for t in batch)
                while not stop.is_set():
                    try:
                        ready.put(batch, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ready.put(_DONE)
        except BaseException as error:  # handed to the training thread, raised there
            ready.put(error)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        ready: queue.Queue = queue.Queue(maxsize=1)
        stop = threading.Event()
        worker = threading.Thread(target=self._fill, args=(ready, stop), daemon=True,
                                  name="pylearn2-prefetch")
        worker.start()
        try:
            while True:
                item = ready.get()
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:  # also when the loop is left early: let the thread end
            stop.set()
            while worker.is_alive():
                try:
                    ready.get(timeout=0.1)
                except queue.Empty:
                    pass
            worker.join()


__all__ = ["ResidentData", "BatchPrefetcher", "prefetch_wanted", "device_budget_bytes",
           "BUDGET_VARIABLE", "PREFETCH_VARIABLE"]
