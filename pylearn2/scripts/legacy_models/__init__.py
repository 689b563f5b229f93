"""Turn the recorded object graph of an original Pylearn2 pickle into this library's model.

Each family converter reads the hyperparameters the original stored on the object,
builds the matching model here, and copies every parameter array (see the family
modules for the few layouts that differ: convolution kernels, c01b filters, the
Gaussian DBM visible layer). The original's monitor channels become this library's
:class:`~pylearn2.monitor.Monitor` records. It sits with the scripts because it reaches
every model family (the restricted reader itself is :mod:`pylearn2.utils.legacy.unpickler`).

Families: :mod:`.mlp` (MLP and its layers, softmax regression), :mod:`.energy`
(autoencoders, RBMs, k-means, stacked blocks), :mod:`.dbm` (DBMs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pylearn2.scripts.legacy_models.dbm import convert_dbm
from pylearn2.scripts.legacy_models.energy import (
    DEEP_AUTOENCODERS,
    STACKABLE,
    convert_autoencoder,
    convert_deep_autoencoder,
    convert_kmeans,
    convert_rbm,
    convert_stacked_blocks,
)
from pylearn2.scripts.legacy_models.mlp import (
    LAYER_CLASSES,
    convert_layer,
    convert_mlp,
    convert_softmax_regression,
)
from pylearn2.utils.exc import ModelFileError
from pylearn2.utils.legacy.unpickler import Recorded, load_legacy

CONVERTERS: dict[str, Callable[[Recorded], Any]] = {
    "pylearn2.models.mlp.MLP": convert_mlp,
    "pylearn2.models.softmax_regression.SoftmaxRegression": convert_softmax_regression,
    "pylearn2.models.kmeans.KMeans": convert_kmeans,
    **STACKABLE,
    **DEEP_AUTOENCODERS,
    "pylearn2.blocks.StackedBlocks": convert_stacked_blocks,
    "pylearn2.models.dbm.dbm.DBM": convert_dbm,
}


def convert_monitor(recorded: Any, model: Any) -> None:
    """Copy the original monitor's channel records into ``model.monitor``."""
    from pylearn2.monitor import Monitor

    if not isinstance(recorded, Recorded):
        return
    state = recorded.state
    channels = {}
    for name, channel in state.get("channels", {}).items():
        records = {key: [float(v) if key in ("val_record", "time_record") else int(v)
                         for v in channel.get(key, [])]
                   for key in ("val_record", "batch_record", "example_record",
                               "epoch_record", "time_record")}
        channels[name] = {"doc": channel.get("doc") or "", "dataset_name": None, **records}
    monitor = Monitor(model)
    monitor.load_state_dict({"channels": channels,
                             "batches_seen": state.get("_num_batches_seen", 0),
                             "examples_seen": state.get("_examples_seen", 0),
                             "epochs_seen": state.get("_epochs_seen", 0),
                             "training_succeeded": state.get("training_succeeded", False)})
    model.monitor = monitor


def convert_object(obj: Any, source: str = "<pickle>") -> Any:
    """This library's model for a recorded original model object."""
    if not isinstance(obj, Recorded) or obj.legacy_global not in CONVERTERS:
        found = obj.legacy_global if isinstance(obj, Recorded) else type(obj).__name__
        raise ModelFileError(f"{source}: the pickle holds a {found}; the converter handles "
                             f"{', '.join(sorted(CONVERTERS))}.")
    try:
        model = CONVERTERS[obj.legacy_global](obj)
    except ModelFileError as err:
        raise ModelFileError(f"{source}: {err}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise ModelFileError(f"{source}: the pickled {obj.legacy_global} lacks or has an "
                             f"unexpected attribute ({type(err).__name__}: {err}); the file "
                             "is damaged or from a version the converter does not know.") from err
    convert_monitor(obj.get("monitor"), model)
    return model


def convert_file(path: str) -> Any:
    """Read an original Pylearn2 pickle safely and return the converted model."""
    return convert_object(load_legacy(path), path)


__all__ = ["CONVERTERS", "LAYER_CLASSES", "convert_file", "convert_object", "convert_monitor",
           "convert_layer", "convert_mlp", "convert_softmax_regression", "convert_rbm",
           "convert_kmeans", "convert_autoencoder", "convert_deep_autoencoder",
           "convert_stacked_blocks", "convert_dbm"]
