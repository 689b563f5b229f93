"""``black_box_make_submission.py MODEL OUT.csv``: the black box contest's submission
file (one predicted class per line, numbered from 1 and written as ``3.0``, as the
contest's files number them)."""

import functools

from pylearn2.scripts.icml_2013_wrepl._submission import make_parser as _make_parser
from pylearn2.scripts.icml_2013_wrepl._submission import submission_main

PROG, CONTEST = "black_box_make_submission.py", "black box learning"
main = submission_main(PROG, CONTEST, lambda label: f"{label + 1:d}.0")
make_parser = functools.partial(_make_parser, PROG, CONTEST)

if __name__ == "__main__":
    raise SystemExit(main())
