"""``make_cifar100_patches.py``: prepare 6x6 contrast-normalised, whitened patches of the
CIFAR-100 train set (the recipe is in ``_prepare.RECIPES``)."""

import functools

from pylearn2.scripts.datasets._prepare import make_parser as _make_parser
from pylearn2.scripts.datasets._prepare import recipe_main

main = recipe_main("make_cifar100_patches")
make_parser = functools.partial(_make_parser, "make_cifar100_patches")

if __name__ == "__main__":
    raise SystemExit(main())
