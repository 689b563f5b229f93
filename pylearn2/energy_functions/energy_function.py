"""The energy-function interface: an object that scores configurations of a model's units."""

from __future__ import annotations

from typing import Any

import torch


class EnergyFunction:
    """Base class: ``free_energy(X)`` per example, ``energy([V, H])``, and ``score(X)``.

    ``score`` defaults to ``-dF/dX`` by autograd, the sign every estimator here uses
    (score matching matches ``-dF/dX`` to the data's score); subclasses with a closed
    form override it.
    """

    def free_energy(self, X: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not define free_energy(X).")

    def energy(self, varlist: Any) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not define energy([V, H]).")

    def score(self, X: torch.Tensor) -> torch.Tensor:
        with torch.enable_grad():
            x = X if X.requires_grad else X.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(self.free_energy(x).sum(), x, create_graph=True)
        return -grad

    def __call__(self, varlist: Any) -> torch.Tensor:
        return self.energy(varlist)
