"""A dataset of several sources, each stored in its own space.

``VectorSpacesDataset(data=(X1, X2, ...), data_specs=(CompositeSpace([S1, S2, ...]),
('source1', 'source2', ...)))``: the n-th array holds the n-th source as a batch of its
space (a design matrix for a VectorSpace, a 4-d array in the space's axes for a
Conv2DSpace, integers for an IndexSpace). Iteration formats each source into the space
the model asks for.

The dataset is also a (parameter-free) torch module that records its arguments, so a
small generated set can be written with ``pylearn2.utils.serial.save`` and read back by
``!pkl:`` in an experiment file (its arrays go into the file's argument tree; meant for
toy-sized data).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from pylearn2.datasets.dataset import Dataset
from pylearn2.space import CompositeSpace, Space
from pylearn2.utils.data_specs_util import flatten_specs
from pylearn2.utils.exc import ConfigError, ShapeError
from pylearn2.utils.iteration import FiniteDatasetIterator, make_subset_iterator


class VectorSpacesDataset(Dataset, torch.nn.Module):
    """In-memory multi-source data; see the module docstring.

    Parameters
    ----------
    data : tuple of arrays, one per source (same number of examples).
    data_specs : (space, sources): a CompositeSpace with one component per array (or a
        single space and source name for one array).
    rng : seed of the stochastic iteration orders.
    preprocessor, fit_preprocessor : a preprocessor applied at construction.
    """

    _default_seed = (17, 2, 946)

    def __init__(self, data: Any = None, data_specs: Any = None, rng: Any = _default_seed,
                 preprocessor: Any = None, fit_preprocessor: bool = False) -> None:
        torch.nn.Module.__init__(self)
        if data is None or data_specs is None:
            raise ConfigError("VectorSpacesDataset needs data (a tuple of arrays) and "
                              "data_specs (space, sources).")
        space, sources = data_specs
        if not isinstance(space, CompositeSpace):
            space, sources, data = CompositeSpace([space]), (sources,), (data,)
        sources = tuple(sources)
        data = tuple(np.asarray(d) for d in data)
        if not (len(space.components) == len(sources) == len(data)):
            raise ConfigError(f"VectorSpacesDataset: {len(data)} arrays, "
                              f"{len(space.components)} spaces and {len(sources)} sources; "
                              "give one space and one source name per array.")
        sizes = {d.shape[0] for d in data}
        if len(sizes) != 1:
            raise ShapeError(f"VectorSpacesDataset: the sources have different numbers of "
                             f"examples {[d.shape[0] for d in data]}.")
        for d, s, name in zip(data, space.components, sources):
            try:
                s.validate(torch.as_tensor(d))
            except (ShapeError, ValueError) as err:
                raise ShapeError(f"VectorSpacesDataset: source {name!r} does not fit {s}: "
                                 f"{err}") from None
        self.data = tuple(d.astype(np.float32) if d.dtype.kind == "f" else d for d in data)
        self.data_specs = (space, sources)
        self.rng = rng
        self.preprocessor = preprocessor
        if preprocessor is not None:
            preprocessor.apply(self, can_fit=fit_preprocessor)

    def get_data(self) -> tuple[np.ndarray, ...]:
        return self.data

    def get_data_specs(self) -> tuple[Space, Any]:
        return self.data_specs

    def get_num_examples(self) -> int:
        return int(self.data[0].shape[0])

    def has_targets(self) -> bool:
        return "targets" in self.data_specs[1]

    def get_source(self, name: str) -> np.ndarray:
        sources = self.data_specs[1]
        if name not in sources:
            raise ConfigError(f"This dataset has no source {name!r}; it has {list(sources)}.")
        return self.data[sources.index(name)]

    def _fetcher(self, space: Space, source: str) -> Any:
        stored_spaces, sources = self.data_specs[0].components, self.data_specs[1]
        if source not in sources:
            raise ConfigError(f"The model asks for source {source!r}, but this dataset "
                              f"provides {list(sources)}.")
        i = sources.index(source)
        stored, tensor = stored_spaces[i], torch.from_numpy(np.ascontiguousarray(self.data[i]))
        batch_axis = stored.axes.index("b") if hasattr(stored, "axes") else 0
        if stored == space:
            return lambda idx: tensor.index_select(batch_axis, _as_index(idx, tensor.shape[batch_axis]))
        return lambda idx: stored.format_as(
            tensor.index_select(batch_axis, _as_index(idx, tensor.shape[batch_axis])), space)

    def iterator(self, mode: str | None = None, batch_size: int | None = None,
                 num_batches: int | None = None, rng: Any = None, data_specs: Any = None,
                 return_tuple: bool = False) -> FiniteDatasetIterator:
        subset = make_subset_iterator(mode, self.get_num_examples(), batch_size, num_batches,
                                      rng, self.rng)
        specs = data_specs if data_specs is not None else self.data_specs
        fetchers = [self._fetcher(s, src) for s, src in flatten_specs(specs)]
        return FiniteDatasetIterator(subset, fetchers, return_tuple)


def _as_index(idx: Any, n: int) -> torch.Tensor:
    if isinstance(idx, slice):
        return torch.arange(n)[idx]
    return torch.as_tensor(idx, dtype=torch.long)


__all__ = ["VectorSpacesDataset"]
