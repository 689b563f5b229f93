"""``emotions_make_submission.py MODEL OUT.csv``: the facial-expression contest's
submission file (one predicted expression, 0..6, per line)."""

import functools

from pylearn2.scripts.icml_2013_wrepl._submission import make_parser as _make_parser
from pylearn2.scripts.icml_2013_wrepl._submission import submission_main

PROG, CONTEST = "emotions_make_submission.py", "facial expression"
main = submission_main(PROG, CONTEST, lambda label: f"{label:d}")
make_parser = functools.partial(_make_parser, PROG, CONTEST)

if __name__ == "__main__":
    raise SystemExit(main())
