"""A dataset whose features are another dataset's, transformed per batch on the fly."""

from __future__ import annotations

from typing import Any

import torch

from pylearn2.blocks import apply_transformer
from pylearn2.datasets.dataset import Dataset
from pylearn2.space import CompositeSpace, VectorSpace
from pylearn2.utils.data_specs_util import flatten_specs


class TransformerDataset(Dataset):
    """``raw``'s examples with their features passed through ``transformer``.

    ``transformer`` is a Block or a trained model (an autoencoder's ``encode``, an RBM's
    hidden means, an MLP's ``fprop``). Nothing is precomputed: each batch is drawn from
    ``raw`` and transformed under ``torch.no_grad``, so the data can be larger than memory
    allows after transformation and stochastic raw datasets stay stochastic.
    """

    def __init__(self, raw: Any, transformer: Any, cpu_only: bool = False,
                 space_preserving: bool = False) -> None:
        self.raw = raw
        self.transformer = transformer
        self.cpu_only = cpu_only
        self.space_preserving = space_preserving

    def _raw_feature_space(self) -> Any:
        space = self.raw.get_data_specs()[0]
        return space.components[0] if isinstance(space, CompositeSpace) else space

    def _output_dim(self) -> int:
        with torch.no_grad():
            sample = next(self.raw.iterator(batch_size=1, data_specs=(self._raw_feature_space(),
                                                                      "features")))
            return int(apply_transformer(self.transformer, self._to_model(sample)).shape[1])

    def _to_model(self, X: torch.Tensor) -> torch.Tensor:
        device = getattr(self.transformer, "device", None)
        if callable(device) and not self.cpu_only:
            X = X.to(device())
        return X

    def get_data_specs(self) -> Any:
        raw_space, raw_source = self.raw.get_data_specs()
        features = self._raw_feature_space() if self.space_preserving else \
            VectorSpace(self._output_dim())
        if isinstance(raw_space, CompositeSpace):
            return (CompositeSpace([features] + raw_space.components[1:]), raw_source)
        return (features, raw_source)

    def get_num_examples(self) -> int | None:
        return self.raw.get_num_examples()

    def has_targets(self) -> bool:
        return self.raw.has_targets()

    def get_design_matrix(self) -> Any:
        with torch.no_grad():
            X = torch.from_numpy(self.raw.get_design_matrix())
            return apply_transformer(self.transformer, self._to_model(X)).cpu().numpy()

    def iterator(self, mode: str | None = None, batch_size: int | None = None,
                 num_batches: int | None = None, rng: Any = None, data_specs: Any = None,
                 return_tuple: bool = False) -> Any:
        specs = data_specs if data_specs is not None else self.get_data_specs()
        pairs = flatten_specs(specs)
        raw_pairs = [(self._raw_feature_space(), src) if src == "features" else (space, src)
                     for space, src in pairs]
        raw_specs = (CompositeSpace([p[0] for p in raw_pairs]), tuple(p[1] for p in raw_pairs))
        inner = self.raw.iterator(mode=mode, batch_size=batch_size, num_batches=num_batches,
                                  rng=rng, data_specs=raw_specs, return_tuple=True)
        return _TransformingIterator(self, inner, pairs, return_tuple or len(pairs) != 1)


class _TransformingIterator:
    def __init__(self, owner: TransformerDataset, inner: Any, pairs: list, return_tuple: bool):
        self.owner, self.inner, self.pairs, self.return_tuple = owner, inner, pairs, return_tuple

    def __iter__(self) -> _TransformingIterator:
        return self

    def __next__(self) -> Any:
        batch = next(self.inner)
        out = []
        with torch.no_grad():
            for (_, source), data in zip(self.pairs, batch):
                if source == "features":
                    data = apply_transformer(self.owner.transformer, self.owner._to_model(data))
                    data = data.detach().cpu()
                out.append(data)
        return tuple(out) if self.return_tuple else out[0]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
