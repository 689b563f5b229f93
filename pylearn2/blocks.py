"""Blocks: cheap transformations applied to one batch at a time.

A Block maps a torch batch from its input space to its output space with ``perform``
(``block(X)`` does the same). Trained models that encode data (autoencoders, RBMs,
k-means) act as Blocks, so a :class:`~pylearn2.datasets.transformer_dataset.TransformerDataset`
can feed their features to the next model on the fly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from pylearn2.space import Space
from pylearn2.utils.init_args import InitArgsMixin


class Block(InitArgsMixin):
    """Base class for per-batch transformations."""

    def perform(self, X: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        return self.perform(X)

    def inverse(self) -> Block:
        raise NotImplementedError(f"{type(self).__name__} has no inverse.")

    def set_input_space(self, space: Space) -> None:
        self.input_space = space

    def get_input_space(self) -> Space:
        return self.input_space

    def get_output_space(self) -> Space:
        return self.output_space

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass


class StackedBlocks(Block):
    """Apply ``layers`` in order."""

    def __init__(self, layers: Sequence[Any]) -> None:
        self.layers = list(layers)

    def perform(self, X: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            X = apply_transformer(layer, X)
        return X


class ExamplewiseUnitNormBlock(Block):
    """Scale each example to unit L2 norm."""

    def perform(self, X: torch.Tensor) -> torch.Tensor:
        norms = X.norm(dim=1, keepdim=True)
        return X / torch.where(norms == 0, torch.ones_like(norms), norms)


class ExamplewiseAddScaleTransform(Block):
    """``(X + add) * multiply`` per feature; its inverse undoes it."""

    def __init__(self, add: Any = 0.0, multiply: Any = 1.0) -> None:
        self.add = torch.as_tensor(add, dtype=torch.float32)
        self.multiply = torch.as_tensor(multiply, dtype=torch.float32)

    def perform(self, X: torch.Tensor) -> torch.Tensor:
        return (X + self.add.to(X)) * self.multiply.to(X)

    def inverse(self) -> Block:
        return _InverseAddScale(self)


class _InverseAddScale(Block):
    def __init__(self, forward: ExamplewiseAddScaleTransform) -> None:
        self.forward = forward

    def perform(self, X: torch.Tensor) -> torch.Tensor:
        return X / self.forward.multiply.to(X) - self.forward.add.to(X)


def apply_transformer(transformer: Any, X: torch.Tensor) -> torch.Tensor:
    """Run a Block or a trained model on a batch (``perform``, ``encode``, ``upward_pass`` or
    ``fprop``, whichever it offers first)."""
    for method in ("perform", "encode", "upward_pass", "fprop"):
        fn = getattr(transformer, method, None)
        if callable(fn):
            return fn(X)
    raise TypeError(f"{type(transformer).__name__} cannot transform data: it has none of "
                    "perform, encode, upward_pass or fprop.")
