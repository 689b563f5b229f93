"""Turn the recorded object graph of an original Pylearn2 pickle into this library's model.

Each family converter reads the hyperparameters the original stored on the object,
builds the matching model here, and copies every parameter array (both libraries keep
dense weights as (input, output) matrices, so they copy as they are). The original's
monitor channels become this library's :class:`~pylearn2.monitor.Monitor` records.
It sits with the scripts because it reaches every model family (the restricted reader
itself is :mod:`pylearn2.utils.legacy.unpickler`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from pylearn2.utils.exc import ModelFileError
from pylearn2.utils.legacy.unpickler import Recorded, load_legacy, shared_value

_DENSE_LAYERS = ("Linear", "Sigmoid", "Tanh", "RectifiedLinear", "Softplus")
_LAYER_OPTIONS = ("max_col_norm", "max_row_norm", "min_col_norm", "use_bias", "left_slope",
                  "include_prob", "W_lr_scale", "b_lr_scale", "copy_input")


def _options(state: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {n: state[n] for n in names if n in state and state[n] is not None}


def _set(param: torch.Tensor, value: np.ndarray, where: str) -> None:
    value = np.asarray(value)
    if tuple(param.shape) != value.shape:
        raise ModelFileError(f"{where}: the pickle holds shape {value.shape}, the converted "
                             f"model expects {tuple(param.shape)}.")
    with torch.no_grad():
        param.copy_(torch.as_tensor(value, dtype=param.dtype))


def _space_dim(space: Any) -> int:
    if isinstance(space, Recorded) and space.legacy_name == "VectorSpace":
        return int(space.get("dim"))
    raise ModelFileError(f"unsupported input space {space!r} (only VectorSpace inputs here).")


def _space(space: Any) -> Any:
    """This library's space for a recorded VectorSpace or Conv2DSpace."""
    from pylearn2.space import Conv2DSpace, VectorSpace

    if isinstance(space, Recorded) and space.legacy_name == "VectorSpace":
        return VectorSpace(dim=int(space.get("dim")))
    if isinstance(space, Recorded) and space.legacy_name == "Conv2DSpace":
        return Conv2DSpace(shape=tuple(space.get("shape")),
                           num_channels=int(space.get("num_channels")),
                           axes=tuple(space.get("axes")))
    raise ModelFileError(f"unsupported input space {space!r}.")


def _conv_nonlinearity(recorded: Any) -> Any:
    from pylearn2.models.mlp import conv

    name = recorded.legacy_name if isinstance(recorded, Recorded) else None
    if name == "RectifierConvNonlinearity":
        return conv.RectifierConvNonlinearity(left_slope=float(recorded.get("left_slope", 0.0)))
    if name in ("SigmoidConvNonlinearity", "TanhConvNonlinearity",
                "IdentityConvNonlinearity"):
        return getattr(conv, name)()
    raise ModelFileError(f"unsupported convolution nonlinearity {recorded!r}.")


_CONV_OPTIONS = ("border_mode", "include_prob", "W_lr_scale", "b_lr_scale", "max_kernel_norm",
                 "pool_type", "pool_shape", "pool_stride", "tied_b", "kernel_stride",
                 "monitor_style")


def _convert_conv(layer: Recorded) -> tuple[Any, dict[str, np.ndarray]]:
    """ConvElemwise / ConvRectifiedLinear: the original convolves (flipped kernels), this
    library cross-correlates, so each kernel is flipped in both spatial axes."""
    from pylearn2.models.mlp import conv

    state = layer.state
    ours = conv.ConvElemwise(output_channels=int(state["output_channels"]),
                             kernel_shape=list(state["kernel_shape"]),
                             layer_name=state["layer_name"], irange=0.0,
                             nonlinearity=_conv_nonlinearity(state["nonlinearity"]),
                             **_options(state, _CONV_OPTIONS))
    transformer = state["transformer"]
    if transformer.legacy_global != "pylearn2.linear.conv2d.Conv2D":
        raise ModelFileError(f"layer {state['layer_name']!r}: {transformer.legacy_global} "
                             "kernels are not supported yet.")
    kernels = shared_value(transformer.get("_filters"))[:, :, ::-1, ::-1].copy()
    return ours, {"W": kernels, "b": shared_value(state["b"])}


def _weights(layer: Recorded) -> np.ndarray:
    transformer = layer.get("transformer")
    if transformer is not None:
        return shared_value(transformer.get("_W"))
    return shared_value(layer.get("W"))


def _convert_layer(layer: Recorded) -> tuple[Any, dict[str, np.ndarray]]:
    from pylearn2.models import maxout, mlp

    state, name = layer.state, layer.legacy_name
    if name in ("ConvElemwise", "ConvRectifiedLinear"):
        return _convert_conv(layer)
    if layer.legacy_module == "pylearn2.models.mlp" and name in _DENSE_LAYERS:
        ours = getattr(mlp, name)(layer_name=state["layer_name"], dim=int(state["dim"]),
                                  irange=0.0, **_options(state, _LAYER_OPTIONS))
    elif layer.legacy_module == "pylearn2.models.mlp" and name == "Softmax":
        ours = mlp.Softmax(layer_name=state["layer_name"], n_classes=int(state["n_classes"]),
                           irange=0.0, **_options(state, ("max_col_norm", "max_row_norm",
                                                          "W_lr_scale", "b_lr_scale")))
    elif layer.legacy_module == "pylearn2.models.maxout" and name == "Maxout":
        ours = maxout.Maxout(layer_name=state["layer_name"], num_units=int(state["num_units"]),
                             num_pieces=int(state["num_pieces"]), irange=0.0,
                             **_options(state, ("pool_stride", "max_col_norm", "max_row_norm",
                                                "min_zero", "W_lr_scale", "b_lr_scale")))
    else:
        raise ModelFileError(f"layer {state.get('layer_name')!r} is a {layer.legacy_global}, "
                             "which the converter does not support yet.")
    return ours, {"W": _weights(layer), "b": shared_value(state["b"])}


def convert_mlp(obj: Recorded) -> Any:
    """An original ``MLP`` (dense, Softmax, Maxout and convolutional layers) here."""
    from pylearn2.models.mlp import MLP

    converted = [_convert_layer(layer) for layer in obj.state["layers"]]
    model = MLP(layers=[layer for layer, _ in converted],
                input_space=_space(obj.state["input_space"]))
    for (layer, arrays), index in zip(converted, range(len(converted))):
        for key, value in arrays.items():
            _set(getattr(layer, key), value, f"layer {index} ({layer.layer_name}) {key}")
    return model


def convert_softmax_regression(obj: Recorded) -> Any:
    from pylearn2.models.softmax_regression import SoftmaxRegression

    softmax = obj.state["layers"][0]
    model = SoftmaxRegression(n_classes=int(softmax.get("n_classes")),
                              nvis=_space_dim(obj.state["input_space"]), irange=0.0)
    layer = model.layers[0]
    _set(layer.W, _weights(softmax), "softmax W")
    _set(layer.b, shared_value(softmax.get("b")), "softmax b")
    return model


def _copy_named(model: Any, sources: dict[str, np.ndarray]) -> None:
    params = dict(model.named_parameters()) | dict(model.named_buffers())
    for key, value in sources.items():
        if key not in params:
            raise ModelFileError(f"the converted {type(model).__name__} has no {key!r}.")
        _set(params[key], value, key)


def convert_rbm(obj: Recorded) -> Any:
    """An original ``RBM`` or ``GaussianBinaryRBM`` with its weights, biases and sigma."""
    from pylearn2.models import rbm

    state = obj.state
    nvis, nhid = int(state["nvis"]), int(state["nhid"])
    arrays = {"weights": shared_value(state["transformer"].get("_W")),
              "bias_vis": shared_value(state["bias_vis"]),
              "bias_hid": shared_value(state["bias_hid"])}
    if obj.legacy_name == "GaussianBinaryRBM":
        from pylearn2.energy_functions.rbm_energy import GRBM_Type_1

        model = rbm.GaussianBinaryRBM(
            energy_function_class=GRBM_Type_1, nvis=nvis, nhid=nhid, irange=0.0,
            mean_vis=bool(state["mean_vis"]), init_sigma=float(state["init_sigma"]),
            learn_sigma=bool(state["learn_sigma"]),
            sigma_lr_scale=float(state["sigma_lr_scale"]),
            min_sigma=float(state["min_sigma"]), max_sigma=float(state["max_sigma"]))
        arrays["sigma_driver"] = shared_value(state["sigma_driver"])
    else:
        model = rbm.RBM(nvis=nvis, nhid=nhid, irange=0.0)
    _copy_named(model, arrays)
    return model


def convert_kmeans(obj: Recorded) -> Any:
    from pylearn2.models.kmeans import KMeans

    mu = shared_value(obj.state["mu"])
    model = KMeans(k=int(obj.state["k"]), nvis=int(mu.shape[1]))
    model.load_state_dict({**model.state_dict(), "mu": torch.as_tensor(mu),
                           "initialized": torch.tensor(True)}, strict=False)
    return model


def _activation_name(op: Any) -> str | None:
    if op is None or isinstance(op, str):
        return op
    scalar = op.get("scalar_op") if isinstance(op, Recorded) else None
    names = {"ScalarSigmoid": "sigmoid", "Tanh": "tanh", "Softplus": "softplus"}
    if isinstance(scalar, Recorded) and scalar.legacy_name in names:
        return names[scalar.legacy_name]
    raise ModelFileError(f"unsupported autoencoder activation {op!r}.")


def convert_autoencoder(obj: Recorded) -> Any:
    """An original ``Autoencoder`` / ``DenoisingAutoencoder`` with its weights."""
    from pylearn2 import corruption
    from pylearn2.models import autoencoder

    state = obj.state
    common = {"nvis": int(state["nvis"]), "nhid": int(state["nhid"]),
              "act_enc": _activation_name(state["act_enc"]),
              "act_dec": _activation_name(state["act_dec"]),
              "tied_weights": bool(state["tied_weights"]), "irange": 0.0}
    if obj.legacy_name == "DenoisingAutoencoder":
        corruptor = state["corruptor"]
        klass = getattr(corruption, corruptor.legacy_name)
        model = autoencoder.DenoisingAutoencoder(
            klass(corruption_level=float(corruptor.get("corruption_level"))), **common)
    else:
        model = autoencoder.Autoencoder(**common)
    arrays = {"weights": shared_value(state["weights"]),
              "hidbias": shared_value(state["hidbias"]),
              "visbias": shared_value(state["visbias"])}
    if not common["tied_weights"]:
        arrays["w_prime"] = shared_value(state["w_prime"])
    _copy_named(model, arrays)
    return model


CONVERTERS: dict[str, Callable[[Recorded], Any]] = {
    "pylearn2.models.mlp.MLP": convert_mlp,
    "pylearn2.models.softmax_regression.SoftmaxRegression": convert_softmax_regression,
    "pylearn2.models.rbm.RBM": convert_rbm,
    "pylearn2.models.rbm.GaussianBinaryRBM": convert_rbm,
    "pylearn2.models.kmeans.KMeans": convert_kmeans,
    "pylearn2.models.autoencoder.Autoencoder": convert_autoencoder,
    "pylearn2.models.autoencoder.DenoisingAutoencoder": convert_autoencoder,
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
    model = CONVERTERS[obj.legacy_global](obj)
    convert_monitor(obj.get("monitor"), model)
    return model


def convert_file(path: str) -> Any:
    """Read an original Pylearn2 pickle safely and return the converted model."""
    return convert_object(load_legacy(path), path)
