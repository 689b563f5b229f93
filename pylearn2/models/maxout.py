"""Maxout layers: ``!obj:pylearn2.models.maxout.Maxout`` and ``MaxoutConvC01B``."""

from pylearn2.models.mlp.conv import MaxoutConvC01B
from pylearn2.models.mlp.maxout import Maxout

__all__ = ["Maxout", "MaxoutConvC01B"]
from pylearn2.models.mlp.maxout_local import MaxoutLocalC01B  # noqa: F401,E402 (new module, original path)
