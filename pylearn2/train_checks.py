"""Checks of a built experiment before (or instead of) training: the dry run.

:func:`check_experiment` looks at a :class:`~pylearn2.train.Train` for the mistakes that
otherwise surface hours later or never: the model's input size against the data, the
number of classes against the labels, monitoring datasets in the wrong container,
non-positive learning rates or batch sizes, batches larger than the dataset, output files
that ``allow_overwrite: False`` would refuse, a missing termination criterion, and
channel names (criteria, extensions) that the monitor will not have. With ``run=True`` it
also sets the experiment up and pushes one small batch through model, cost, learning rule
and monitor. Every problem is collected (not just the first), each located by the YAML
file and line of the argument at fault when the experiment came from a file.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Mapping
from typing import Any

import torch

from pylearn2.train_extensions.base import extension_output_paths
from pylearn2.utils.exc import did_you_mean

_PUBLISHING_ARGS = ("channel_to_publish",)
_SKIPPED_CHANNEL_ARGS = ("prev_channel_name",)  # names in an earlier stage's monitor


@dataclasses.dataclass
class Problem:
    level: str  # "error" or "warning"
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.level}: {self.message}"


class Report:
    """Problems found, located through the YAML nodes that built each object (if known)."""

    def __init__(self, nodes: Mapping[int, Any] | None = None, source: str = "<python>") -> None:
        self.nodes = nodes or {}
        self.source = source
        self.problems: list[Problem] = []
        self.blocking = False  # a problem that stops the experiment from running at all

    def where(self, obj: Any, arg: str | None = None) -> str:
        node = self.nodes.get(id(obj))
        if node is None:
            name = type(obj).__name__
            return f"{self.source} ({name}.{arg})" if arg else f"{self.source} ({name})"
        if arg is not None:
            for key in node.kwargs:
                if key == arg and hasattr(key, "where"):
                    return f"{key.where} ({arg})"
            return f"{node.where} ({node.path}, argument {arg} not given)"
        return str(node.where)

    def error(self, obj: Any, arg: str | None, message: str, blocking: bool = False) -> None:
        self.problems.append(Problem("error", self.where(obj, arg), message))
        self.blocking = self.blocking or blocking

    def warning(self, obj: Any, arg: str | None, message: str) -> None:
        self.problems.append(Problem("warning", self.where(obj, arg), message))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]


# -- what a run writes -------------------------------------------------------------------
def output_paths(train: Any) -> list[str]:
    """The files and folders a run of ``train`` writes (model, checkpoint, CSV, best, events)."""
    save_path = train.save_path if train.save_path is not None else train._default_save_path()
    paths: list[str] = []
    if save_path:
        paths.append(save_path)
        if getattr(train, "checkpoint", False):
            paths.append(f"{save_path}.ckpt")
        if getattr(train, "csv_log", False):
            paths.append(os.path.splitext(save_path)[0] + ".csv")
    for ext in getattr(train, "extensions", []):
        paths.extend(extension_output_paths(ext))
    return list(dict.fromkeys(paths))


def yaml_output_problems(train: Any) -> list[str]:
    """For an experiment built from YAML (it has a ``yaml_src``): a message for each
    extension output outside the output roots and its save_path's folder
    (pylearn2.utils.serial.write_guard). Experiments built in Python have none."""
    from pylearn2.utils.exc import ConfigError
    from pylearn2.utils.serial.write_guard import check_output_path

    if getattr(train, "yaml_src", None) is None:
        return []
    save_path = train.save_path if train.save_path is not None else train._default_save_path()
    folder = os.path.dirname(os.path.abspath(save_path)) if save_path else None
    problems = []
    for extension in getattr(train, "extensions", []):
        for path in extension_output_paths(extension):
            try:
                check_output_path(path, f"{type(extension).__name__} (in a YAML experiment)",
                                  extra_roots=[folder])
            except ConfigError as err:
                problems.append(str(err))
    return problems


def check_outputs(train: Any, report: Report) -> None:
    """``allow_overwrite: False`` with outputs already present, extension outputs of a
    YAML experiment outside the output roots, and a missing stop rule."""
    from pylearn2.utils.run_dir import clashing

    for problem in yaml_output_problems(train):
        report.error(train, "extensions", problem)

    if not getattr(train, "allow_overwrite", True):
        existing = clashing(output_paths(train))
        if existing:
            report.error(train, "allow_overwrite",
                         f"allow_overwrite is False but {', '.join(existing)} already "
                         "exist(s); choose another save_path, remove them, or set "
                         "allow_overwrite: True (earlier outputs are then kept under "
                         "numbered names).")
    algorithm = getattr(train, "algorithm", None)
    if hasattr(algorithm, "termination_criterion") and algorithm.termination_criterion is None:
        report.warning(algorithm, "termination_criterion",
                       "no termination_criterion: training runs until it is interrupted; add "
                       "e.g. termination_criterion: !obj:pylearn2.termination_criteria."
                       "EpochCounter {max_epochs: 10}.")


def prepare_run_outputs(train: Any, resume: bool = False) -> None:
    """Before a run writes anything: refuse ``allow_overwrite: False`` clashes, warn of a
    missing termination criterion, and keep an earlier run's outputs under numbered names
    (not when resuming from a checkpoint). Done once per Train object."""
    import logging

    from pylearn2.utils import distributed
    from pylearn2.utils.exc import ConfigError
    from pylearn2.utils.run_dir import keep_earlier_outputs

    if getattr(train, "outputs_prepared", False):
        return
    report = Report()
    check_outputs(train, report)
    if report.errors:
        raise ConfigError(" ".join(p.message for p in report.errors))
    for problem in report.warnings:
        logging.getLogger("pylearn2.train").warning("%s", problem.message)
    checkpoint = getattr(train, "checkpoint_path", None)
    resuming = resume and checkpoint is not None and os.path.exists(checkpoint)
    if not resuming and distributed.is_main():
        keep_earlier_outputs(output_paths(train))
    train.outputs_prepared = True


# -- static checks -------------------------------------------------------------------------
def _datasets(algorithm: Any, report: Report) -> dict[str, Any]:
    monitoring = getattr(algorithm, "monitoring_dataset", None)
    if monitoring is None:
        return {}
    from pylearn2.datasets.dataset import Dataset

    if isinstance(monitoring, Dataset):
        return {"": monitoring}
    if not isinstance(monitoring, dict):
        report.error(algorithm, "monitoring_dataset",
                     f"monitoring_dataset must be a dataset or a mapping of names to datasets "
                     f"(e.g. {{'train': *train, 'valid': ...}}), got a "
                     f"{type(monitoring).__name__}.", blocking=True)
        return {}
    good = {}
    for name, ds in monitoring.items():
        if isinstance(ds, Dataset):
            good[name] = ds
        else:
            report.error(algorithm, "monitoring_dataset",
                         f"monitoring_dataset[{name!r}] is a {type(ds).__name__}, not a dataset.",
                         blocking=True)
    return good


def _positive(report: Report, obj: Any, names: tuple[str, ...]) -> None:
    for name in names:
        value = getattr(obj, name, None)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value <= 0:
            report.error(obj, name, f"{name} must be positive, got {value}.")


def _feature_dim(dataset: Any) -> int | None:
    X = getattr(dataset, "X", None)
    return int(X.shape[1]) if getattr(X, "ndim", 0) == 2 else None


def _label_info(dataset: Any) -> tuple[str, int] | None:
    """('onehot', width) or ('index', max label + 1) of a dataset's targets."""
    y = getattr(dataset, "y", None)
    if y is None or not hasattr(y, "ndim") or y.size == 0:
        return None
    if y.ndim == 2 and y.shape[1] > 1:
        return ("onehot", int(y.shape[1]))
    if y.dtype.kind in "iu":
        return ("index", int(y.max()) + 1)
    return None


def _model_input_dim(model: Any) -> int | None:
    try:
        return int(model.get_input_space().get_total_dimension())
    except Exception:
        return None


def _output_layer(model: Any) -> Any:
    layers = getattr(model, "layers", None)
    return layers[-1] if layers else model


def _check_shapes(model: Any, datasets: dict[str, Any], report: Report) -> None:
    from pylearn2.space import IndexSpace, VectorSpace

    dim = _model_input_dim(model)
    arg = "nvis" if "nvis" in getattr(model, "_init_args", {}) else "input_space"
    for name, ds in datasets.items():
        features = _feature_dim(ds)
        if dim is not None and features is not None and features != dim:
            report.error(model, arg, f"the model takes {dim} input values per example but the "
                                     f"{name or 'training'} dataset has {features}; set {arg} "
                                     f"to match the data ({features}).", blocking=True)
            break
    try:
        target_space = model.get_target_space()
    except Exception:
        return
    classes = target_space.max_labels if isinstance(target_space, IndexSpace) else \
        target_space.dim if isinstance(target_space, VectorSpace) else None
    if classes is None:
        return
    layer = _output_layer(model)
    arg = "n_classes" if hasattr(layer, "n_classes") else None
    for name, ds in datasets.items():
        info = _label_info(ds)
        if info is None:
            continue
        kind, needed = info
        if (kind == "onehot" and needed != classes) or (kind == "index" and needed > classes):
            what = (f"one-hot targets of width {needed}" if kind == "onehot"
                    else f"labels up to {needed - 1}")
            report.error(layer, arg, f"the model predicts {classes} classes but the "
                                     f"{name or 'training'} dataset has {what}; set "
                                     f"n_classes: {needed}.", blocking=True)
            break


def _check_batches(algorithm: Any, train_set: Any, monitored: dict[str, Any],
                   report: Report) -> None:
    batch = getattr(algorithm, "batch_size", None)
    n = _num_examples(train_set)
    if isinstance(batch, int) and n is not None and batch > n:
        report.error(algorithm, "batch_size", f"batch_size {batch} is larger than the training "
                                              f"dataset ({n} examples); use at most {n}.")
    mbatch = getattr(algorithm, "monitoring_batch_size", None) or batch
    for name, ds in monitored.items():
        m = _num_examples(ds)
        if isinstance(mbatch, int) and m is not None and mbatch > m:
            arg = "monitoring_batch_size" if getattr(algorithm, "monitoring_batch_size", None) \
                else "batch_size"
            report.error(algorithm, arg, f"monitoring batch size {mbatch} is larger than the "
                                         f"monitoring dataset {name!r} ({m} examples).")


def _num_examples(dataset: Any) -> int | None:
    try:
        return dataset.get_num_examples()
    except Exception:
        return None


def check_static(train: Any, report: Report) -> bool:
    """Checks that need no computation; returns False when the experiment cannot run."""
    from pylearn2.models.model import Model

    model, algorithm = train.model, train.algorithm
    if not isinstance(model, Model):
        from pylearn2.models.torch_module import wrap_hint

        report.error(train, "model", wrap_hint(model))
        return False
    check_outputs(train, report)
    _positive(report, algorithm, ("learning_rate", "batch_size", "monitoring_batch_size",
                                  "monitoring_batches", "batches_per_iter"))
    monitored = _datasets(algorithm, report)
    _check_shapes(model, {"": train.dataset, **monitored}, report)
    _check_batches(algorithm, train.dataset, monitored, report)
    return True


# -- running one batch ---------------------------------------------------------------------
def _one_batch(algorithm: Any, dataset: Any, specs: Any, size: int) -> tuple:
    iterator = dataset.iterator(mode="sequential", batch_size=size, num_batches=1,
                                data_specs=specs, return_tuple=True)
    return next(iter(iterator))


def run_one_batch(train: Any, report: Report, batch_size: int = 8) -> set[str] | None:
    """Set up, take one training step on a small batch, and run a one-batch monitor pass.

    Returns the channel names the monitor records (None when a stage failed).
    """
    from pylearn2.monitor import to_device

    algorithm, model = train.algorithm, train.model
    extensions = train.extensions
    train.extensions = [ext for ext in extensions if not _writes_files(ext)]
    try:
        train.setup(dry_run=True)
    except Exception as err:
        report.error(train, None, f"setting the experiment up failed: {_text(err)}")
        return None
    finally:
        train.extensions = extensions
    n = _num_examples(train.dataset)
    size = max(1, min(batch_size, getattr(algorithm, "batch_size", None) or batch_size,
                      n or batch_size))
    cost = getattr(algorithm, "cost", None)
    if cost is not None:
        try:
            specs = getattr(algorithm, "data_specs", None) or cost.get_data_specs(model)
            batch = _one_batch(algorithm, train.dataset, specs, size)
            if hasattr(algorithm, "train_step"):
                algorithm.train_step(batch)
            else:
                from pylearn2.space import CompositeSpace

                batch = to_device(batch, model.device())
                data = batch if isinstance(specs[0], CompositeSpace) else batch[0]
                with torch.no_grad():
                    cost.expr(model, data)
        except Exception as err:
            report.error(model, None, f"one training batch through model, cost and learning "
                                      f"rule failed: {_text(err)}")
            return None
    monitor = train.monitor
    for entry in getattr(monitor, "_datasets", {}).values():
        entry.batch_size, entry.num_batches = size, 1
    try:
        monitor()
    except Exception as err:
        report.error(algorithm, "monitoring_dataset", f"a one-batch monitor pass failed: "
                                                      f"{_text(err)}")
        return None
    return monitor.channel_names()  # the per-dataset names of parameter channels too


def _writes_files(extension: Any) -> bool:
    """Extensions that create files when set up are left out of a dry run's set-up."""
    return bool(extension_output_paths(extension))


def _text(err: Exception) -> str:
    text = str(err) or type(err).__name__
    return text if isinstance(err, (ValueError, RuntimeError)) and str(err) else \
        f"{type(err).__name__}: {text}"


def _configurables(root: Any) -> Iterator[Any]:
    """Objects below ``root`` reached through constructor arguments, lists and dicts."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or obj is None:
            continue
        seen.add(id(obj))
        if isinstance(obj, (list, tuple)):
            stack.extend(obj)
        elif isinstance(obj, dict):
            stack.extend(obj.values())
        elif hasattr(obj, "_init_args") and not isinstance(obj, torch.nn.Module):
            yield obj
            stack.extend(v for v in obj._init_args.values()
                         if isinstance(v, (list, tuple, dict)) or hasattr(v, "_init_args"))


def check_channel_names(train: Any, channels: set[str], report: Report) -> None:
    """Channel names given to criteria, extensions and callbacks that the monitor lacks."""
    algorithm = train.algorithm
    roots = [getattr(algorithm, "termination_criterion", None), train.extensions,
             getattr(algorithm, "update_callbacks", None), getattr(algorithm, "learning_rule", None)]
    users = [obj for root in roots for obj in _configurables(root)]
    published = {v for obj in users for k, v in obj._init_args.items()
                 if k in _PUBLISHING_ARGS and isinstance(v, str)}
    known = channels | published
    for obj in users:
        for key, value in obj._init_args.items():
            if "channel" not in key or key in _PUBLISHING_ARGS + _SKIPPED_CHANNEL_ARGS:
                continue
            if isinstance(value, str) and value not in known:
                report.error(obj, key, f"{type(obj).__name__} reads channel {value!r}, which the "
                                       f"monitor does not record.{did_you_mean(value, known)}")


def check_experiment(train: Any, nodes: Mapping[int, Any] | None = None,
                     source: str = "<python>", run: bool = True) -> Report:
    """Every problem found in ``train`` (see the module docstring)."""
    report = Report(nodes, source)
    if not check_static(train, report) or not run or report.blocking:
        return report
    channels = run_one_batch(train, report)
    if channels is not None:
        check_channel_names(train, channels, report)
    return report


# -- divergence during training --------------------------------------------------------------
def check_objective_channels(monitor: Any) -> None:
    """After a monitor pass: a NaN/Inf in an objective channel (``objective`` or
    ``<dataset>_objective``) is a DivergenceError naming the channel and the epoch."""
    import math

    from pylearn2.utils.exc import DivergenceError

    for name, channel in monitor.channels.items():
        if name != "objective" and not name.endswith("_objective"):
            continue
        if channel.val_record and not math.isfinite(channel.val_record[-1]):
            raise DivergenceError(
                f"Training diverged by epoch {monitor.get_epochs_seen()} (after "
                f"{monitor.get_batches_seen()} batches): monitor channel {name} is "
                f"{channel.val_record[-1]}; lower the learning rate or check the data.")


def saved_files_note(train: Any) -> str:
    """What a diverged run leaves on disk, checked now: the model file, its ``_best`` and
    other extension outputs, the checkpoint; or that nothing has been saved yet."""
    existing = [p for p in output_paths(train)
                if not p.endswith(".csv") and os.path.isfile(p)]
    if not existing:
        return "Nothing has been saved yet."
    checkpoint = getattr(train, "checkpoint_path", None)
    hint = " (resume from the checkpoint with --resume)" if checkpoint in existing else ""
    return f"Saved files from before the divergence, intact: {', '.join(existing)}{hint}."
