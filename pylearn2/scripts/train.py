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
from pylearn2.scripts._experiment import add_experiment_flags
from pylearn2.utils.exc import ConfigError

log = logging.getLogger("pylearn2.train")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="train.py", description="Train a model from a YAML experiment file.")
    parser.add_argument("config", help="the YAML file describing a Train object (or a list)")
    add_experiment_flags(parser)
    parser.add_argument("--check", action="store_true",
                        help="check the experiment as yaml-dryrun does (one small batch through "
                             "model, cost, learning rule and monitor) and exit")
    parser.add_argument("--run-dir", default=None, metavar="DIR",
                        help="write every output of the run (model, best model, CSV, events, "
                             "resolved YAML, run.json) into a new folder DIR/<name>-<timestamp>/")
    parser.add_argument("-t", "--time-budget", type=float, default=None, metavar="SECONDS",
                        help="stop after this many seconds of training (checked between epochs)")
    parser.add_argument("--resume", action="store_true",
                        help="continue from <save_path>.ckpt if it exists (bit-identical to an "
                             "uninterrupted run)")
    parser.add_argument("--resume-mismatch", choices=("error", "continue"), default=None,
                        help="with --resume: 'continue' restores the parts of the checkpoint that "
                             "match when its extensions or update callbacks differ from the "
                             "file's (default: refuse, naming the keys)")
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
    parser.add_argument("--threads", type=int, default=None, metavar="N",
                        help="torch compute threads (default: the cores this process may use)")
    parser.add_argument("--compile", action="store_true",
                        help="compile the training step and the monitor's pass with "
                             "torch.compile (the algorithm's compile: true; falls back to "
                             "eager with a log line; see docs/speed.md)")
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
    from pylearn2.utils.threads import configure_threads

    configure_threads(args.threads)
    from pylearn2.scripts._experiment import load_experiment

    quick = args.print_config or args.check
    experiment = load_experiment(args, None if quick else args.run_dir)
    if args.print_config:
        print(experiment.resolved_yaml(), end="")
        return 0
    if args.seed is not None:
        log.info("Seed %d: %s", args.seed,
                 ", ".join(f"{k}={v}" for k, v in experiment.seeds.items()) or "no seeded "
                 "arguments; torch, numpy and random seeded")
    train_obj, nodes = experiment.build()
    jobs = train_obj if isinstance(train_obj, list) else [train_obj]
    if args.check:
        from pylearn2.scripts.yaml_dryrun import check_jobs

        return check_jobs(jobs, nodes, args.config)
    for number, job in enumerate(jobs, start=1):
        if not hasattr(job, "main_loop"):
            raise ConfigError(
                f"{args.config}: the top-level object is a {type(job).__name__}, not a Train; "
                "start the file with !obj:pylearn2.train.Train {...}."
            )
        if len(jobs) > 1:
            os.environ["PYLEARN2_TRAIN_PHASE"] = f"phase{number}"
            log.info("Phase %d of %d", number, len(jobs))
        _prepare_outputs(job, experiment, nodes, args, number if len(jobs) > 1 else None)
        if args.compile and hasattr(job.algorithm, "compile"):
            job.algorithm.compile = True
        kwargs = {"time_budget": args.time_budget}
        if args.resume:
            kwargs["resume"] = True
        if args.resume_mismatch is not None:
            job.resume_mismatch = args.resume_mismatch
        job.main_loop(**kwargs)
        if getattr(job, "save_path", None):
            log.info("Model saved to %s; inspect it with: pylearn2 print-monitor %s",
                     job.save_path, job.save_path)
    return 0


def _prepare_outputs(job, experiment, nodes, args: argparse.Namespace, phase: int | None) -> None:
    """Before training: refuse clashes, warn of a missing stop rule, keep earlier outputs,
    and write the resolved experiment (and run.json in a run folder)."""
    from pylearn2.scripts._experiment import resolved_yaml_path
    from pylearn2.train import Train
    from pylearn2.train_checks import Report, check_static, output_paths
    from pylearn2.utils.run_dir import keep_earlier_outputs, write_run_json

    if not isinstance(job, Train):  # e.g. TrainCV: its own Train objects check themselves
        return
    report = Report(nodes, args.config)
    check_static(job, report)
    if report.errors:
        raise ConfigError("; ".join(f"{p.where}: {p.message}" for p in report.errors))
    for problem in report.warnings:
        log.warning("%s", problem)
    stem = experiment.environ["PYLEARN2_TRAIN_FILE_STEM"] + (f".phase{phase}" if phase else "")
    resolved = resolved_yaml_path(job, experiment.run_dir, stem)
    from pylearn2.utils import distributed

    job.lock_outputs()  # before anything is moved: a run still writing here refuses this one
    if not args.resume and distributed.is_main():
        keep_earlier_outputs(output_paths(job) + [resolved])
    job.outputs_prepared = True  # Train.setup need not check or move them again
    if args.seed is not None:
        job.model.tag["seed"] = args.seed
    if resolved:
        os.makedirs(os.path.dirname(os.path.abspath(resolved)), exist_ok=True)
        with open(resolved, "w", encoding="utf-8") as handle:
            handle.write(experiment.resolved_yaml())
        log.info("Resolved experiment written to %s", resolved)
    if experiment.run_dir:
        write_run_json(experiment.run_dir, args.seed, experiment.seeds,
                       command=getattr(args, "command_line", None),
                       overrides=list(args.overrides) + list(args.set_overrides),
                       deterministic=bool(args.deterministic), config=args.config)
        log.info("Run folder: %s", experiment.run_dir)


def train(config: str, level_name: bool | None = None, timestamp: bool | None = None,
          time_budget: float | None = None, verbose_logging: bool | None = None,
          debug: bool | None = None, environ: dict | None = None,
          skip_exceptions: bool = False) -> int:
    """Train the experiment in the YAML file ``config``, as ``pylearn2 train`` does (the
    original Pylearn2's Python entry point). ``environ`` adds variables for the file's
    ``${...}``; with ``skip_exceptions`` a failing job is logged and the rest still run."""
    argv = [config]
    argv += ["--level-name"] if level_name else []
    argv += ["--timestamp"] if timestamp else []
    argv += ["--verbose-logging"] if verbose_logging else []
    argv += ["--debug"] if debug else []
    argv += ["--time-budget", str(time_budget)] if time_budget is not None else []
    saved = {k: os.environ.get(k) for k in (environ or {})}
    os.environ.update({k: str(v) for k, v in (environ or {}).items()})
    try:
        return run(make_parser().parse_args(argv))
    except Exception:
        if not skip_exceptions:
            raise
        log.exception("Training %s failed; skipping it.", config)
        return 1
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(make_parser, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
