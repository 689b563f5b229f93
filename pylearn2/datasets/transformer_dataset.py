"""A dataset whose features are another dataset's, transformed per batch on the fly."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from pylearn2.blocks import apply_transformer, optional_space
from pylearn2.datasets.dataset import Dataset
from pylearn2.space import CompositeSpace, Space, VectorSpace
from pylearn2.utils.data_specs_util import flatten_specs
from pylearn2.utils.exc import ConfigError


class TransformerDataset(Dataset):
    """``raw``'s examples with their features passed through ``transformer``.

    ``transformer`` is a Block or a trained model (an autoencoder's ``encode``, an RBM's
    hidden means, an MLP's ``fprop``; see :func:`pylearn2.blocks.apply_transformer`).
    Nothing is precomputed: each batch is drawn from ``raw`` and transformed under
    ``torch.no_grad``, so stochastic raw datasets stay stochastic. Raw features are requested
    in the transformer's input space when it has one. Batches go to the transformer's device
    and floating dtype unless ``cpu_only``; results come back as CPU tensors in the raw
    batch's dtype. With ``space_preserving`` the features keep the raw dataset's space
    (e.g. a Binarizer); otherwise they are in the transformer's output space.
    """

    def __init__(self, raw: Any, transformer: Any, cpu_only: bool = False,
                 space_preserving: bool = False) -> None:
        self.raw = raw
        self.transformer = transformer
        self.cpu_only = cpu_only
        self.space_preserving = space_preserving

    # -- spaces -----------------------------------------------------------------------------
    def _raw_specs(self) -> tuple[Space, Any]:
        return self.raw.get_data_specs()

    def raw_feature_space(self) -> Space:
        """The space raw features are drawn in (the transformer's input space if it has one)."""
        wanted = None if self.space_preserving else optional_space(self.transformer, "get_input_space")
        if wanted is not None:
            return wanted
        space, source = self._raw_specs()
        if isinstance(space, CompositeSpace):
            return space.components[tuple(source).index("features")]
        return space

    def feature_space(self) -> Space:
        """The space of the transformed features."""
        if self.space_preserving:
            return self.raw_feature_space()
        space = optional_space(self.transformer, "get_output_space")
        if space is not None:
            return space
        if getattr(self, "_probed_space", None) is None:  # one example tells the width
            probe = next(iter(self.raw.iterator(
                mode="sequential", batch_size=1, data_specs=(self.raw_feature_space(), "features"))))
            self._probed_space = VectorSpace(int(self.transform(probe).reshape(1, -1).shape[1]))
        return self._probed_space

    def get_data_specs(self) -> tuple[Space, Any]:
        space, source = self._raw_specs()
        if isinstance(space, CompositeSpace):
            components = [self.feature_space() if src == "features" else comp
                          for comp, src in zip(space.components, source)]
            return (CompositeSpace(components), source)
        return (self.feature_space() if source == "features" else space, source)

    # -- the transformation ----------------------------------------------------------------
    def _placement(self) -> tuple[torch.device | None, torch.dtype | None]:
        if self.cpu_only or not isinstance(self.transformer, torch.nn.Module):
            return None, None
        for tensor in list(self.transformer.parameters()) + list(self.transformer.buffers()):
            if tensor.is_floating_point():
                return tensor.device, tensor.dtype
        return None, None

    def transform(self, X: torch.Tensor) -> torch.Tensor:
        """Apply the transformer to one batch of raw features (no gradients, CPU result)."""
        device, dtype = self._placement()
        original = X.dtype
        if device is not None:
            X = X.to(device=device, dtype=dtype if X.is_floating_point() else X.dtype)
        with torch.no_grad():
            out = apply_transformer(self.transformer, X)
        out = out.detach().cpu()
        if out.is_floating_point() and original.is_floating_point:
            out = out.to(original)
        return out

    # -- dataset interface -----------------------------------------------------------------
    def get_num_examples(self) -> int | None:
        return self.raw.get_num_examples()

    def has_targets(self) -> bool:
        return self.raw.has_targets()

    def get_targets(self) -> Any:
        return self.raw.get_targets()

    def get_design_matrix(self, batch_size: int = 1000) -> np.ndarray:
        """All transformed examples as a design matrix (computed in batches)."""
        space = self.raw_feature_space()
        out = [self.transform(batch).reshape(batch.shape[0], -1) for batch in self.raw.iterator(
            mode="sequential", batch_size=batch_size, data_specs=(space, "features"))]
        return torch.cat(out).numpy()

    def adjust_for_viewer(self, X: Any) -> Any:
        if self.space_preserving:
            return self.raw.adjust_for_viewer(X)
        return super().adjust_for_viewer(X)

    def state_dict(self) -> dict[str, Any]:
        state = getattr(self.transformer, "state_dict", None)
        return {} if isinstance(self.transformer, torch.nn.Module) or not callable(state) \
            else {"transformer": state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if "transformer" in state:
            self.transformer.load_state_dict(state["transformer"])

    def iterator(self, mode: str | None = None, batch_size: int | None = None,
                 num_batches: int | None = None, rng: Any = None, data_specs: Any = None,
                 return_tuple: bool = False) -> TransformerIterator:
        specs = data_specs if data_specs is not None else self.get_data_specs()
        pairs = flatten_specs(specs)
        if not pairs:
            raise ConfigError(f"Nothing to iterate for data specs {specs}.")
        raw_space = self.raw_feature_space()
        raw_pairs = [(raw_space, src) if src == "features" else (space, src)
                     for space, src in pairs]
        raw_specs = (CompositeSpace([p[0] for p in raw_pairs]), tuple(p[1] for p in raw_pairs))
        inner = self.raw.iterator(mode=mode, batch_size=batch_size, num_batches=num_batches,
                                  rng=rng, data_specs=raw_specs, return_tuple=True)
        return TransformerIterator(inner, self, specs, return_tuple=return_tuple or len(pairs) != 1)


class TransformerIterator:
    """Iterate ``raw_iterator`` (an iterator of the raw dataset), passing the features of
    every batch through ``transformer_dataset``'s transformer; other sources pass unchanged.

    ``data_specs`` names the batch's sources (and the space wanted for the features);
    without it a single-tensor batch is all features and in a tuple only the first entry
    is. ``return_tuple`` defaults to the raw batch's form.
    """

    def __init__(self, raw_iterator: Any, transformer_dataset: TransformerDataset,
                 data_specs: Any = None, return_tuple: bool | None = None) -> None:
        self.raw_iterator = raw_iterator
        self.transformer_dataset = transformer_dataset
        self.data_specs = data_specs
        self.return_tuple = return_tuple
        self._pairs = flatten_specs(data_specs) if data_specs is not None else None
        wants_features = self._pairs is not None and any(s == "features" for _, s in self._pairs)
        self._out_space = transformer_dataset.feature_space() if wants_features else None

    def __iter__(self) -> TransformerIterator:
        return self

    def __next__(self) -> Any:
        batch = next(self.raw_iterator)
        single = not isinstance(batch, (tuple, list))
        parts = (batch,) if single else tuple(batch)
        if self._pairs is not None and len(self._pairs) != len(parts):
            raise ConfigError(f"TransformerIterator: the raw batch has {len(parts)} parts but "
                              f"data_specs name {len(self._pairs)} sources.")
        pairs = self._pairs or [(None, "features" if i == 0 else None) for i in range(len(parts))]
        out = []
        for (space, source), data in zip(pairs, parts):
            if source == "features":
                data = self.transformer_dataset.transform(data)
                if space is not None and space != self._out_space:
                    data = self._out_space.format_as(data, space)
            out.append(data)
        keep_tuple = (not single) if self.return_tuple is None else self.return_tuple
        return tuple(out) if keep_tuple else out[0]

    next = __next__  # the Python 2 spelling scripts written for the original call

    @property
    def batch_size(self) -> int:
        return self.raw_iterator.batch_size

    @property
    def num_batches(self) -> int | None:
        return self.raw_iterator.num_batches

    @property
    def num_examples(self) -> int | None:
        return self.raw_iterator.num_examples

    @property
    def uneven(self) -> bool:
        return self.raw_iterator.uneven

    @property
    def stochastic(self) -> bool:
        return self.raw_iterator.stochastic

    def state_dict(self) -> dict[str, Any]:
        return {"raw": self.raw_iterator.state_dict(), "transformer": self.transformer_dataset.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.transformer_dataset.load_state_dict(state.get("transformer", {}))
        self.raw_iterator.load_state_dict(state["raw"])
