"""Stacks of per-fold transformers for cross-validated pipelines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pylearn2.blocks import StackedBlocks
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.init_args import InitArgsMixin


class StackedBlocksCV(InitArgsMixin):
    """One StackedBlocks per fold.

    Parameters
    ----------
    layers : list of lists, ``layers[i][k]`` being layer ``i``'s model for fold ``k``.
    """

    def __init__(self, layers: Sequence[Sequence[Any]]) -> None:
        if not layers:
            raise ConfigError("StackedBlocksCV needs at least one layer.")
        n_folds = len(layers[0])
        if any(len(layer) != n_folds for layer in layers):
            raise ConfigError("StackedBlocksCV: every layer needs one model per fold "
                              f"(lengths {[len(layer) for layer in layers]}).")
        self.layers = [list(layer) for layer in layers]
        self._folds = [StackedBlocks([layer[k] for layer in layers]) for k in range(n_folds)]

    def select_fold(self, k: int) -> StackedBlocks:
        """The stack for fold ``k``."""
        return self._folds[k]

    def get_input_space(self) -> Any:
        return self._folds[0].get_input_space()

    def get_output_space(self) -> Any:
        return self._folds[0].get_output_space()

    def set_input_space(self, space: Any) -> None:
        for fold in self._folds:
            this_space = space
            for layer in fold.layers:
                layer.set_input_space(this_space)
                this_space = layer.get_output_space()
