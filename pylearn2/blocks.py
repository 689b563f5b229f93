"""Blocks: cheap transformations applied to one batch at a time.

A Block maps a torch batch from its input space to its output space with ``perform``
(``block(X)`` and ``block.function()(X)`` do the same). Trained models that encode data
(autoencoders, RBMs, k-means) act as Blocks, so a
:class:`~pylearn2.datasets.transformer_dataset.TransformerDataset` can feed their features
to the next model on the fly, and a ``BlockPreprocessor`` can map one over a whole dataset.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from pylearn2.space import Space, VectorSpace
from pylearn2.utils.exc import ConfigError, ShapeError
from pylearn2.utils.init_args import InitArgsMixin


class Block(InitArgsMixin):
    """Base class for per-batch transformations."""

    input_space: Space | None = None
    output_space: Space | None = None

    def __init__(self) -> None:
        """Argument-less Blocks record empty constructor arguments (for saving)."""

    def perform(self, X: torch.Tensor) -> torch.Tensor:
        """Transform one batch."""
        raise NotImplementedError

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        return self.perform(X)

    def function(self, name: str | None = None) -> Callable[[torch.Tensor], torch.Tensor]:
        """A callable computing :meth:`perform` without gradients (eager torch needs no
        compilation; ``name`` is accepted for compatibility)."""
        def run(X: torch.Tensor) -> torch.Tensor:
            with torch.no_grad():
                return self.perform(torch.as_tensor(X))
        return run

    def inverse(self) -> Block:
        """A Block undoing this one."""
        raise NotImplementedError(f"{type(self).__name__} has no inverse.")

    def set_input_space(self, space: Space) -> None:
        self.input_space = space

    def get_input_space(self) -> Space:
        if self.input_space is None:
            raise ConfigError(f"{type(self).__name__} has no input space yet; call "
                              "set_input_space first.")
        return self.input_space

    def get_output_space(self) -> Space:
        if self.output_space is None:
            return self.get_input_space()
        return self.output_space

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass


def apply_transformer(transformer: Any, X: torch.Tensor) -> torch.Tensor:
    """Run a Block or a trained model on a batch (``perform``, ``encode``, ``upward_pass`` or
    ``fprop``, whichever it offers first)."""
    for method in ("perform", "encode", "upward_pass", "fprop"):
        fn = getattr(transformer, method, None)
        if callable(fn):
            return fn(X)
    raise ConfigError(f"{type(transformer).__name__} cannot transform data: it has none of "
                      "perform, encode, upward_pass or fprop.")


def optional_space(obj: Any, getter: str) -> Space | None:
    """``obj.<getter>()`` (e.g. get_input_space), or None when obj has no such space yet."""
    fn = getattr(obj, getter, None)
    if not callable(fn):
        return None
    try:
        return fn()
    except (ConfigError, AttributeError, NotImplementedError):
        return None


class StackedBlocks(Block):
    """Apply ``layers`` (Blocks or trained models) in order."""

    def __init__(self, layers: Sequence[Any]) -> None:
        self.layers = list(layers)
        if not self.layers:
            raise ConfigError("StackedBlocks needs at least one layer.")

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, index: int) -> Any:
        return self.layers[index]

    def perform(self, X: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            X = apply_transformer(layer, X)
        return X

    def get_input_space(self) -> Space:
        space = optional_space(self.layers[0], "get_input_space")
        return space if space is not None else super().get_input_space()

    def set_input_space(self, space: Space) -> None:
        setter = getattr(self.layers[0], "set_input_space", None)
        if callable(setter):
            setter(space)
        self.input_space = space

    def get_output_space(self) -> Space:
        space = optional_space(self.layers[-1], "get_output_space")
        return space if space is not None else super().get_output_space()

    def inverse(self) -> Block:
        return StackedBlocks([layer.inverse() for layer in reversed(self.layers)])

    def state_dict(self) -> dict[str, Any]:
        return {"layers": [layer.state_dict() if hasattr(layer, "state_dict") else {}
                           for layer in self.layers]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for layer, layer_state in zip(self.layers, state.get("layers", [])):
            if layer_state and hasattr(layer, "load_state_dict"):
                layer.load_state_dict(layer_state)


class ExamplewiseUnitNormBlock(Block):
    """Scale each example to unit L2 norm (zero examples stay zero)."""

    def perform(self, X: torch.Tensor) -> torch.Tensor:
        norms = X.norm(dim=1, keepdim=True)
        return X / torch.where(norms == 0, torch.ones_like(norms), norms)


class ExamplewiseAddScaleTransform(Block):
    """``(X + add) * multiply``, with ``add``/``multiply`` scalars or per-feature vectors."""

    def __init__(self, add: Any = 0.0, multiply: Any = 1.0) -> None:
        self.add = np.asarray(add, dtype=np.float64)
        self.multiply = np.asarray(multiply, dtype=np.float64)
        if np.any(self.multiply == 0):
            raise ConfigError("ExamplewiseAddScaleTransform multiply must be non-zero (it "
                              "would not be invertible).")

    def perform(self, X: torch.Tensor) -> torch.Tensor:
        add = torch.as_tensor(self.add, dtype=X.dtype, device=X.device)
        multiply = torch.as_tensor(self.multiply, dtype=X.dtype, device=X.device)
        return (X + add) * multiply

    def inverse(self) -> Block:
        return ExamplewiseAddScaleTransform(add=-self.add * self.multiply,
                                            multiply=1.0 / self.multiply)


def _columns(columns: Any, total: int, name: str) -> np.ndarray:
    """Column indices from a list of indices or a boolean mask of length ``total``."""
    cols = np.asarray(columns)
    if cols.dtype == bool:
        if cols.shape != (total,):
            raise ShapeError(f"{name}: a boolean column mask must have length {total}.")
        cols = np.flatnonzero(cols)
    cols = cols.astype(np.int64).reshape(-1)
    if cols.size and (cols.min() < 0 or cols.max() >= total):
        raise ConfigError(f"{name}: columns must lie in [0, {total}).")
    return cols


class ColumnSubsetBlock(Block):
    """Keep ``columns`` (indices or a boolean mask) of ``total`` input features."""

    def __init__(self, columns: Any, total: int) -> None:
        self.total = int(total)
        self.columns = _columns(columns, self.total, "ColumnSubsetBlock")
        self.input_space = VectorSpace(self.total)
        self.output_space = VectorSpace(len(self.columns))

    def perform(self, X: torch.Tensor) -> torch.Tensor:
        if X.shape[1] != self.total:
            raise ShapeError(f"ColumnSubsetBlock expects {self.total} features, got {X.shape[1]}.")
        return X[:, torch.from_numpy(self.columns).to(X.device)]

    def inverse(self) -> Block:
        return ZeroColumnInsertBlock(self.columns, self.total)


class ZeroColumnInsertBlock(Block):
    """Spread the input's features into ``columns`` of ``total`` outputs; others are zero."""

    def __init__(self, columns: Any, total: int) -> None:
        self.total = int(total)
        self.columns = _columns(columns, self.total, "ZeroColumnInsertBlock")
        self.input_space = VectorSpace(len(self.columns))
        self.output_space = VectorSpace(self.total)

    def perform(self, X: torch.Tensor) -> torch.Tensor:
        if X.shape[1] != len(self.columns):
            raise ShapeError(f"ZeroColumnInsertBlock expects {len(self.columns)} features, got "
                             f"{X.shape[1]}.")
        out = X.new_zeros((X.shape[0], self.total))
        out[:, torch.from_numpy(self.columns).to(X.device)] = X
        return out

    def inverse(self) -> Block:
        return ColumnSubsetBlock(self.columns, self.total)
