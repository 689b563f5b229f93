"""Loading an experiment for ``train`` and ``yaml-dryrun``: overrides, seed, run folder."""

from __future__ import annotations

import argparse
import dataclasses
import os
from typing import Any

from pylearn2.config import overrides as ov
from pylearn2.config import yaml_parse
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.progress import startup_status

OUTPUT_ARGUMENTS = ("save_path", "log_dir")


def add_experiment_flags(parser: argparse.ArgumentParser) -> None:
    """PATH=VALUE overrides, --set, --seed, --deterministic, --print-config."""
    parser.intermixed = True  # type: ignore[attr-defined]  (run_cli: overrides among flags)
    parser.add_argument("overrides", nargs="*", metavar="PATH=VALUE",
                        help="change the experiment, e.g. algorithm.learning_rate=0.1 "
                             "model.layers[0].dim=256 (values are YAML)")
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                        dest="set_overrides", help="same as a PATH=VALUE argument (repeatable)")
    parser.add_argument("--seed", type=int, default=None, metavar="N",
                        help="seed every seeded part (model init, shuffling, noise, datasets) "
                             "and torch/numpy/random from N; recorded with the run")
    parser.add_argument("--deterministic", action="store_true",
                        help="use torch's deterministic algorithms (slower on some GPUs)")
    parser.add_argument("--print-config", action="store_true",
                        help="print the resolved experiment (after overrides and ${VAR}) and exit")


@dataclasses.dataclass
class Experiment:
    path: str
    graph: Any
    environ: dict[str, str]
    seeds: dict[str, int]
    run_dir: str | None = None

    def resolved_yaml(self) -> str:
        return ov.resolved_yaml(self.graph, self.environ)

    def build(self) -> tuple[Any, dict[int, Any]]:
        """The object graph, built: datasets load and preprocess here, so slow work gets
        the start-up spinner and a 'loading the experiment took N s' log line."""
        with startup_status("loading the experiment"):
            obj, builder = ov.build(self.graph, self.environ)
        return obj, builder.nodes


def load_experiment(args: argparse.Namespace, run_dir_base: str | None = None) -> Experiment:
    """Parse ``args.config``, apply overrides and the seed, and place outputs in a run folder."""
    path = args.config
    if not os.path.exists(path):
        raise ConfigError(f"{path}: no such file; give the path of a YAML experiment file.")
    environ = yaml_parse.train_file_environ(path)
    os.environ.update(environ)
    graph = yaml_parse.load_path(path, instantiate=False)
    graph = ov.apply_overrides(graph, list(args.overrides) + list(args.set_overrides))
    seeds = ov.seed_everything(graph, args.seed) if args.seed is not None else {}
    if getattr(args, "deterministic", False):
        import torch

        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
    run_dir = None
    if run_dir_base:
        from pylearn2.utils.run_dir import new_run_dir

        run_dir = new_run_dir(run_dir_base, environ["PYLEARN2_TRAIN_FILE_STEM"])
        _move_outputs(graph, run_dir, environ)
        os.environ["PYLEARN2_TRAIN_FILE_FULL_STEM"] = os.path.join(
            run_dir, environ["PYLEARN2_TRAIN_FILE_STEM"])
    return Experiment(path, graph, environ, seeds, run_dir)


def _move_outputs(graph: Any, run_dir: str, environ: dict[str, str]) -> None:
    """Point every save_path/log_dir of the experiment into ``run_dir``."""
    from pylearn2.utils.string_utils import preprocess

    for _, node in ov.iter_nodes(graph):
        if not isinstance(node, yaml_parse.Proxy):
            continue
        for key in list(node.kwargs):
            value = node.kwargs[key]
            if key in OUTPUT_ARGUMENTS and isinstance(value, str) and value:
                name = os.path.basename(preprocess(value, environ).rstrip("/\\")) or key
                node.kwargs[key] = os.path.join(run_dir, name)


def resolved_yaml_path(train: Any, run_dir: str | None, stem: str) -> str | None:
    """Where a run keeps its resolved experiment: beside its model (or in its run folder)."""
    if run_dir:
        return os.path.join(run_dir, f"{stem}.resolved.yaml")
    save_path = train.save_path if train.save_path is not None else train._default_save_path()
    if not save_path:
        return None
    return os.path.splitext(save_path)[0] + ".resolved.yaml"
