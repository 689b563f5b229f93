"""``lcc_tangents_make_dataset.py``: prepare the local-coordinate-coding data: centred,
contrast-normalised CIFAR-10 projected on its top principal components
(lcc_tangents/make_dataset.py) (the recipe is in ``_prepare.RECIPES``)."""

import functools

from pylearn2.scripts.datasets._prepare import make_parser as _make_parser
from pylearn2.scripts.datasets._prepare import recipe_main

main = recipe_main("lcc_tangents_make_dataset")
make_parser = functools.partial(_make_parser, "lcc_tangents_make_dataset")

if __name__ == "__main__":
    raise SystemExit(main())
