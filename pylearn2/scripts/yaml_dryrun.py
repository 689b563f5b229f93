"""Check a YAML experiment file without training: ``yaml_dryrun.py FILE.yaml``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from pylearn2.scripts._common import add_allow_flag, run_cli


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="yaml_dryrun.py",
        description="Parse a YAML experiment file and build its objects (datasets are loaded, "
                    "nothing is trained) to find mistakes before a long run.")
    parser.add_argument("config", metavar="FILE.yaml", help="the YAML file to check")
    parser.add_argument("-N", "--no-instantiate", action="store_true",
                        help="only parse the YAML and check its tags; build nothing")
    add_allow_flag(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from pylearn2.config import yaml_parse

    result = yaml_parse.load_path(args.config, instantiate=False) if args.no_instantiate else \
        yaml_parse.load_train_file(args.config)
    what = "parsed" if args.no_instantiate else f"built a {type(result).__name__}"
    print(f"Successfully {what} from {args.config}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
