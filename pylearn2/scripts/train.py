"""Run an experiment described by a YAML file: ``train.py job.yaml``.

The file builds a :class:`pylearn2.train.Train` object (or a list of them, run in order
as phase1, phase2, ...). The PYLEARN2_TRAIN_* environment variables are set from the
file name first, so the YAML can say ``save_path: "${PYLEARN2_TRAIN_DIR}best.pkl"``.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence

from pylearn2.scripts._common import add_allow_flag, run_cli, setup_logging
from pylearn2.utils.exc import ConfigError

log = logging.getLogger("pylearn2.train")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="train.py", description="Train a model from a YAML experiment file.")
    parser.add_argument("config", help="the YAML file describing a Train object (or a list)")
    parser.add_argument("-t", "--time-budget", type=float, default=None, metavar="SECONDS",
                        help="stop after this many seconds of training (checked between epochs)")
    parser.add_argument("--resume", action="store_true",
                        help="continue from <save_path>.ckpt if it exists (bit-identical to an "
                             "uninterrupted run)")
    parser.add_argument("-V", "--verbose-logging", action="store_true",
                        help="log every monitor channel after each epoch (DEBUG level)")
    parser.add_argument("-D", "--debug", action="store_true", help="same as --verbose-logging")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="only warnings and errors; no progress bar")
    parser.add_argument("-T", "--timestamp", action="store_true",
                        help="prefix log lines with the time")
    parser.add_argument("-L", "--level-name", action="store_true",
                        help="prefix log lines with their level")
    parser.add_argument("--device", default=None,
                        help="cpu, cuda or cuda:N (default: PYLEARN2_DEVICE, else cuda if "
                             "available)")
    add_allow_flag(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    if int(os.environ.get("RANK", "0")) > 0:  # under torchrun only rank 0 talks
        args.quiet = True
    setup_logging(args.verbose_logging or args.debug, args.quiet, args.timestamp, args.level_name)
    if args.quiet:
        os.environ["PYLEARN2_PROGRESS"] = "off"
    if args.device:
        os.environ["PYLEARN2_DEVICE"] = args.device
    from pylearn2.config.yaml_parse import load_train_file

    if not os.path.exists(args.config):
        raise ConfigError(f"{args.config}: no such file; give the path of a YAML experiment file.")
    train_obj = load_train_file(args.config)
    jobs = train_obj if isinstance(train_obj, list) else [train_obj]
    for number, job in enumerate(jobs, start=1):
        if not hasattr(job, "main_loop"):
            raise ConfigError(
                f"{args.config}: the top-level object is a {type(job).__name__}, not a Train; "
                "start the file with !obj:pylearn2.train.Train {...}."
            )
        if len(jobs) > 1:
            os.environ["PYLEARN2_TRAIN_PHASE"] = f"phase{number}"
            log.info("Phase %d of %d", number, len(jobs))
        kwargs = {"time_budget": args.time_budget}
        if args.resume:
            kwargs["resume"] = True
        job.main_loop(**kwargs)
        if getattr(job, "save_path", None):
            log.info("Model saved to %s; inspect it with: pylearn2 print-monitor %s",
                     job.save_path, job.save_path)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
