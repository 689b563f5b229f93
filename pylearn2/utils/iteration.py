"""Iteration schemes: which examples go into each batch, and in what order.

A *subset iterator* yields, for each batch, either a ``slice`` (contiguous examples) or
a torch ``int64`` index tensor. :class:`FiniteDatasetIterator` turns those into batches
of CPU torch tensors formatted in the requested data specs. Every iterator has
``state_dict()``/``load_state_dict()`` (the numpy Generator state plus the position in
the epoch), so a resumed iterator yields exactly the batches an uninterrupted one would.

| mode                           | indices | stochastic | uniform batch size |
|--------------------------------|---------|------------|--------------------|
| sequential                     | slices  | no         | no (short last)    |
| shuffled_sequential            | lists   | yes        | no                 |
| random_slice                   | slices  | yes        | yes                |
| random_uniform                 | lists   | yes        | yes (replacement)  |
| batchwise_shuffled_sequential  | slices  | yes        | no                 |
| even_sequential, even_shuffled_sequential, even_batchwise_shuffled_sequential:
|                                | as base | as base    | yes (drops the remainder) |

``random_slice`` and ``random_uniform`` also work on datasets of unknown length when
``num_batches`` is None: they draw forever (an endless stream).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from pylearn2.utils.exc import ConfigError


def make_np_rng(rng: Any = None, default_seed: Any = None) -> np.random.Generator:
    """A numpy Generator: ``rng`` itself if it is one, one drawn from a legacy
    ``numpy.random.RandomState`` (which the original's callers pass), else seeded from an
    int/list/None."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, np.random.RandomState):
        return np.random.default_rng(int(rng.randint(2 ** 31 - 1)))
    seed = rng if rng is not None else default_seed
    if seed is None:
        raise ConfigError("A stochastic iteration mode needs a seed (an int or a list of ints).")
    return np.random.default_rng([int(s) for s in np.atleast_1d(seed)])


class SubsetIterator:
    """Base class: yields a slice or index tensor per batch for one epoch."""

    stochastic = False
    fancy = False
    uniform_batch_size = False

    def __init__(self, dataset_size: int | None, batch_size: int | None = None,
                 num_batches: int | None = None, rng: Any = None) -> None:
        self._dataset_size = dataset_size
        self._batch_size, self._num_batches = self._resolve_sizes(dataset_size, batch_size,
                                                                  num_batches)
        self._rng = make_np_rng(rng, default_seed=None) if self.stochastic else None
        if not self.stochastic and rng is not None and not isinstance(
                rng, (np.random.Generator, np.random.RandomState)):
            raise ConfigError(f"{type(self).__name__} is deterministic; do not give it an rng.")
        self._position = 0
        self._epoch_plan: Any = None
        self._rng_at_start: Any = None

    # -- sizes -----------------------------------------------------------------------------
    def _resolve_sizes(self, n: int | None, batch_size: int | None,
                       num_batches: int | None) -> tuple[int, int | None]:
        if batch_size is not None and batch_size <= 0:
            raise ConfigError(f"batch_size must be positive, got {batch_size}.")
        if n is None:
            if batch_size is None:
                raise ConfigError("A dataset of unknown length needs an explicit batch_size.")
            return batch_size, num_batches
        if batch_size is None:
            if num_batches is None:
                raise ConfigError("Give batch_size or num_batches to iterate over a dataset.")
            batch_size = math.ceil(n / num_batches)
        available = n // batch_size if self.uniform_batch_size else math.ceil(n / batch_size)
        if num_batches is None:
            num_batches = available
        elif num_batches > available and not self._can_resample:
            raise ConfigError(
                f"A dataset of {n} examples can only provide {available} batches of "
                f"{batch_size} with this iteration mode; asked for {num_batches}."
            )
        return batch_size, num_batches

    _can_resample = False

    @property
    def batch_size(self) -> int:
        return self._batch_size

    @property
    def num_batches(self) -> int | None:
        return self._num_batches

    @property
    def num_examples(self) -> int | None:
        if self._num_batches is None:
            return None
        if self._dataset_size is None or self._can_resample:
            return self._batch_size * self._num_batches
        return min(self._batch_size * self._num_batches, self._dataset_size)

    @property
    def uneven(self) -> bool:
        return not self.uniform_batch_size and self._dataset_size is not None and \
            self._dataset_size % self._batch_size != 0

    # -- iteration -------------------------------------------------------------------------
    def __iter__(self) -> SubsetIterator:
        return self

    def __next__(self) -> slice | torch.Tensor:
        if self._num_batches is not None and self._position >= self._num_batches:
            raise StopIteration
        if self._position == 0:
            self._rng_at_start = self._rng_state()
            self._epoch_plan = self._plan_epoch()
        batch = self._batch(self._position)
        self._position += 1
        return batch

    def _plan_epoch(self) -> Any:
        return None

    def _batch(self, i: int) -> slice | torch.Tensor:
        raise NotImplementedError

    # -- persistence ------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Position in the epoch and the RNG state at the start of the epoch."""
        rng = self._rng_at_start if self._position else self._rng_state()
        return {"position": self._position, "rng": rng}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if self._rng is not None and state.get("rng") is not None:
            self._rng.bit_generator.state = state["rng"]
        self._position = 0
        for _ in range(int(state.get("position", 0))):  # replay the epoch's draws exactly
            next(self)

    def _rng_state(self) -> Any:
        return None if self._rng is None else self._rng.bit_generator.state


class SequentialSubsetIterator(SubsetIterator):
    def _batch(self, i: int) -> slice:
        start = i * self._batch_size
        return slice(start, min(start + self._batch_size, self._dataset_size))


class ShuffledSequentialSubsetIterator(SubsetIterator):
    stochastic = True
    fancy = True

    def _plan_epoch(self) -> torch.Tensor:
        return torch.from_numpy(self._rng.permutation(self._dataset_size))

    def _batch(self, i: int) -> torch.Tensor:
        start = i * self._batch_size
        return self._epoch_plan[start:start + self._batch_size]


class RandomSliceSubsetIterator(SubsetIterator):
    stochastic = True
    uniform_batch_size = True
    _can_resample = True

    def _batch(self, i: int) -> slice:
        if self._dataset_size is None:
            raise ConfigError("random_slice needs a dataset of known length.")
        start = int(self._rng.integers(0, self._dataset_size - self._batch_size + 1))
        return slice(start, start + self._batch_size)


class RandomUniformSubsetIterator(SubsetIterator):
    stochastic = True
    fancy = True
    uniform_batch_size = True
    _can_resample = True

    def _batch(self, i: int) -> torch.Tensor:
        if self._dataset_size is None:
            raise ConfigError("random_uniform needs a dataset of known length.")
        return torch.from_numpy(self._rng.integers(0, self._dataset_size, size=self._batch_size))


class BatchwiseShuffledSequentialIterator(SubsetIterator):
    stochastic = True

    def _plan_epoch(self) -> np.ndarray:
        return self._rng.permutation(math.ceil(self._dataset_size / self._batch_size))

    def _batch(self, i: int) -> slice:
        start = int(self._epoch_plan[i]) * self._batch_size
        return slice(start, min(start + self._batch_size, self._dataset_size))


def _even(base: type) -> type:
    """The ``even_*`` variant of a mode: every batch full, the remainder dropped."""
    return type(f"Even{base.__name__}", (base,), {"uniform_batch_size": True})


_MODES: dict[str, type] = {
    "sequential": SequentialSubsetIterator,
    "shuffled_sequential": ShuffledSequentialSubsetIterator,
    "random_slice": RandomSliceSubsetIterator,
    "random_uniform": RandomUniformSubsetIterator,
    "batchwise_shuffled_sequential": BatchwiseShuffledSequentialIterator,
}
for _name in ("sequential", "shuffled_sequential", "batchwise_shuffled_sequential"):
    _MODES[f"even_{_name}"] = _even(_MODES[_name])


def resolve_iterator_class(mode: str | type) -> type:
    if isinstance(mode, type) and issubclass(mode, SubsetIterator):
        return mode
    if mode not in _MODES:
        from pylearn2.utils.exc import did_you_mean

        raise ConfigError(f"Unknown iteration mode string: {mode!r}.{did_you_mean(str(mode), _MODES)}"
                          f" Known modes: {', '.join(sorted(_MODES))}.")
    return _MODES[mode]


def make_subset_iterator(mode: str | type | None, num_examples: int | None,
                         batch_size: int | None, num_batches: int | None, rng: Any = None,
                         default_rng: Any = None) -> SubsetIterator:
    """The subset iterator a dataset's ``iterator`` starts from: ``mode`` (default
    'sequential'), drawing from ``rng`` (or the dataset's ``default_rng``) when stochastic."""
    subset_class = resolve_iterator_class(mode or "sequential")
    if not subset_class.stochastic:
        return subset_class(num_examples, batch_size, num_batches, None)
    return subset_class(num_examples, batch_size, num_batches,
                        default_rng if rng is None else rng)


def is_stochastic(mode: str | type) -> bool:
    return resolve_iterator_class(mode).stochastic


def has_uniform_batch_size(mode: str | type) -> bool:
    return resolve_iterator_class(mode).uniform_batch_size


def _flat_specs(specs: tuple[Any, Any]) -> list[tuple[Any, str]]:
    """(space, source) pairs of possibly nested (composite space, source tuple) specs."""
    space, source = specs
    if isinstance(source, tuple):
        pairs: list[tuple[Any, str]] = []
        for sub_space, sub_source in zip(space.components, source):
            pairs.extend(_flat_specs((sub_space, sub_source)))
        return pairs
    return [(space, source)]


def _converted(fetch: Any, convert: Any) -> Any:
    def fetch_and_convert(index: Any) -> Any:
        return convert(fetch(index))
    return fetch_and_convert


class FiniteDatasetIterator:
    """Batches of torch tensors for the sources in ``data_specs``.

    ``sources`` maps each flat source name to (tensor holding all examples, function
    formatting an indexed batch into the requested space).
    """

    def __init__(self, dataset: Any, subset_iterator: Any = None, data_specs: Any = None,
                 return_tuple: bool = False, convert: list[Any] | None = None,
                 fetchers: list[Any] | None = None) -> None:
        """The original's form ``(dataset, subset_iterator, data_specs, return_tuple,
        convert)``: batches of ``data_specs`` (default: the dataset's) drawn from
        ``dataset`` at the indices of ``subset_iterator``, each source passed through its
        ``convert`` callable (or None). Datasets here build it as
        ``(subset_iterator, fetchers, return_tuple)``, one fetcher per flat source."""
        if isinstance(dataset, SubsetIterator):  # the library's own (subset, fetchers, ...)
            dataset, subset_iterator, fetchers, return_tuple = (
                None, dataset, subset_iterator, bool(data_specs) or return_tuple)
        elif fetchers is None:
            specs = data_specs if data_specs is not None else dataset.get_data_specs()
            fetchers = [dataset._fetcher(space, source) for space, source in _flat_specs(specs)]
        if convert is not None:
            if len(convert) != len(fetchers):
                raise ConfigError(f"FiniteDatasetIterator: {len(convert)} convert functions "
                                  f"for {len(fetchers)} sources.")
            fetchers = [f if c is None else _converted(f, c) for f, c in zip(fetchers, convert)]
        self.dataset = dataset
        self.subset_iterator = subset_iterator
        self._fetchers = list(fetchers)
        self._return_tuple = return_tuple or len(self._fetchers) != 1

    def __iter__(self) -> FiniteDatasetIterator:
        return self

    def __next__(self) -> Any:
        index = next(self.subset_iterator)
        batch = tuple(fetch(index) for fetch in self._fetchers)
        return batch if self._return_tuple else batch[0]

    @property
    def batch_size(self) -> int:
        return self.subset_iterator.batch_size

    @property
    def num_batches(self) -> int | None:
        return self.subset_iterator.num_batches

    @property
    def num_examples(self) -> int | None:
        return self.subset_iterator.num_examples

    @property
    def uneven(self) -> bool:
        return self.subset_iterator.uneven

    @property
    def stochastic(self) -> bool:
        return self.subset_iterator.stochastic

    def state_dict(self) -> dict[str, Any]:
        return self.subset_iterator.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.subset_iterator.load_state_dict(state)
