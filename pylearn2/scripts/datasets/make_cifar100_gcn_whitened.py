"""``make_cifar100_gcn_whitened.py``: prepare CIFAR-100 contrast normalised (GCN scale 55) and
ZCA-whitened (the recipe is in ``_prepare.RECIPES``)."""

import functools

from pylearn2.scripts.datasets._prepare import make_parser as _make_parser
from pylearn2.scripts.datasets._prepare import recipe_main

main = recipe_main("make_cifar100_gcn_whitened")
make_parser = functools.partial(_make_parser, "make_cifar100_gcn_whitened")

if __name__ == "__main__":
    raise SystemExit(main())
