"""Softmax regression: an MLP with a single Softmax layer named 'y'."""

from __future__ import annotations

from typing import Any

from pylearn2.models.mlp import MLP, Softmax
from pylearn2.space import Space


class SoftmaxRegression(MLP):
    """Multinomial logistic regression, so channels read ``<dataset>_y_misclass`` etc."""

    def __init__(
        self,
        n_classes: int,
        batch_size: int | None = None,
        input_space: Space | None = None,
        irange: float | None = None,
        istdev: float | None = None,
        W_lr_scale: float | None = None,
        b_lr_scale: float | None = None,
        max_row_norm: float | None = None,
        max_col_norm: float | None = None,
        sparse_init: int | None = None,
        init_bias_target_marginals: Any = None,
        nvis: int | None = None,
        seed: Any = None,
    ) -> None:
        layer = Softmax(
            n_classes=n_classes, layer_name="y", irange=irange, istdev=istdev,
            sparse_init=sparse_init, W_lr_scale=W_lr_scale, b_lr_scale=b_lr_scale,
            max_row_norm=max_row_norm, max_col_norm=max_col_norm,
            init_bias_target_marginals=init_bias_target_marginals,
        )
        super().__init__(layers=[layer], batch_size=batch_size, input_space=input_space,
                         nvis=nvis, seed=seed)
