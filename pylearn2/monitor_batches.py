"""The monitor's per-batch machinery: a batch's channels, and their running sums.

:class:`BatchChannels` evaluates every producer of one monitoring dataset on a batch,
under one :func:`~pylearn2.utils.forward_memo.batch_memo` so the network runs once, and
returns the channel names and values (one float64 vector). With ``compile=True`` (SGD's
``compile: true`` sets it) that whole per-batch function (forward pass, every channel,
the stacking) is compiled with ``torch.compile``, so the dozens of small reductions of a
batch's channels run as a few fused kernels; a producer that cannot be compiled runs
eager, with one log line saying why. :class:`ChannelSums` keeps the example-weighted sums
on the device, read back once per dataset.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from pylearn2.space import CompositeSpace, Space
from pylearn2.utils.compiled import CompiledOrEager
from pylearn2.utils.data_specs_util import flatten_specs, select_from_flat
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.forward_memo import batch_memo, compiled_memo

Producer = Callable[[Any], dict[str, torch.Tensor]]


class BatchChannels:
    """Every channel of one monitoring dataset for a batch, as ``(names, vector)``.

    Parameters
    ----------
    producers : list of (data_specs, producer, prefix)
        The dataset's producers, as the monitor registered them.
    merged : (space, source)
        The data specs the dataset's iterator yields (all producers' specs merged).
    compile : bool
        Compile the per-batch function with ``torch.compile`` (eager if it cannot be).
    what : str
        How a compile fallback's log line names the function.
    on_cpu : bool
        Whether the batch lives on the CPU (the compiled graph then runs its float32
        matrix products through oneDNN, as SGD's compiled step does).
    """

    def __init__(self, producers: list[tuple[tuple[Space, Any], Producer, str]],
                 merged: tuple[Space, Any], compile: bool = False, what: str = "monitor",
                 on_cpu: bool = True) -> None:
        self.producers = producers
        self.layouts = [layout_of(merged, specs) for specs, _, _ in producers]
        self.compile = compile
        self.names: list[str] = []
        self._name_tuple: tuple[str, ...] = ()
        self._compiled: CompiledOrEager | None = None
        if compile:
            self._compiled = CompiledOrEager(self._vector, f"the monitor pass of {what}",
                                             cpu_matmuls=on_cpu)

    def _producer_values(self, batch: tuple) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for layout, (_, producer, prefix) in zip(self.layouts, self.producers):
            for name, value in producer(fill(layout, batch)).items():
                values[prefix + name] = value
        return values

    def _vector(self, batch: tuple) -> tuple[tuple[str, ...], torch.Tensor]:
        with compiled_memo():  # the layers' outputs computed once in the graph
            return _named_vector(self._producer_values(batch))

    def __call__(self, batch: tuple) -> tuple[list[str], torch.Tensor]:
        """``(names, float64 vector)`` of the batch's channels. Compiled, the names come
        out of the compiled function itself, so the producers run once per batch (random
        channels such as Dropout's objective draw what they would eager, and a resumed
        run computes what an uninterrupted one does)."""
        if self._compiled is None:
            with batch_memo():
                names, vector = _named_vector(self._producer_values(batch))
        else:
            names, vector = self._compiled(batch)
        if names != self._name_tuple:  # the first batch, or producers whose names changed
            self._name_tuple, self.names = names, list(names)
        return self.names, vector


def _named_vector(values: dict[str, Any]) -> tuple[tuple[str, ...], torch.Tensor]:
    """The names of ``values`` and their values stacked as one float64 vector (plain
    numbers become tensors on the device of the others)."""
    tensors = [v for v in values.values() if isinstance(v, torch.Tensor)]
    device = tensors[0].device if tensors else torch.device("cpu")
    if not values:  # producers that published nothing for this batch
        return (), torch.zeros(0, dtype=torch.float64, device=device)
    return tuple(values), torch.stack([  # one conversion for all (stack promotes dtypes)
        v if isinstance(v, torch.Tensor)
        else torch.tensor(float(v), dtype=torch.float64, device=device)
        for v in values.values()]).to(torch.float64)


class ChannelSums:
    """Example-weighted sums of a dataset's channels, kept on the device as one float64
    vector (one add per batch, one host read per dataset)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.vector: torch.Tensor | None = None
        self.others: dict[str, torch.Tensor] = {}  # names that came and went between batches

    def add_vector(self, names: list[str], vector: torch.Tensor, n: int) -> None:
        """Add ``n`` times ``vector`` (the batch's mean channel values, named ``names``)."""
        if self.vector is None:
            self.names, self.vector = names, vector * n
        elif names == self.names:
            self.vector.add_(vector, alpha=n)
        else:
            for name, value in zip(names, (vector * n).unbind()):
                self.others[name] = self.others[name] + value if name in self.others else value

    def as_dict(self) -> dict[str, torch.Tensor]:
        merged = dict(zip(self.names, self.vector.unbind())) if self.vector is not None else {}
        for name, value in self.others.items():
            merged[name] = merged[name] + value if name in merged else value
        return merged

    @classmethod
    def from_dict(cls, sums: dict[str, torch.Tensor]) -> ChannelSums:
        out = cls()
        if sums:
            out.names, out.vector = list(sums), torch.stack(list(sums.values()))
        return out

    def means(self, total: int) -> dict[str, float]:
        """Each sum over ``total`` examples, read back to the host at once."""
        sums = ChannelSums.from_dict(self.as_dict()) if self.others else self
        if sums.vector is None:
            return {}
        return dict(zip(sums.names, (sums.vector / total).tolist()))


class _Slot(int):
    """A position in a monitoring batch (see :func:`layout_of`)."""


def layout_of(merged: tuple[Space, Any], specs: tuple[Space, Any]) -> Any:
    """Where a producer's data sits in a batch laid out as ``merged``: what
    ``select_from_flat`` returns, with positions standing in for the tensors, worked out
    once per pass instead of once per batch."""
    if isinstance(merged[0], CompositeSpace):
        probe: Any = tuple(_Slot(i) for i in range(len(flatten_specs(merged))))
    else:
        probe = _Slot(0)
    return select_from_flat(merged, probe, specs)


def fill(layout: Any, batch: tuple) -> Any:
    """A producer's data: ``layout`` (from :func:`layout_of`) with the batch's tensors."""
    if layout is None:
        return None
    if isinstance(layout, _Slot):
        return batch[layout]
    return tuple(fill(part, batch) for part in layout)


def batch_length(batch: Any) -> int:
    """The number of examples in a (possibly nested) batch tuple."""
    for b in batch:
        if isinstance(b, torch.Tensor):
            return int(b.shape[0])
        if isinstance(b, tuple):
            return batch_length(b)
    raise ConfigError("A monitoring batch carries no tensors.")


__all__ = ["BatchChannels", "ChannelSums", "batch_length", "fill", "layout_of"]
