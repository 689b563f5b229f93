"""A view converter for datasets whose design matrix holds PCA (or other) codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


class PCA_ViewConverter:  # noqa: N801 - the classic name
    """Lets a dataset stored as codes still show images: ``to_input`` maps codes back to
    the original design matrix, ``to_pca`` the other way, ``to_weights`` maps weight
    vectors in code space to input space; ``orig_view_converter`` does the rest.
    """

    def __init__(self, to_pca: Callable[[np.ndarray], np.ndarray],
                 to_input: Callable[[np.ndarray], np.ndarray],
                 to_weights: Callable[[np.ndarray], np.ndarray],
                 orig_view_converter: Any) -> None:
        self.to_pca = to_pca
        self.to_input = to_input
        self.to_weights = to_weights
        self.orig_view_converter = orig_view_converter

    @property
    def axes(self) -> Any:
        return self.orig_view_converter.axes

    @property
    def shape(self) -> Any:
        return self.orig_view_converter.shape

    def view_shape(self) -> Any:
        return self.orig_view_converter.shape

    def design_mat_to_topo_view(self, X: np.ndarray) -> np.ndarray:
        return self.orig_view_converter.design_mat_to_topo_view(self.to_input(X))

    def design_mat_to_weights_view(self, X: np.ndarray) -> np.ndarray:
        converter = self.orig_view_converter
        weights = self.to_weights(X)
        if hasattr(converter, "design_mat_to_weights_view"):
            return converter.design_mat_to_weights_view(weights)
        return converter.design_mat_to_topo_view(weights)

    def topo_view_to_design_mat(self, V: np.ndarray) -> np.ndarray:
        return self.to_pca(self.orig_view_converter.topo_view_to_design_mat(V))
