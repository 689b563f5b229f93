"""The Monitor: named channels recorded over training, the shared blackboard.

Each channel keeps one entry per monitor call in ``val_record`` together with the
batches, examples and epochs seen and the seconds trained at that moment. Training
algorithms register *producers* (functions of a batch returning named 0-d tensors) for
each monitoring dataset; a monitor call makes one pass over every dataset and records
the example-weighted mean of each channel over its batches. Sums stay on the device and
are read back once per dataset, so there is no host synchronisation per batch. Under
torchrun each process evaluates its slice of every batch and the sums are added across
processes before the means are taken.

Channel names: dataset key ``d`` gives the prefix ``d_`` (the empty key none), so
``valid_y_misclass`` is the ``y_misclass`` channel of the ``valid`` dataset.

One forward pass per batch: the cost's value and channels and the model's channels are
computed inside :func:`~pylearn2.utils.forward_memo.batch_memo`, so the layers' outputs
are computed once and shared (the values are those separate passes would give). Runs of
batches go through in one call, each channel still a per-batch value (monitor_batches).

Parameter channels (weight norms; ``Model.get_param_monitoring_channels``) depend on no
data, so they are computed once per monitor call and recorded under one unprefixed name
(``h0_col_norms_max``); the per-dataset names (``valid_h0_col_norms_max``) are aliases
that resolve to it wherever a channel is named (``monitor.channels[...]``, ``in``,
:meth:`Monitor.channel`, termination criteria, print/plot-monitor). ``param_channels=
'per_dataset'`` (argument, attribute, or ``PYLEARN2_PARAM_CHANNELS=per_dataset``) records
a real copy per dataset instead, as the original library did; a monitor that already
holds such copies (a file written before this scheme) keeps extending them.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from pylearn2.monitor_batches import BatchChannels, ChannelSums, batch_length, channel_sums, group_size
from pylearn2.space import NullSpace, Space
from pylearn2.utils import distributed, serial
from pylearn2.utils.data_specs_util import merge_data_specs
from pylearn2.utils.device import model_dtype, to_device  # noqa: F401  (old home)
from pylearn2.utils.exc import ConfigError, did_you_mean
from pylearn2.utils.forward_memo import param_channels_separately
from pylearn2.utils.progress import monitor_bar

log = logging.getLogger(__name__)

Producer = Callable[[Any], dict[str, torch.Tensor]]


class MonitorChannel:
    """One named quantity and its history (one entry per monitor call)."""

    RECORDS = ("val_record", "batch_record", "example_record", "epoch_record", "time_record")

    def __init__(self, name: str, doc: str = "", dataset_name: str | None = None) -> None:
        self.name = name
        self.doc = doc
        self.dataset_name = dataset_name
        self.val_record: list[float] = []
        self.batch_record: list[int] = []
        self.example_record: list[int] = []
        self.epoch_record: list[int] = []
        self.time_record: list[float] = []

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {"doc": self.doc, "dataset_name": self.dataset_name}
        state.update({r: list(getattr(self, r)) for r in self.RECORDS})
        return state

    @classmethod
    def from_state_dict(cls, name: str, state: dict[str, Any]) -> MonitorChannel:
        channel = cls(name, state.get("doc", ""), state.get("dataset_name"))
        for r in cls.RECORDS:
            setattr(channel, r, list(state.get(r, [])))
        return channel

    def __repr__(self) -> str:
        last = self.val_record[-1] if self.val_record else None
        return f"MonitorChannel({self.name!r}, last={last})"


class ChannelDict(dict[str, MonitorChannel]):
    """The monitor's channels by name; a name in ``aliases`` (a per-dataset name of a
    parameter channel recorded once) resolves to the channel it names. Iteration,
    ``len`` and ``keys()`` see the real channels only."""

    def __init__(self, *args: Any, aliases: dict[str, str] | None = None) -> None:
        super().__init__(*args)
        self.aliases: dict[str, str] = dict(aliases or {})

    def resolve(self, name: str) -> str:
        """The real channel name ``name`` stands for (itself when it is one)."""
        if dict.__contains__(self, name):
            return name
        return self.aliases.get(name, name)

    def __getitem__(self, name: str) -> MonitorChannel:
        return dict.__getitem__(self, self.resolve(name))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and dict.__contains__(self, self.resolve(name))

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return self[name] if name in self else default

    def names_and_aliases(self) -> set[str]:
        """Every name that resolves: the channels and the aliases of existing ones."""
        return set(self) | {a for a, real in self.aliases.items() if dict.__contains__(self, real)}


PARAM_CHANNEL_MODES = ("once", "per_dataset")


@dataclass
class _MonitoredDataset:
    dataset: Any
    mode: str
    batch_size: int | None
    num_batches: int | None
    seed: Any
    producers: list[tuple[tuple[Space, Any], Producer, str]] = field(default_factory=list)
    pure: bool = True  # every producer a pure function of its batch (Monitor.add_producer)
    _channels: BatchChannels | None = None
    _channels_key: tuple = ()

    def batch_channels(self, merged: tuple[Space, Any], compile: bool,
                       on_cpu: bool) -> BatchChannels:
        """The per-batch evaluator of this dataset's producers, built once (again only
        when producers are added or ``compile`` changes)."""
        key = (len(self.producers), compile, on_cpu)
        if self._channels is None or self._channels_key != key:
            what = ", ".join(sorted({p for _, _, p in self.producers})) or "the dataset"
            self._channels = BatchChannels(self.producers, merged, compile, what.rstrip("_"),
                                           on_cpu, groupable=self.pure)
            self._channels_key = key
        return self._channels


class Monitor:
    """Channels, counters and records for one model."""

    def __init__(self, model: Any = None, param_channels: str | None = None) -> None:
        self.model = model
        self.channels = ChannelDict()
        self.param_channels = param_channels
        self._datasets: dict[str, _MonitoredDataset] = {}
        self._global_producers: list[tuple[Callable[[], dict[str, Any]], str]] = []
        self._param_producers: list[Callable[[], dict[str, torch.Tensor]]] = []
        self._num_batches_seen = 0
        self._examples_seen = 0
        self._epochs_seen = 0
        self._seconds_before = 0.0
        self.t0: float | None = time.time()
        self.training_succeeded = False
        self.on_channel_conflict = "error"
        self.compile = False  # compile each batch's channels (SGD's compile: true sets it)
        self.batches_per_call: int | None = None  # None: automatic (monitor_batches.group_size)

    @property
    def channels(self) -> ChannelDict:
        """Channels by name (per-dataset names of parameter channels resolve too)."""
        return self._channels

    @channels.setter
    def channels(self, value: dict[str, MonitorChannel]) -> None:
        aliases = value.aliases if isinstance(value, ChannelDict) else \
            getattr(getattr(self, "_channels", None), "aliases", {})
        self._channels = ChannelDict(value, aliases=aliases)

    def channel_names(self) -> set[str]:
        """Every channel name that resolves, the per-dataset aliases included."""
        return self.channels.names_and_aliases()

    @staticmethod
    def get_monitor(model: Any) -> Monitor:
        """The model's monitor, created (and attached) if it has none."""
        if getattr(model, "monitor", None) is None:
            model.monitor = Monitor(model)
        model.monitor.model = model
        return model.monitor

    # -- counters ----------------------------------------------------------------------
    def report_batch(self, num_examples: int) -> None:
        self._num_batches_seen += 1
        self._examples_seen += int(num_examples)

    def report_epoch(self) -> None:
        self._epochs_seen += 1

    def get_batches_seen(self) -> int:
        return self._num_batches_seen

    def get_examples_seen(self) -> int:
        return self._examples_seen

    def get_epochs_seen(self) -> int:
        return self._epochs_seen

    def seconds_trained(self) -> float:
        """Seconds of training recorded so far (the clock runs only while training)."""
        running = time.time() - self.t0 if self.t0 is not None else 0.0
        return self._seconds_before + running

    def start_clock(self) -> None:
        """Resume counting training time (a loaded monitor's clock is stopped)."""
        if self.t0 is None:
            self.t0 = time.time()

    # -- registration ------------------------------------------------------------------
    def add_dataset(
        self,
        dataset: Any,
        mode: str = "sequential",
        batch_size: int | None = None,
        num_batches: int | None = None,
        seed: Any = None,
        name: str = "",
    ) -> None:
        """Monitor ``dataset`` under the channel prefix ``name_`` (none for '')."""
        from pylearn2.utils.iteration import is_stochastic

        if is_stochastic(mode) and seed is None:
            # the original seeded stochastic monitoring itself; a fixed seed keeps the
            # monitor's values reproducible
            seed = DEFAULT_MONITOR_SEED
        self._datasets[name] = _MonitoredDataset(dataset, mode, batch_size, num_batches, seed)

    def add_producer(self, producer: Producer, data_specs: tuple[Space, Any],
                     dataset_name: str = "", prefix: str = "", pure: bool = False) -> None:
        """Register a function of a batch whose named 0-d tensors become channels.
        ``pure``: it keeps no Python state between calls, so runs of batches may go
        through in one call (:mod:`pylearn2.monitor_batches`), else one call per batch."""
        if dataset_name not in self._datasets:
            known = list(self._datasets)
            raise ConfigError(f"Monitor has no dataset {dataset_name!r}; known: {known}.")
        entry = self._datasets[dataset_name]
        entry.producers.append((data_specs, producer, prefix))
        entry.pure = entry.pure and pure

    def add_global_channels(self, producer: Callable[[], dict[str, Any]], prefix: str = "") -> None:
        """Register dataset-independent channels (learning_rate, momentum, timings)."""
        self._global_producers.append((producer, prefix))

    def add_param_channels(self, producer: Callable[[], dict[str, torch.Tensor]]) -> None:
        """Register channels of the parameters alone (``model.get_param_monitoring_channels``):
        computed once per monitor call, recorded as the class docstring describes. While
        any are registered, layers leave them out of their per-batch channels."""
        if producer not in self._param_producers:
            self._param_producers.append(producer)

    def add_channel(self, name: str, val: Callable[..., Any], dataset_name: str | None = None,
                    data_specs: tuple[Space, Any] | None = None, doc: str = "") -> None:
        """Add one channel: ``val(data)`` on a dataset, or ``val()`` when data_specs is NullSpace."""
        if name in self.channels and self.channels[name].val_record and \
                self.on_channel_conflict == "error":
            raise ConfigError(f"Tried to create the same channel twice ({name}).")
        if data_specs is None or isinstance(data_specs[0], NullSpace):
            self.add_global_channels(lambda: {name: val()})
        else:
            if dataset_name is None:
                if len(self._datasets) != 1:
                    raise ConfigError(
                        f"Channel {name!r}: the monitor has {len(self._datasets)} datasets; "
                        "say which one with dataset_name."
                    )
                dataset_name = next(iter(self._datasets))
            self.add_producer(lambda data: {name: val(data)}, data_specs, dataset_name)
        if doc:
            self._channel(name).doc = doc

    def setup(self, dataset: Any, cost: Any, batch_size: int | None, num_batches: int | None = None,
              extra_costs: dict[str, Any] | None = None, mode: str = "sequential",
              seed: Any = None) -> None:
        """Add the standard channels of ``cost`` and the model on each monitoring dataset."""
        datasets = dataset if isinstance(dataset, dict) else {"": dataset}
        model = self.model
        for name, ds in datasets.items():
            if ds is None:
                continue
            self.add_dataset(ds, mode, batch_size, num_batches, seed, name=name)
            if hasattr(model, "get_param_monitoring_channels"):
                self.add_param_channels(model.get_param_monitoring_channels)
            prefix = f"{name}_" if name else ""
            cost_specs = cost.get_data_specs(model)
            self.add_producer(_cost_producer(model, cost, "objective"), cost_specs, name, prefix,
                              pure=True)
            for cname, extra in (extra_costs or {}).items():
                specs = extra.get_data_specs(model)
                self.add_producer(_cost_producer(model, extra, cname, f"{cname}_"), specs, name,
                                  prefix, pure=True)
            model_specs = model.get_monitoring_data_specs()
            if not isinstance(model_specs[0], NullSpace):
                self.add_producer(model.get_monitoring_channels, model_specs, name, prefix,
                                  pure=True)

    def clear_producers(self) -> None:
        """Forget datasets and producers (channels and records stay)."""
        self._datasets.clear()
        self._global_producers.clear()
        self._param_producers.clear()

    # -- running -----------------------------------------------------------------------
    @torch.no_grad()
    def __call__(self) -> None:
        """Compute every channel once and append one record to each."""
        values: dict[str, tuple[float, str | None]] = {}
        with param_channels_separately(bool(self._param_producers)):
            for ds_name, entry in self._datasets.items():
                for name, value in self._run_dataset(entry, ds_name).items():
                    values[name] = (value, ds_name)
        values.update(self._param_channel_values())
        for producer, prefix in self._global_producers:
            for name, value in producer().items():
                values[prefix + name] = (float(value), None)
        now = self.seconds_trained()
        for name, (value, owner) in values.items():
            channel = self._channel(name, owner)
            channel.val_record.append(value)
            channel.batch_record.append(self._num_batches_seen)
            channel.example_record.append(self._examples_seen)
            channel.epoch_record.append(self._epochs_seen)
            channel.time_record.append(now)
        for name in sorted(values):
            log.debug("\t%s: %s", name, values[name][0])

    def _param_mode(self, names: list[str]) -> str:
        mode = self.param_channels or os.environ.get("PYLEARN2_PARAM_CHANNELS") or "once"
        if mode not in PARAM_CHANNEL_MODES:
            raise ConfigError(f"Monitor param_channels (or PYLEARN2_PARAM_CHANNELS) must be one "
                              f"of {', '.join(PARAM_CHANNEL_MODES)}; got {mode!r}.")
        prefixes = [f"{d}_" for d in self._datasets if d]
        held = dict.__contains__
        if mode == "once" and any(held(self.channels, p + n) and not held(self.channels, n)
                                  for n in names for p in prefixes):
            return "per_dataset"  # the monitor already holds per-dataset histories
        return mode

    def _param_channel_values(self) -> dict[str, tuple[float, str | None]]:
        """The parameter channels, computed once (one host read) and named per the mode."""
        computed: dict[str, torch.Tensor] = {}
        for producer in self._param_producers:
            computed.update(producer())
        if not computed:
            return {}
        names = list(computed)
        floats = torch.stack([computed[n].detach().to(torch.float64) for n in names]).tolist()
        values: dict[str, tuple[float, str | None]] = {}
        if self._param_mode(names) == "per_dataset":
            for ds_name in self._datasets:
                prefix = f"{ds_name}_" if ds_name else ""
                values.update({prefix + n: (v, ds_name) for n, v in zip(names, floats)})
            return values
        for name, value in zip(names, floats):
            values[name] = (value, None)
            for ds_name in self._datasets:
                if ds_name:
                    self.channels.aliases[f"{ds_name}_{name}"] = name
        return values

    @torch.no_grad()
    def _run_dataset(self, entry: _MonitoredDataset, label: str = "") -> dict[str, float]:
        if not entry.producers:
            return {}
        merged = merge_data_specs([specs for specs, _, _ in entry.producers])
        device = self.model.device() if hasattr(self.model, "device") else torch.device("cpu")
        dtype = model_dtype(self.model) if hasattr(self.model, "parameters") else None
        iterator = entry.dataset.iterator(
            mode=entry.mode, batch_size=entry.batch_size, num_batches=entry.num_batches,
            rng=entry.seed, data_specs=merged, return_tuple=True,
        )
        channels = entry.batch_channels(merged, self.compile, device.type == "cpu")
        parallel = distributed.world_size() > 1
        batches: Any = iterator
        if distributed.is_main():
            batches = monitor_bar(iterator, getattr(iterator, "num_batches", None), label)
        if parallel:  # under torchrun each process evaluates its slice of every batch
            batches = (distributed.local_part(b, batch_length(b)) for b in batches)
        batches = (to_device(b, device, dtype) for b in batches)
        sums, total = channel_sums(channels, batches, lambda first: group_size(
            first, getattr(iterator, "num_batches", None), bool(getattr(iterator, "uneven", False)),
            self.batches_per_call))
        if parallel:
            named, total = distributed.sum_named_(sums.as_dict(), total, device)
            sums = ChannelSums.from_dict(named)
        if total == 0:
            raise ConfigError("A monitoring dataset yielded no examples; check start/stop.")
        return sums.means(total)

    def _channel(self, name: str, dataset_name: str | None = None) -> MonitorChannel:
        if name not in self.channels:
            self.channels[name] = MonitorChannel(name, dataset_name=dataset_name)
        return self.channels[name]

    # -- reading -----------------------------------------------------------------------
    def channel(self, name: str) -> MonitorChannel:
        """The channel called ``name``, or a clear error listing close names."""
        if name not in self.channels:
            raise ConfigError(
                f"No monitor channel named {name!r}.{did_you_mean(name, self.channels)} "
                f"Available: {', '.join(sorted(self.channels)) or '(none yet)'}."
            )
        return self.channels[name]

    def last(self, name: str) -> float:
        record = self.channel(name).val_record
        if not record:
            raise ConfigError(f"Monitor channel {name!r} has no values yet.")
        return record[-1]

    # -- persistence -------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "channels": {n: c.state_dict() for n, c in self.channels.items()},
            "aliases": dict(self.channels.aliases),
            "batches_seen": self._num_batches_seen,
            "examples_seen": self._examples_seen,
            "epochs_seen": self._epochs_seen,
            "seconds_trained": self.seconds_trained(),
            "training_succeeded": self.training_succeeded,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.channels = ChannelDict({n: MonitorChannel.from_state_dict(n, s)
                                     for n, s in state.get("channels", {}).items()},
                                    aliases=state.get("aliases", {}))
        self._num_batches_seen = int(state.get("batches_seen", 0))
        self._examples_seen = int(state.get("examples_seen", 0))
        self._epochs_seen = int(state.get("epochs_seen", 0))
        self._seconds_before = float(state.get("seconds_trained", 0.0))
        self.t0 = None
        self.training_succeeded = bool(state.get("training_succeeded", False))


serial.register_monitor_type(Monitor)  # model files restore monitor.json as a Monitor


DEFAULT_MONITOR_SEED = (2013, 2, 22)  # a stochastic monitoring mode given no seed


def _cost_producer(model: Any, cost: Any, value_name: str, channel_prefix: str = "") -> Producer:
    """The cost's value as ``value_name`` and its own channels as ``channel_prefix<name>``."""
    def producer(data: Any) -> dict[str, torch.Tensor]:
        channels = {channel_prefix + k: v
                    for k, v in cost.get_monitoring_channels(model, data).items()}
        value = cost.monitoring_expr(model, data)
        if value is not None:
            channels[value_name] = value
        return channels
    return producer


def push_monitor(model: Any, name: str, transfer_experience: bool = False,
                 save_records: bool = False) -> Any:
    """Move ``model.monitor`` to ``model.<name>`` and start a fresh one (continued training)."""
    old = getattr(model, "monitor", None)
    if old is None:
        raise ConfigError("push_monitor: the model has no monitor to push.")
    setattr(model, name, old)
    model.monitor = Monitor(model)
    if transfer_experience:
        model.monitor._num_batches_seen = old._num_batches_seen
        model.monitor._examples_seen = old._examples_seen
        model.monitor._epochs_seen = old._epochs_seen
    if save_records:
        model.monitor.channels = ChannelDict(
            {n: MonitorChannel.from_state_dict(n, c.state_dict()) for n, c in old.channels.items()},
            aliases=old.channels.aliases)
        model.monitor.on_channel_conflict = "copy_history"
    return model


def read_channel(model: Any, channel_name: str, monitor_name: str = "monitor") -> float:
    """The last value of a channel (usable from YAML for continued training)."""
    monitor = getattr(model, monitor_name, None)
    if monitor is None:
        raise ConfigError(f"read_channel: the model has no monitor called {monitor_name!r}.")
    return monitor.last(channel_name)


def get_channel(model: Any, dataset: Any, channel: str, cost: Any, batch_size: int) -> float:
    """Compute one channel on ``dataset`` with a temporary monitor and return its value."""
    monitor = Monitor(model)
    monitor.setup(dataset, cost, batch_size)
    monitor()
    return monitor.last(channel)


def records_as_array(channel: MonitorChannel, x_axis: str = "epoch") -> tuple[np.ndarray, np.ndarray]:
    """(x, y) arrays for plotting a channel against epochs/batches/examples/seconds."""
    xs = {"epoch": channel.epoch_record, "batch": channel.batch_record,
          "example": channel.example_record, "second": channel.time_record}
    if x_axis not in xs:
        raise ConfigError(f"Unknown x axis {x_axis!r}; use one of {sorted(xs)}.")
    return np.asarray(xs[x_axis], dtype=float), np.asarray(channel.val_record, dtype=float)
