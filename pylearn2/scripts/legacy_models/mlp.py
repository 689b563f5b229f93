"""Converters of the original's ``MLP`` and its layers (dense, softmax, maxout, the
convolutional families in bc01 and c01b layout, and the structural layers).

Dense weights are (input, output) matrices in both libraries and copy as they are. The
bc01 convolution of the original (Theano's conv2d, and cuDNN in its default mode) flips
its kernels; this library cross-correlates, so those kernels are flipped in both spatial
axes. The c01b kernels (cuda-convnet's FilterActs) are not flipped there, so they only
move from (in, rows, cols, out) to (out, in, rows, cols).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from pylearn2.scripts.legacy_models.common import (
    Recorded,
    convert_space,
    options,
    require,
    set_param,
    shared_value,
    weights_of,
)
from pylearn2.scripts.legacy_models.energy import DEEP_AUTOENCODERS, STACKABLE
from pylearn2.utils.exc import ModelFileError

Arrays = dict[str, np.ndarray]
_DENSE_LAYERS = ("Linear", "Sigmoid", "Tanh", "RectifiedLinear", "Softplus")
_LAYER_OPTIONS = ("max_row_norm", "min_col_norm", "use_bias", "left_slope", "include_prob",
                  "W_lr_scale", "b_lr_scale", "copy_input", "monitor_style", "mask_weights",
                  "use_abs_loss")
_CONV_OPTIONS = ("border_mode", "include_prob", "W_lr_scale", "b_lr_scale", "pool_type",
                 "pool_shape", "pool_stride", "tied_b", "kernel_stride", "monitor_style")
_C01B_OPTIONS = ("W_lr_scale", "b_lr_scale", "pad", "tied_b", "min_zero", "kernel_stride",
                 "partial_sum")
_NORM_EXTENSION = "pylearn2.model_extensions.norm_constraint.MaxL2FilterNorm"
_COLUMNS, _BC01_KERNELS, _C01B_KERNELS, _LOCAL_FILTERS = (0,), (1, 2, 3), (0, 1, 2), (2, 3, 4)
# bc01 kernel transformers whose operation is a true (flipped-kernel) convolution
_FLIPPING_CONV = ("pylearn2.linear.conv2d.Conv2D", "pylearn2.linear.cudnn2d.Cudnn2D")


def _conv_nonlinearity(recorded: Any) -> Any:
    from pylearn2.models.mlp import conv

    name = recorded.legacy_name if isinstance(recorded, Recorded) else None
    if name == "RectifierConvNonlinearity":
        return conv.RectifierConvNonlinearity(left_slope=float(recorded.get("left_slope", 0.0)))
    if name == "SigmoidConvNonlinearity":
        return conv.SigmoidConvNonlinearity(
            **options(recorded.state, ("monitor_style",)))
    if name in ("TanhConvNonlinearity", "IdentityConvNonlinearity"):
        return getattr(conv, name)()
    raise ModelFileError(f"unsupported convolution nonlinearity {recorded!r}.")


def _norm_limit(layer: Recorded, key: str, axes: tuple[int, ...],
                ours: str | None = None) -> dict[str, float]:
    """The weight-norm limit the original enforced on ``axes``: the layer's own ``key``
    argument and/or a MaxL2FilterNorm model extension (both must agree), as ``{ours or
    key: limit}``. Any other model extension cannot be rebuilt and is refused."""
    limit = layer.get(key)
    for ext in layer.get("extensions") or []:
        found = ext.legacy_global if isinstance(ext, Recorded) else type(ext).__name__
        axis = ext.get("axis") if isinstance(ext, Recorded) else None
        axis = tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)
        if found != _NORM_EXTENSION or axis != axes or (ext.get("min_limit") or 0.0) != 0.0:
            raise ModelFileError(f"layer {layer.get('layer_name')!r} has the model extension "
                                 f"{found} ({getattr(ext, 'state', '')}); the converter only "
                                 f"rebuilds MaxL2FilterNorm(max_limit, axis={axes}).")
        if limit is not None and float(ext.get("max_limit")) != float(limit):
            raise ModelFileError(f"layer {layer.get('layer_name')!r}: {key}={limit} and a "
                                 f"MaxL2FilterNorm({ext.get('max_limit')}) disagree.")
        limit = ext.get("max_limit")
    return {} if limit is None else {ours or key: float(limit)}


def _no_normalization(layer: Recorded, *names: str) -> None:
    """Normalisation callables are code: a layer that used one cannot be rebuilt."""
    for name in names:
        if layer.get(name) is not None:
            raise ModelFileError(f"layer {layer.get('layer_name')!r} ({layer.legacy_name}) "
                                 f"uses {name} {layer.get(name)!r}; the converter cannot "
                                 "rebuild normalisation callables. Rebuild the layer in YAML "
                                 "and copy the weights.")


def _convert_conv(layer: Recorded) -> tuple[Any, Arrays]:
    """ConvElemwise / ConvRectifiedLinear (bc01): kernels flipped (see the module doc)."""
    from pylearn2.models.mlp import conv

    state = layer.state
    _no_normalization(layer, "detector_normalization", "output_normalization")
    ours = conv.ConvElemwise(output_channels=int(state["output_channels"]),
                             kernel_shape=list(state["kernel_shape"]),
                             layer_name=state["layer_name"], irange=0.0,
                             nonlinearity=_conv_nonlinearity(state["nonlinearity"]),
                             **options(state, _CONV_OPTIONS),
                             **_norm_limit(layer, "max_kernel_norm", _BC01_KERNELS))
    transformer = require(layer, "transformer")
    if transformer.legacy_global not in _FLIPPING_CONV:
        raise ModelFileError(f"layer {state['layer_name']!r}: {transformer.legacy_global} "
                             "kernels in a ConvElemwise are not supported.")
    kernels = shared_value(transformer.get("_filters"))[:, :, ::-1, ::-1].copy()
    return ours, {"W": kernels, "b": shared_value(state["b"])}


def _c01b_kernels(layer: Recorded, filters: np.ndarray) -> np.ndarray:
    """(in + dummy, rows, cols, out) -> (out, in, rows, cols), without the zero channels
    the original appended for the GPU kernels."""
    channels = int(require(layer, "input_space").get("num_channels"))
    return np.ascontiguousarray(filters[:channels].transpose(3, 0, 1, 2))


def _convert_maxout_conv(layer: Recorded) -> tuple[Any, Arrays]:
    """MaxoutConvC01B: each output channel is the max of ``num_pieces`` consecutive
    detector channels, then spatial max pooling; output ('c', 0, 1, 'b')."""
    from pylearn2.models.mlp.conv import MaxoutConvC01B

    state = layer.state
    _no_normalization(layer, "input_normalization", "detector_normalization",
                      "output_normalization")
    ours = MaxoutConvC01B(num_channels=int(state["num_channels"]),
                          num_pieces=int(state["num_pieces"]),
                          kernel_shape=list(state["kernel_shape"]),
                          pool_shape=list(state["pool_shape"]),
                          pool_stride=list(state["pool_stride"]),
                          layer_name=state["layer_name"], irange=0.0,
                          **_norm_limit(layer, "max_kernel_norm", _C01B_KERNELS),
                          **options(state, _C01B_OPTIONS))
    transformer = require(layer, "transformer")
    if transformer.legacy_global != "pylearn2.linear.conv2d_c01b.Conv2D":
        raise ModelFileError(f"layer {state['layer_name']!r}: a MaxoutConvC01B with a "
                             f"{transformer.legacy_global} transformer is not supported.")
    kernels = _c01b_kernels(layer, shared_value(transformer.get("_filters")))
    return ours, {"W": kernels, "b": shared_value(state["b"])}


def _convert_maxout_local(layer: Recorded) -> tuple[Any, Arrays]:
    """MaxoutLocalC01B: the original's filters (rows, cols, colours, k_rows, k_cols,
    groups, filters per group) become (rows, cols, out, in, k_rows, k_cols)."""
    from pylearn2.models.mlp.maxout_local import MaxoutLocalC01B

    state = layer.state
    _no_normalization(layer, "input_normalization", "detector_normalization",
                      "output_normalization")
    if int(state.get("input_groups", 1)) != 1:
        raise ModelFileError(f"layer {state['layer_name']!r}: MaxoutLocalC01B with "
                             f"input_groups={state['input_groups']} is not supported.")
    pool = state.get("pool_shape")
    if pool is not None and int(np.prod(pool)) == 1:
        pool = None  # the original skipped 1x1 pooling
    ours = MaxoutLocalC01B(num_channels=int(state["num_channels"]),
                           num_pieces=int(state["num_pieces"]),
                           kernel_shape=list(state["kernel_shape"]),
                           layer_name=state["layer_name"], irange=0.0,
                           pool_shape=None if pool is None else list(pool),
                           pool_stride=None if pool is None else list(state["pool_stride"]),
                           **_norm_limit(layer, "max_kernel_norm", _LOCAL_FILTERS,
                                         "max_filter_norm"),
                           **options(state, _C01B_OPTIONS))
    filters = shared_value(require(layer, "transformer").get("_filters"))
    channels = int(require(layer, "input_space").get("num_channels"))
    filters = filters[:, :, :channels, :, :, 0, :].transpose(0, 1, 5, 2, 3, 4)
    return ours, {"transformer.filters": np.ascontiguousarray(filters),
                  "b": shared_value(state["b"])}


def _convert_dense(layer: Recorded) -> tuple[Any, Arrays]:
    from pylearn2.models import mlp

    state = layer.state
    ours = getattr(mlp, layer.legacy_name)(layer_name=state["layer_name"], dim=int(state["dim"]),
                                           irange=0.0, **options(state, _LAYER_OPTIONS),
                                           **_norm_limit(layer, "max_col_norm", _COLUMNS))
    return ours, {"W": weights_of(layer), "b": shared_value(state["b"])}


def _convert_softmax(layer: Recorded) -> tuple[Any, Arrays]:
    from pylearn2.models import mlp

    state = layer.state
    ours = mlp.Softmax(layer_name=state["layer_name"], n_classes=int(state["n_classes"]),
                       irange=0.0, **_norm_limit(layer, "max_col_norm", _COLUMNS),
                       **options(state, ("max_row_norm", "W_lr_scale", "b_lr_scale",
                                         "binary_target_dim", "non_redundant")))
    if state.get("no_affine"):
        raise ModelFileError(f"layer {state['layer_name']!r}: Softmax(no_affine=True) is not "
                             "supported by the converter.")
    return ours, {"W": weights_of(layer), "b": shared_value(state["b"])}


def _convert_maxout(layer: Recorded) -> tuple[Any, Arrays]:
    from pylearn2.models import maxout

    state = layer.state
    ours = maxout.Maxout(layer_name=state["layer_name"], num_units=int(state["num_units"]),
                         num_pieces=int(state["num_pieces"]), irange=0.0,
                         **_norm_limit(layer, "max_col_norm", _COLUMNS),
                         **options(state, ("pool_stride", "max_row_norm", "min_zero",
                                           "W_lr_scale", "b_lr_scale", "randomize_pools",
                                           "mask_weights")))
    arrays = {"W": weights_of(layer), "b": shared_value(state["b"])}
    if state.get("randomize_pools"):
        arrays["permute"] = shared_value(require(layer, "permute"))
    return ours, arrays


def _convert_softmax_pool(layer: Recorded) -> tuple[Any, Arrays]:
    from pylearn2.models.mlp import SoftmaxPool

    state = layer.state
    ours = SoftmaxPool(detector_layer_dim=int(state["detector_layer_dim"]),
                       layer_name=state["layer_name"], pool_size=int(state["pool_size"]),
                       irange=0.0, **_norm_limit(layer, "max_col_norm", _COLUMNS),
                       **options(state, ("W_lr_scale", "b_lr_scale", "mask_weights")))
    return ours, {"detector.W": weights_of(layer), "detector.b": shared_value(state["b"])}


def _convert_linear_gaussian(layer: Recorded) -> tuple[Any, Arrays]:
    from pylearn2.models.mlp import LinearGaussian

    state = layer.state
    ours = LinearGaussian(init_beta=1.0, min_beta=float(state["min_beta"]),
                          max_beta=float(state["max_beta"]),
                          beta_lr_scale=state.get("beta_lr_scale"),
                          layer_name=state["layer_name"], dim=int(state["dim"]), irange=0.0,
                          **options(state, _LAYER_OPTIONS),
                          **_norm_limit(layer, "max_col_norm", _COLUMNS))
    return ours, {"W": weights_of(layer), "b": shared_value(state["b"]),
                  "beta": shared_value(require(layer, "beta"))}


def _convert_window(layer: Recorded) -> tuple[Any, Arrays]:
    from pylearn2.models.mlp import WindowLayer

    return WindowLayer(layer_name=layer.state["layer_name"],
                       window=[int(w) for w in require(layer, "window")]), {}


def _convert_space_converter(layer: Recorded) -> tuple[Any, Arrays]:
    from pylearn2.models.mlp import SpaceConverter

    return SpaceConverter(layer_name=layer.state["layer_name"],
                          output_space=convert_space(require(layer, "output_space"))), {}


def _convert_composite(layer: Recorded) -> tuple[Any, Arrays]:
    from pylearn2.models.mlp import CompositeLayer

    parts = [convert_layer(child) for child in require(layer, "layers")]
    routes = layer.get("inputs_to_layers")
    ours = CompositeLayer(layer_name=layer.state["layer_name"], layers=[p for p, _ in parts],
                          inputs_to_layers=dict(routes) if routes else None)
    return ours, {f"layers.{i}.{key}": value for i, (_, arrays) in enumerate(parts)
                  for key, value in arrays.items()}


def _convert_flattener(layer: Recorded) -> tuple[Any, Arrays]:
    from pylearn2.models.mlp import FlattenerLayer

    raw, arrays = convert_layer(require(layer, "raw_layer"))
    return FlattenerLayer(raw_layer=raw), {f"raw_layer.{k}": v for k, v in arrays.items()}


def _convert_pretrained(layer: Recorded) -> tuple[Any, Arrays]:
    """PretrainedLayer around an autoencoder, RBM or MLP (converted with its weights)."""
    from pylearn2.models.mlp import PretrainedLayer

    content = require(layer, "layer_content")
    name = content.legacy_global if isinstance(content, Recorded) else type(content).__name__
    converters = {**STACKABLE, **DEEP_AUTOENCODERS,
                  "pylearn2.models.mlp.MLP": convert_mlp}
    if name not in converters:
        raise ModelFileError(f"layer {layer.get('layer_name')!r}: a PretrainedLayer around a "
                             f"{name} is not supported; the converter handles "
                             f"{', '.join(sorted(converters))}.")
    content = converters[name](content)
    return PretrainedLayer(layer_name=layer.state["layer_name"], layer_content=content,
                           freeze_params=bool(layer.get("freeze_params", False))), {}


def _convert_nested_mlp(layer: Recorded) -> tuple[Any, Arrays]:
    """An MLP used as a layer of another: its arrays are copied once the outer MLP has
    set the input spaces (which allocates the inner layers' parameters)."""
    from pylearn2.models.mlp import MLP

    converted = [convert_layer(child) for child in require(layer, "layers")]
    nested = MLP(layers=[child for child, _ in converted], layer_name=layer.get("layer_name"))
    return nested, {f"layers.{i}.{key}": value for i, (_, arrays) in enumerate(converted)
                    for key, value in arrays.items()}


_LAYER_CONVERTERS: dict[str, Callable[[Recorded], tuple[Any, Arrays]]] = {
    **{f"pylearn2.models.mlp.{name}": _convert_dense for name in _DENSE_LAYERS},
    "pylearn2.models.mlp.Softmax": _convert_softmax,
    "pylearn2.models.mlp.ConvElemwise": _convert_conv,
    "pylearn2.models.mlp.ConvRectifiedLinear": _convert_conv,
    "pylearn2.models.maxout.Maxout": _convert_maxout,
    "pylearn2.models.maxout.MaxoutConvC01B": _convert_maxout_conv,
    "pylearn2.models.maxout.MaxoutLocalC01B": _convert_maxout_local,
    "pylearn2.models.mlp.SoftmaxPool": _convert_softmax_pool,
    "pylearn2.models.mlp.LinearGaussian": _convert_linear_gaussian,
    "pylearn2.models.mlp.WindowLayer": _convert_window,
    "pylearn2.models.mlp.SpaceConverter": _convert_space_converter,
    "pylearn2.models.mlp.CompositeLayer": _convert_composite,
    "pylearn2.models.mlp.FlattenerLayer": _convert_flattener,
    "pylearn2.models.mlp.PretrainedLayer": _convert_pretrained,
    "pylearn2.models.mlp.MLP": _convert_nested_mlp,
}

#: the original's MLP layer classes the converter rebuilds
LAYER_CLASSES = tuple(sorted(_LAYER_CONVERTERS))


def convert_layer(layer: Any) -> tuple[Any, Arrays]:
    """This library's layer for a recorded one, with its arrays keyed by parameter path."""
    name = layer.legacy_global if isinstance(layer, Recorded) else type(layer).__name__
    if name not in _LAYER_CONVERTERS:
        where = layer.get("layer_name") if isinstance(layer, Recorded) else None
        raise ModelFileError(f"layer {where!r} is a {name}, which the converter does not "
                             f"support; it handles {', '.join(LAYER_CLASSES)}.")
    return _LAYER_CONVERTERS[name](layer)


def _copy_arrays(module: Any, arrays: Arrays, where: str) -> None:
    named = dict(module.named_parameters()) | dict(module.named_buffers())
    for key, value in arrays.items():
        target = named.get(key)
        if target is None:
            target = getattr(module, key, None)
        if target is None:
            raise ModelFileError(f"{where}: the converted layer has no {key!r}.")
        set_param(target, value, f"{where} {key}")


def convert_mlp(obj: Recorded) -> Any:
    """An original ``MLP`` here, layer by layer, with every array copied."""
    from pylearn2.models.mlp import MLP

    if obj.get("extensions"):
        raise ModelFileError(f"the MLP has model extensions {obj.get('extensions')!r}, which "
                             "the converter cannot rebuild.")
    converted = [convert_layer(layer) for layer in require(obj, "layers")]
    model = MLP(layers=[layer for layer, _ in converted],
                input_space=convert_space(require(obj, "input_space")),
                batch_size=obj.get("batch_size"),
                input_source=obj.get("_input_source", "features"),
                target_source=obj.get("_target_source", "targets"),
                monitor_targets=bool(obj.get("monitor_targets", True)))
    for index, (layer, arrays) in enumerate(converted):
        _copy_arrays(layer, arrays, f"layer {index} ({layer.layer_name})")
    return model


def convert_softmax_regression(obj: Recorded) -> Any:
    from pylearn2.models.softmax_regression import SoftmaxRegression
    from pylearn2.scripts.legacy_models.common import space_dim

    softmax = require(obj, "layers")[0]
    model = SoftmaxRegression(n_classes=int(softmax.get("n_classes")),
                              nvis=space_dim(require(obj, "input_space")), irange=0.0)
    layer = model.layers[0]
    set_param(layer.W, weights_of(softmax), "softmax W")
    set_param(layer.b, shared_value(softmax.get("b")), "softmax b")
    return model
