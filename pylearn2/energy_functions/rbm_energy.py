"""Energy-function variants of Gaussian-binary RBMs, chosen in YAML by factory.

``GRBM_Type_1``: E(v, h) = 1/2 ||(v - b) / sigma||^2 - c.h - (v / sigma^2)^T W h, whose
free energy is F(v) = 1/2 ||(v - b) / sigma||^2 - sum_j softplus(c_j + ((v / sigma^2)^T W)_j).
"""

from __future__ import annotations


class GRBM_Type_1:
    """Marker class selecting the type-1 Gaussian-binary energy above."""

    name = "grbm_type_1"


def grbm_type_1() -> type:
    """The type-1 energy (used in YAML as ``!obj:...rbm_energy.grbm_type_1 {}``)."""
    return GRBM_Type_1
