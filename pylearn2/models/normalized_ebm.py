"""An energy-based model with a learned estimate of its log partition function, so that
``log_prob`` is available (e.g. for noise-contrastive estimation)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from pylearn2.models.model import Model


class NormalizedEBM(Model):
    """``log p(x) = -ebm.free_energy(x) - logZ``.

    Parameters
    ----------
    ebm : a model with ``free_energy(X)``. init_logZ : initial log Z.
    learn_logZ : train log Z with the model's other parameters (otherwise it is fixed).
    logZ_lr_scale : the learning-rate scaler of log Z (the stored driver is
        ``logZ / logZ_lr_scale``, so plain SGD on the driver moves log Z at that rate).
    """

    def __init__(self, ebm: Any, init_logZ: float, learn_logZ: bool,
                 logZ_lr_scale: float = 1.0) -> None:
        super().__init__()
        self.ebm, self.learn_logZ = ebm, bool(learn_logZ)
        self.logZ_lr_scale = float(logZ_lr_scale)
        self.logZ_driver = torch.nn.Parameter(
            torch.tensor(float(init_logZ) / self.logZ_lr_scale), requires_grad=self.learn_logZ)
        self.batches_seen = self.examples_seen = 0

    @property
    def logZ(self) -> torch.Tensor:
        return self.logZ_driver * self.logZ_lr_scale

    def get_input_space(self):
        return self.ebm.get_input_space()

    def log_prob(self, X: torch.Tensor) -> torch.Tensor:
        return -self.ebm.free_energy(X) - self.logZ

    def free_energy(self, X: torch.Tensor) -> torch.Tensor:
        return self.ebm.free_energy(X)

    def get_params(self) -> list[torch.nn.Parameter]:
        params = list(self.ebm.get_params())
        return params + [self.logZ_driver] if self.learn_logZ else params

    def has_constraints(self) -> bool:
        return self.ebm.has_constraints()

    def enforce_constraints(self) -> None:
        self.ebm.enforce_constraints()

    def get_weights(self) -> np.ndarray:
        return self.ebm.get_weights()

    def get_weights_format(self):
        return self.ebm.get_weights_format()


__all__ = ["NormalizedEBM"]
