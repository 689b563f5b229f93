"""Cross-validation with MLPs: a pretrained layer that differs per fold."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pylearn2.models.mlp import Layer
from pylearn2.models.mlp.structure import PretrainedLayer
from pylearn2.utils.exc import ConfigError


class PretrainedLayerCV(Layer):
    """One PretrainedLayer per fold; TrainCV puts fold ``k``'s in place for fold ``k``.

    Parameters
    ----------
    layer_name : the layer's name.
    layer_content : the pretrained models, one per fold (e.g. the models a previous
        TrainCV saved, read back with ``load_models``).
    freeze_params : do not train the pretrained parameters further.
    """

    def __init__(self, layer_name: str, layer_content: Sequence[Any],
                 freeze_params: bool = False) -> None:
        super().__init__()
        if not layer_content:
            raise ConfigError(f"PretrainedLayerCV {layer_name!r}: layer_content is empty.")
        self.layer_name = layer_name
        self.layer_content = list(layer_content)
        self.freeze_params = freeze_params
        self._folds = [PretrainedLayer(layer_name, content, freeze_params)
                       for content in self.layer_content]

    def select_fold(self, k: int) -> PretrainedLayer:
        """The layer of fold ``k``."""
        if not 0 <= k < len(self._folds):
            raise ConfigError(f"PretrainedLayerCV {self.layer_name!r} has {len(self._folds)} "
                              f"folds; fold {k} does not exist.")
        return self._folds[k]

    def set_input_space(self, space: Any) -> None:
        for fold in self._folds:
            fold.set_input_space(space)
        self.input_space = space

    def get_output_space(self) -> Any:
        return self._folds[0].get_output_space()

    def fprop(self, state_below: Any) -> Any:
        raise ConfigError(f"PretrainedLayerCV {self.layer_name!r} stands for one layer per "
                          "fold: train it inside TrainCV, which selects each fold's layer.")
