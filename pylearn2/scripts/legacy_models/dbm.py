"""Converter of the original's ``DBM``: its visible layer (BinaryVector, GaussianVisLayer in
vector form), hidden layers (BinaryVectorMaxPool, Softmax) and inference procedure.

A GaussianVisLayer of the original hands the layer above ``(v - mu) * beta``; here the
first hidden layer above a Gaussian visible layer is a :class:`BVMP_Gaussian`, which sees
``(v * beta) W + b``. The two agree (in mean field, sampling and energy) once the first
layer's biases absorb ``-(mu * beta) W``, which the converter does; later training of
``mu`` or ``beta`` then follows this library's parametrisation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pylearn2.scripts.legacy_models.common import (
    Recorded,
    options,
    require,
    set_param,
    shared_value,
    weights_of,
)
from pylearn2.utils.exc import ModelFileError

_PROCEDURES = ("WeightDoubling", "SuperWeightDoubling", "MoreConsistent", "MoreConsistent2",
               "BiasInit", "UpDown")
_HIDDEN_OPTIONS = ("W_lr_scale", "b_lr_scale", "max_col_norm", "copies", "center")


def _visible(obj: Recorded) -> tuple[Any, dict[str, np.ndarray]]:
    from pylearn2.models.dbm import layer as dbm_layer

    state = obj.state
    if obj.legacy_name == "BinaryVector":
        ours = dbm_layer.BinaryVector(nvis=int(require(obj, "nvis")),
                                      **options(state, ("center", "copies",
                                                        "learn_init_inpainting_state")))
        arrays = {"bias": shared_value(require(obj, "bias"))}
        if state.get("center"):
            arrays["offset"] = shared_value(require(obj, "offset"))
        return ours, arrays
    if obj.legacy_name == "GaussianVisLayer":
        if state.get("nvis") is None or state.get("tie_beta") or state.get("tie_mu"):
            raise ModelFileError("a GaussianVisLayer in its topological form (rows, cols, "
                                 "channels) or with tie_beta/tie_mu is not supported by the "
                                 "converter; only the vector form (nvis).")
        ours = dbm_layer.GaussianVisLayer(
            nvis=int(state["nvis"]), min_beta=float(state.get("min_beta", 1.0)),
            **options(state, ("learn_init_inpainting_state", "beta_lr_scale")))
        return ours, {"beta": shared_value(require(obj, "beta")),
                      "mu": shared_value(require(obj, "mu"))}
    raise ModelFileError(f"DBM visible layer {obj.legacy_global} is not supported (the "
                         "converter knows BinaryVector and GaussianVisLayer).")


def _hidden(obj: Recorded, visible: Any, first: bool) -> tuple[Any, dict[str, np.ndarray]]:
    from pylearn2.models.dbm import layer as dbm_layer

    state = obj.state
    name = obj.legacy_name
    if name == "BinaryVectorMaxPool":
        kwargs = dict(detector_layer_dim=int(require(obj, "detector_layer_dim")),
                      pool_size=int(require(obj, "pool_size")), layer_name=state["layer_name"],
                      irange=0.0, mask_weights=state.get("mask_weights"),
                      **options(state, _HIDDEN_OPTIONS))
        gaussian_below = first and isinstance(visible, dbm_layer.GaussianVisLayer)
        ours = (dbm_layer.BVMP_Gaussian(input_layer=visible, **kwargs) if gaussian_below
                else dbm_layer.BinaryVectorMaxPool(**kwargs))
        arrays = {"W": weights_of(obj), "b": shared_value(require(obj, "b"))}
    elif name == "Softmax":
        if first and not isinstance(visible, dbm_layer.BinaryVector):
            raise ModelFileError("a DBM Softmax directly above a Gaussian visible layer is "
                                 "not supported by the converter.")
        ours = dbm_layer.Softmax(n_classes=int(require(obj, "n_classes")),
                                 layer_name=state["layer_name"], irange=0.0,
                                 **options(state, _HIDDEN_OPTIONS +
                                           ("learn_init_inpainting_state",)))
        arrays = {"W": shared_value(require(obj, "W")), "b": shared_value(require(obj, "b"))}
    else:
        raise ModelFileError(f"DBM hidden layer {state.get('layer_name')!r} is a "
                             f"{obj.legacy_global}; the converter knows BinaryVectorMaxPool "
                             "and Softmax.")
    if state.get("center"):
        arrays["offset"] = shared_value(require(obj, "offset"))
    return ours, arrays


def _procedure(obj: Any, kind: str, names: tuple[str, ...], default: str) -> Any:
    from pylearn2.models.dbm import inference_procedure, sampling_procedure

    module = inference_procedure if kind == "inference" else sampling_procedure
    if obj is None:
        return getattr(module, default)()
    if not isinstance(obj, Recorded) or obj.legacy_name not in names:
        raise ModelFileError(f"DBM {kind} procedure {obj!r} is not supported (the converter "
                             f"knows {', '.join(names)}).")
    return getattr(module, obj.legacy_name)()


def convert_dbm(obj: Recorded) -> Any:
    """An original ``DBM`` with every layer's parameters and its procedures."""
    from pylearn2.models.dbm import DBM, GaussianVisLayer

    visible, visible_arrays = _visible(require(obj, "visible_layer"))
    hidden = [_hidden(layer, visible, i == 0)
              for i, layer in enumerate(require(obj, "hidden_layers"))]
    model = DBM(batch_size=int(require(obj, "batch_size")), visible_layer=visible,
                hidden_layers=[layer for layer, _ in hidden], niter=int(require(obj, "niter")),
                inference_procedure=_procedure(obj.get("inference_procedure"), "inference",
                                               _PROCEDURES, "WeightDoubling"),
                sampling_procedure=_procedure(obj.get("sampling_procedure"), "sampling",
                                              ("GibbsEvenOdd",), "GibbsEvenOdd"))
    if isinstance(visible, GaussianVisLayer):
        _, first = hidden[0]
        mu, beta = visible_arrays["mu"], visible_arrays["beta"]
        first["b"] = (first["b"] - (mu * beta).astype(np.float64) @ first["W"]).astype(
            first["b"].dtype)
    for module, arrays, where in [(visible, visible_arrays, "visible layer")] + [
            (layer, arrays, f"layer {layer.layer_name}") for layer, arrays in hidden]:
        for key, value in arrays.items():
            set_param(getattr(module, key), value, f"{where} {key}")
    return model
