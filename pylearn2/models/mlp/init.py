"""Old home of :mod:`pylearn2.models.mlp.initializers` (kept so existing imports work)."""

from pylearn2.models.mlp.initializers import init_weights, make_rng  # noqa: F401
