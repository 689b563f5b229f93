"""Converters of the original's autoencoders, RBMs and k-means."""

from __future__ import annotations

from typing import Any

import torch

from pylearn2.scripts.legacy_models.common import Recorded, copy_named, require, shared_value
from pylearn2.utils.exc import ModelFileError

# scalar ops of the Theano Elemwise the original stored as act_enc / act_dec
_ACTIVATION_OPS = {"ScalarSigmoid": "sigmoid", "Tanh": "tanh", "ScalarSoftplus": "softplus"}
_CORRUPTORS = ("BinomialCorruptor", "DropoutCorruptor", "GaussianCorruptor",
               "SaltPepperCorruptor")


def _activation_name(op: Any) -> str | None:
    if op is None or isinstance(op, str):
        return op
    scalar = op.get("scalar_op") if isinstance(op, Recorded) else None
    if isinstance(scalar, Recorded) and scalar.legacy_name in _ACTIVATION_OPS:
        return _ACTIVATION_OPS[scalar.legacy_name]
    raise ModelFileError(f"unsupported autoencoder activation {op!r} (the converter knows "
                         f"{', '.join(sorted(_ACTIVATION_OPS.values()))} and identity).")


def _corruptor(recorded: Any) -> Any:
    from pylearn2 import corruption

    name = recorded.legacy_name if isinstance(recorded, Recorded) else None
    if name not in _CORRUPTORS:
        raise ModelFileError(f"unsupported corruptor {recorded!r}; the converter knows "
                             f"{', '.join(_CORRUPTORS)}.")
    level = float(require(recorded, "corruption_level"))
    if name == "GaussianCorruptor":
        return corruption.GaussianCorruptor(stdev=level)
    return getattr(corruption, name)(corruption_level=level)


def convert_autoencoder(obj: Recorded) -> Any:
    """An original ``Autoencoder`` and its one-layer kin (denoising, contractive,
    higher-order contractive, untied) with their weights."""
    from pylearn2.models import autoencoder

    state = obj.state
    w_prime = state.get("w_prime")
    tied = bool(require(obj, "tied_weights")) and w_prime is None
    common = {"nvis": int(require(obj, "nvis")), "nhid": int(require(obj, "nhid")),
              "act_enc": _activation_name(state.get("act_enc")),
              "act_dec": _activation_name(state.get("act_dec")),
              "tied_weights": tied, "irange": 0.0}
    name = obj.legacy_name
    if name == "DenoisingAutoencoder":
        model = autoencoder.DenoisingAutoencoder(_corruptor(require(obj, "corruptor")), **common)
    elif name == "HigherOrderContractiveAutoencoder":
        model = autoencoder.HigherOrderContractiveAutoencoder(
            _corruptor(require(obj, "corruptor")), int(require(obj, "num_corruptions")),
            **common)
    elif name == "ContractiveAutoencoder":
        model = autoencoder.ContractiveAutoencoder(**common)
    else:  # Autoencoder, and UntiedAutoencoder (its own decoder weights, as untied here)
        model = autoencoder.Autoencoder(**common)
    arrays = {"weights": shared_value(require(obj, "weights")),
              "hidbias": shared_value(require(obj, "hidbias")),
              "visbias": shared_value(require(obj, "visbias"))}
    if not tied:
        arrays["w_prime"] = shared_value(w_prime)
    copy_named(model, arrays)
    return model


def convert_deep_autoencoder(obj: Recorded) -> Any:
    """``DeepComposedAutoencoder`` / ``StackedDenoisingAutoencoder``: each stacked
    autoencoder converted in turn."""
    from pylearn2.models import autoencoder

    parts = [convert_autoencoder(ae) for ae in require(obj, "autoencoders")]
    if obj.legacy_name == "StackedDenoisingAutoencoder":
        return autoencoder.StackedDenoisingAutoencoder(parts,
                                                       _corruptor(require(obj, "corruptor")))
    return autoencoder.DeepComposedAutoencoder(parts)


def convert_stacked_blocks(obj: Recorded) -> Any:
    """``pylearn2.blocks.StackedBlocks`` of autoencoders (what ``build_stacked_ae`` gave)
    becomes a :class:`DeepComposedAutoencoder`: its ``perform`` encodes through the stack
    as the StackedBlocks did, and unlike a StackedBlocks it can be saved as a model file."""
    from pylearn2.models.autoencoder import DeepComposedAutoencoder

    layers = require(obj, "_layers")
    for layer in layers:
        found = layer.legacy_global if isinstance(layer, Recorded) else type(layer).__name__
        if found not in _ONE_LAYER_AE:
            raise ModelFileError(f"a StackedBlocks holds a {found}; the converter handles "
                                 f"stacks of {', '.join(sorted(_ONE_LAYER_AE))}.")
    return DeepComposedAutoencoder([convert_autoencoder(layer) for layer in layers])


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

        energy = state.get("energy_function")
        if isinstance(energy, Recorded) and energy.legacy_name != "GRBM_Type_1":
            raise ModelFileError(f"GaussianBinaryRBM with a {energy.legacy_global} energy is "
                                 "not supported (only GRBM_Type_1).")
        model = rbm.GaussianBinaryRBM(
            energy_function_class=GRBM_Type_1, nvis=nvis, nhid=nhid, irange=0.0,
            mean_vis=bool(state["mean_vis"]), init_sigma=float(state["init_sigma"]),
            learn_sigma=bool(state["learn_sigma"]),
            sigma_lr_scale=float(state["sigma_lr_scale"]),
            min_sigma=float(state["min_sigma"]), max_sigma=float(state["max_sigma"]))
        arrays["sigma_driver"] = shared_value(state["sigma_driver"])
    else:
        model = rbm.RBM(nvis=nvis, nhid=nhid, irange=0.0)
    copy_named(model, arrays)
    return model


def convert_kmeans(obj: Recorded) -> Any:
    from pylearn2.models.kmeans import KMeans

    mu = shared_value(obj.state["mu"])
    model = KMeans(k=int(obj.state["k"]), nvis=int(mu.shape[1]))
    model.load_state_dict({**model.state_dict(), "mu": torch.as_tensor(mu),
                           "initialized": torch.tensor(True)}, strict=False)
    return model


_AE = "pylearn2.models.autoencoder."
_ONE_LAYER_AE = tuple(_AE + name for name in (
    "Autoencoder", "DenoisingAutoencoder", "ContractiveAutoencoder",
    "HigherOrderContractiveAutoencoder", "UntiedAutoencoder"))
#: one-layer models (autoencoders, RBMs) by the original's class path
STACKABLE = {**{name: convert_autoencoder for name in _ONE_LAYER_AE},
             "pylearn2.models.rbm.RBM": convert_rbm,
             "pylearn2.models.rbm.GaussianBinaryRBM": convert_rbm}
DEEP_AUTOENCODERS = {_AE + "DeepComposedAutoencoder": convert_deep_autoencoder,
                     _AE + "StackedDenoisingAutoencoder": convert_deep_autoencoder}
