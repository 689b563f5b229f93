"""The monitor's per-batch machinery: a batch's channels, and their running sums.

:class:`BatchChannels` evaluates every producer of one monitoring dataset on a batch,
under one :func:`~pylearn2.utils.forward_memo.batch_memo` so the network runs once, and
returns the channel names and values (one float64 vector). With ``compile=True`` (SGD's
``compile: true`` sets it) that whole per-batch function (forward pass, every channel,
the stacking) is compiled with ``torch.compile``, so the dozens of small reductions of a
batch's channels run as a few fused kernels; a producer that cannot be compiled runs
eager, with one log line saying why. :class:`ChannelSums` keeps the example-weighted sums
on the device, read back once per dataset.

Several batches per call: a batch's channels are tiny reductions, so per batch most of
the time went to launching operations. :func:`channel_sums` hands runs of same-shaped
batches to :meth:`BatchChannels.group`, which maps the per-batch function over them with
``torch.vmap``: each channel is still computed per batch (a batch's maximum stays that
batch's maximum, and the dataset's record the example-weighted mean of batch values, as
batch by batch), but the matrix products run once for the whole run of batches and each
reduction once for all of them. Producers that cannot be mapped (random draws such as
Dropout's masks, values read back to Python, operations without a batching rule) are
evaluated batch by batch, as before.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import torch

from pylearn2.space import CompositeSpace, Space
from pylearn2.utils.compiled import CompiledOrEager
from pylearn2.utils.data_specs_util import flatten_specs, select_from_flat
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.forward_memo import batch_memo, compiled_memo

log = logging.getLogger(__name__)

Producer = Callable[[Any], dict[str, torch.Tensor]]

GROUP_ELEMENTS = 2 ** 21
"""Input elements (all tensors of the batches together) per grouped call: 8 MiB of
float32, so a group's activations stay a small multiple of a training batch's."""
IMAGE_WEIGHT = 8
"""Images (tensors of three or more axes) count this many times their size against
:data:`GROUP_ELEMENTS`: convolutional layers hold many values per input pixel, and their
per-batch work is large enough that long runs of batches gain little."""
MAX_GROUP = 64


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
    groupable : bool
        Whether the producers are pure functions of their batch, so :meth:`group` may
        map them over several batches in one call.
    """

    def __init__(self, producers: list[tuple[tuple[Space, Any], Producer, str]],
                 merged: tuple[Space, Any], compile: bool = False, what: str = "monitor",
                 on_cpu: bool = True, groupable: bool = True) -> None:
        self.producers = producers
        self.layouts = [layout_of(merged, specs) for specs, _, _ in producers]
        self.compile = compile
        self.names: list[str] = []
        self._name_tuple: tuple[str, ...] = ()
        self._compiled: CompiledOrEager | None = None
        self._compiled_group: CompiledOrEager | None = None
        self.grouping: bool | None = None if groupable else False  # None: not tried yet
        if compile and groupable:
            self._compiled_group = CompiledOrEager(
                self._group_matrix, f"the grouped monitor pass of {what}",
                cpu_matmuls=on_cpu, eager_fallback=False)
        if compile:
            self._compiled = CompiledOrEager(self._vector, f"the monitor pass of {what}",
                                             cpu_matmuls=on_cpu)
        self.what = what

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
        return self._named(names), vector

    def _named(self, names: tuple[str, ...]) -> list[str]:
        if names != self._name_tuple:  # the first batch, or producers whose names changed
            self._name_tuple, self.names = names, list(names)
        return self.names

    def _group_matrix(self, stacked: tuple) -> tuple[tuple[str, ...], torch.Tensor]:
        names: list[tuple[str, ...]] = []

        def one_batch(*batch: torch.Tensor) -> torch.Tensor:
            memo = compiled_memo if torch.compiler.is_compiling() else batch_memo
            with memo():
                batch_names, vector = _named_vector(self._producer_values(batch))
            names.append(batch_names)
            return vector

        matrix = torch.vmap(one_batch)(*stacked)
        return names[0], matrix

    def group(self, batches: list[tuple]) -> tuple[list[str], torch.Tensor] | None:
        """``(names, matrix)``: row ``k`` holds the channels of ``batches[k]`` (batches
        of one shape), computed in one call; None when the producers cannot be mapped
        over batches (then they are evaluated batch by batch from now on)."""
        if self.grouping is False:
            return None
        run = self._compiled_group or self._group_matrix
        caught: list[warnings.WarningMessage] = []
        try:
            stacked = stack_batches(batches)
            if self.grouping:
                names, matrix = run(stacked)
                return self._named(names), matrix
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                names, matrix = run(stacked)
        except Exception as error:  # random draws, values read back, ... (see the module)
            return self._stop_grouping(_why_not_mapped(error))
        slow = [w for w in caught if "performance drop" in str(w.message)]
        for w in caught:
            if w not in slow:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if slow:  # vmap ran some operation slice by slice: batch by batch is as fast
            return self._stop_grouping(str(slow[0].message).splitlines()[0])
        self.grouping = True
        return self._named(names), matrix

    def _stop_grouping(self, reason: str) -> None:
        # the trial's values are dropped: whether a pass groups never depends on history
        self.grouping = False
        log.info("monitor: the channels of %s are evaluated batch by batch (%s).", self.what,
                 reason)
        return None


def _why_not_mapped(error: BaseException) -> str:
    """A short reason for the log line of :meth:`BatchChannels.group`'s fallback."""
    text = str(error).splitlines()[0] if str(error) else ""
    if "random operation" in text:
        return "a channel draws random numbers, e.g. Dropout's monitored objective"
    if "item()" in text or "data-dependent" in text or "data dependent" in text:
        return "a channel reads a value back to Python"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


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


def stack_batches(batches: list[tuple]) -> tuple:
    """The batches' tensors stacked along a new first axis: a view, without copying,
    where consecutive batches lie one after the other in one storage (sequential
    iteration over an in-memory dataset), else a copy."""
    return tuple(_stack([batch[i] for batch in batches]) for i in range(len(batches[0])))


def _stack(tensors: list[torch.Tensor]) -> torch.Tensor:
    first = tensors[0]
    if first.is_contiguous():
        step = first.numel() * first.element_size()
        storage = first.untyped_storage().data_ptr()
        if all(t.is_contiguous() and t.shape == first.shape and t.dtype == first.dtype
               and t.untyped_storage().data_ptr() == storage
               and t.data_ptr() == first.data_ptr() + k * step
               for k, t in enumerate(tensors)):
            return first.as_strided((len(tensors), *first.shape),
                                    (first.numel(), *first.stride()))
    return torch.stack(tensors)


def group_size(batch: tuple, num_batches: int | None, uneven: bool,
               limit: int | None = None) -> int:
    """How many batches shaped like ``batch`` :func:`channel_sums` evaluates per call:
    at most ``limit`` (default: as many as :data:`GROUP_ELEMENTS` allows, images weighted
    by :data:`IMAGE_WEIGHT`, at most :data:`MAX_GROUP`), balanced over the pass so its
    groups take at most two shapes."""
    if limit is None:
        elements = sum(t.numel() * (IMAGE_WEIGHT if t.dim() >= 3 else 1) for t in batch)
        limit = min(MAX_GROUP, GROUP_ELEMENTS // max(elements, 1))
    limit = max(1, int(limit))
    if num_batches is None or limit == 1:
        return limit
    full = max(1, num_batches - (1 if uneven else 0))
    return math.ceil(full / math.ceil(full / limit))


def channel_sums(channels: BatchChannels, batches: Iterable[tuple],
                 group: int | Callable[[tuple], int]) -> tuple[ChannelSums, int]:
    """The example-weighted sums of ``channels`` over ``batches`` and the number of
    examples; runs of same-shaped batches (``group`` of them, or ``group(first_batch)``)
    are evaluated in one call (:meth:`BatchChannels.group`)."""
    sums = ChannelSums()
    total = 0
    pending: list[tuple] = []
    size = group if isinstance(group, int) else None

    def flush() -> None:
        n = batch_length(pending[0])
        grouped = channels.group(pending) if len(pending) > 1 else None
        if grouped is None:
            for batch in pending:
                sums.add_vector(*channels(batch), n)
        else:
            sums.add_vector(grouped[0], grouped[1].sum(0), n)
        pending.clear()

    for batch in batches:
        n = batch_length(batch)
        if n == 0:
            continue
        total += n
        groupable = channels.grouping is not False and all(
            isinstance(t, torch.Tensor) and t.layout == torch.strided for t in batch)
        if size is None:
            size = group(batch) if groupable else 1  # type: ignore[operator]
        if pending and (len(pending) >= size or not groupable or not _same_shapes(
                batch, pending[0])):
            flush()
        pending.append(batch)
    if pending:
        flush()
    return sums, total


def _same_shapes(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(
        isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor) and x.shape == y.shape
        and x.dtype == y.dtype for x, y in zip(a, b))


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


__all__ = ["BatchChannels", "ChannelSums", "batch_length", "channel_sums", "fill", "group_size",
           "layout_of", "stack_batches"]
