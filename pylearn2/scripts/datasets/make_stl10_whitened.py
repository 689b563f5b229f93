"""``make_stl10_whitened.py``: prepare downsampled STL-10, ZCA-whitened (the recipe is in
``_prepare.RECIPES``)."""

import functools

from pylearn2.scripts.datasets._prepare import make_parser as _make_parser
from pylearn2.scripts.datasets._prepare import recipe_main

main = recipe_main("make_stl10_whitened")
make_parser = functools.partial(_make_parser, "make_stl10_whitened")

if __name__ == "__main__":
    raise SystemExit(main())
