"""``grbm_smd_make_dataset.py``: prepare the GRBM tutorial's data: 8x8 contrast-normalised,
whitened CIFAR-10 patches (tutorials/grbm_smd/make_dataset.py) (the recipe is in
``_prepare.RECIPES``)."""

import functools

from pylearn2.scripts.datasets._prepare import make_parser as _make_parser
from pylearn2.scripts.datasets._prepare import recipe_main

main = recipe_main("grbm_smd_make_dataset")
make_parser = functools.partial(_make_parser, "grbm_smd_make_dataset")

if __name__ == "__main__":
    raise SystemExit(main())
