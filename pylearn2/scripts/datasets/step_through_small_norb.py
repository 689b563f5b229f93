"""``step_through_small_norb.py --which_set train --start 10 --out pairs.png``: the
small NORB's pairs in order with their labels (the classic tool stepped one pair per
key press); the same tool as ``browse_small_norb.py``, with no label chosen."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from pylearn2.scripts._common import run_cli
from pylearn2.scripts.datasets import browse_small_norb

make_parser = functools.partial(browse_small_norb.make_parser, "step_through_small_norb.py")


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, browse_small_norb.run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
