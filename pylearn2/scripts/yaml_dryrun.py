"""Check a YAML experiment file without training: ``yaml_dryrun.py FILE.yaml [PATH=VALUE ...]``.

The experiment is built (datasets are loaded), set up, and one small batch goes through
model, cost, learning rule and monitor; every problem found is printed with its YAML
location (see pylearn2.train_checks). Exit status 0 when there are no errors, 2 otherwise.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from pylearn2.scripts._common import add_allow_flag, run_cli
from pylearn2.scripts._experiment import add_experiment_flags


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="yaml_dryrun.py",
        description="Build a YAML experiment, push one small batch through model, cost, "
                    "learning rule and monitor, and report every problem found (with its "
                    "file and line) before a long run.")
    parser.add_argument("config", metavar="FILE.yaml", help="the YAML file to check")
    add_experiment_flags(parser)
    parser.add_argument("-N", "--no-instantiate", action="store_true",
                        help="only parse the YAML and check its tags; build nothing")
    parser.add_argument("--no-batch", action="store_true",
                        help="build and check the objects, but push no batch through them")
    add_allow_flag(parser)
    return parser


def check_jobs(jobs: list[Any], nodes: dict[int, Any], source: str, run: bool = True) -> int:
    """Print the problems of every Train in ``jobs``; 2 when any is an error, else 0."""
    from pylearn2.train_checks import Report, check_experiment

    errors = warnings = checked = 0
    for job in jobs:
        from pylearn2.train import Train

        if hasattr(job, "main_loop") and not isinstance(job, Train):
            print(f"{source}: built a {type(job).__name__}; its Train objects are checked when "
                  "they run.")
            continue
        if not hasattr(job, "main_loop"):
            report = Report(nodes, source)
            report.error(job, None, f"the top-level object is a {type(job).__name__}, not a "
                                    "Train; start the file with !obj:pylearn2.train.Train {...}.")
        else:
            report = check_experiment(job, nodes, source, run=run)
            checked += 1
        for problem in report.problems:
            print(problem)
        errors += len(report.errors)
        warnings += len(report.warnings)
    if errors:
        print(f"{source}: {errors} error(s), {warnings} warning(s); fix the errors before "
              "training.")
        return 2
    kinds = ", ".join(dict.fromkeys(type(job).__name__ for job in jobs))
    pushed = " and pushed one batch through it" if checked and run else ""
    print(f"Successfully built a {kinds} from {source}{pushed}: no errors, {warnings} "
          "warning(s).")
    return 0


def run(args: argparse.Namespace) -> int:
    from pylearn2.config import yaml_parse
    from pylearn2.scripts._experiment import load_experiment

    if args.no_instantiate:
        yaml_parse.load_path(args.config, instantiate=False)
        print(f"Successfully parsed {args.config}")
        return 0
    experiment = load_experiment(args)
    if args.print_config:
        print(experiment.resolved_yaml(), end="")
        return 0
    built, nodes = experiment.build()
    jobs = built if isinstance(built, list) else [built]
    return check_jobs(jobs, nodes, args.config, run=not args.no_batch)


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
