"""The Dataset interface: what training algorithms and the monitor ask of data."""

from __future__ import annotations

from typing import Any

from pylearn2.utils.init_args import InitArgsMixin


class Dataset(InitArgsMixin):
    """Abstract base class: a source of examples that can be iterated in batches.

    ``iterator(mode, batch_size, num_batches, rng, data_specs, return_tuple)`` yields
    CPU torch tensors formatted in ``data_specs`` (see pylearn2.utils.iteration).
    ``get_num_examples()`` may return None for an endless stream.
    """

    def iterator(self, mode: str | None = None, batch_size: int | None = None,
                 num_batches: int | None = None, rng: Any = None, data_specs: Any = None,
                 return_tuple: bool = False) -> Any:
        """Extension point: an iterator over batches (see docs/architecture.md,
        'Datasets': mode, batch_size, num_batches, rng, data_specs, return_tuple)."""
        raise NotImplementedError

    def __iter__(self) -> Any:
        return self.iterator()

    def get_num_examples(self) -> int | None:
        """Extension point: how many examples (None for an endless stream)."""
        raise NotImplementedError

    def has_targets(self) -> bool:
        """Whether the dataset has a ``'targets'`` source."""
        raise NotImplementedError

    def get_data_specs(self) -> Any:
        """``(space, source)`` of everything the dataset can provide."""
        raise NotImplementedError

    def adjust_for_viewer(self, X: Any) -> Any:
        """Map data into [-1, 1] for display (identity by default)."""
        return X

    def get_batch_design(self, batch_size: int, include_labels: bool = False) -> Any:
        """A random batch of ``batch_size`` examples as a design matrix."""
        raise NotImplementedError

    def get_batch_topo(self, batch_size: int) -> Any:
        """A random batch of ``batch_size`` examples as images."""
        raise NotImplementedError
