"""``make_downsampled_stl10.py``: prepare STL-10 downsampled to 32x32 and centred (the recipe
is in ``_prepare.RECIPES``)."""

import functools

from pylearn2.scripts.datasets._prepare import make_parser as _make_parser
from pylearn2.scripts.datasets._prepare import recipe_main

main = recipe_main("make_downsampled_stl10")
make_parser = functools.partial(_make_parser, "make_downsampled_stl10")

if __name__ == "__main__":
    raise SystemExit(main())
