"""The Layer base class and helpers shared by layer families.

A layer is a Model with a name, an input space (set by its MLP from the layer below,
see pylearn2.models.mlp.mlp) and an output space.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from pylearn2.models.model import Model
from pylearn2.space import CompositeSpace, Space
from pylearn2.utils.compiled import eager_when_compiled
from pylearn2.utils.exc import ConfigError, ShapeError
from pylearn2.utils.forward_memo import param_channels_recorded

if TYPE_CHECKING:
    from pylearn2.models.mlp.mlp import MLP


class Layer(Model):
    """One stage of an MLP: ``fprop`` maps a batch of the input space to the output space."""

    layer_name: str

    def __init__(self, extensions: list[Any] | None = None) -> None:
        """``extensions``: model extensions as :class:`~pylearn2.models.model.Model` takes
        them; the training step runs them with this layer as their ``model``."""
        super().__init__(extensions=extensions)
        self._mlp_ref: list[MLP] = []

    def get_mlp(self) -> MLP | None:
        """The MLP this layer belongs to (None when it stands alone)."""
        return self._mlp_ref[0] if self._mlp_ref else None

    def set_mlp(self, mlp: MLP) -> None:
        """Record the MLP that contains this layer (the MLP calls this)."""
        # Held in a list so that nn.Module does not register the parent as a child.
        self._mlp_ref[:] = [mlp]

    def set_input_space(self, space: Space) -> None:
        """Extension point: accept the space of the layer below, check it, set
        ``self.input_space`` and ``self.output_space`` and allocate the parameters."""
        raise NotImplementedError

    def fprop(self, state_below: Any) -> Any:
        """Extension point: map a batch in the input space to the output space."""
        raise NotImplementedError

    def forward(self, state_below: Any) -> Any:
        """torch's name for :meth:`fprop`."""
        return self.fprop(state_below)

    def cost(self, Y: torch.Tensor, Y_hat: torch.Tensor) -> torch.Tensor:
        """Extension point for the last layer: the cost of output ``Y_hat`` against targets ``Y``
        (0-d tensor, mean over examples)."""
        raise NotImplementedError(
            f"Layer {self.layer_name!r} ({type(self).__name__}) cannot be the output layer of "
            "an MLP trained with costs.mlp.Default: it defines no cost."
        )

    def cost_from_input(self, Y: torch.Tensor, state_below: Any) -> torch.Tensor:
        """The cost given this layer's input (lets Softmax stay in log space)."""
        return self.cost(Y, self.fprop(state_below))

    def _weights(self) -> torch.Tensor:
        W = getattr(self, "W", None)
        if W is None:
            raise ConfigError(f"Layer {self.layer_name!r} has no weights to decay; give it "
                              "coefficient 0 (or leave it out of the dict).")
        return W

    def get_biases(self) -> Any:
        """The bias vector as a numpy array."""
        b = getattr(self, "b", None)
        if b is None:
            raise ConfigError(f"Layer {getattr(self, 'layer_name', type(self).__name__)!r} "
                              "has no biases.")
        return b.detach().cpu().numpy()

    def set_biases(self, biases: Any) -> None:
        """Overwrite the bias vector with ``biases`` (same shape)."""
        import numpy as np

        with torch.no_grad():
            self.b.copy_(torch.as_tensor(np.asarray(biases), dtype=self.b.dtype))

    def modify_updates(self, updates: dict) -> None:
        """Make proposed new values ``{param: tensor}`` of this layer's parameters obey its
        constraints (norm limits, masks), in place, as the original's ``modify_updates``
        did; training here calls :meth:`enforce_constraints` after each step instead."""
        own = [p for p in self.parameters() if p in updates]
        if not own or not self.has_constraints():
            return
        with torch.no_grad():
            saved = [p.detach().clone() for p in own]
            for p in own:
                p.copy_(updates[p])
            self.enforce_constraints()
            for p, old in zip(own, saved):
                updates[p] = p.detach().clone()
                p.copy_(old)

    censor_updates = modify_updates

    def get_weight_decay(self, coeff: float) -> torch.Tensor:
        """Sum of ``coeff`` times the squared weights (WeightDecay costs call this)."""
        return float(coeff) * self._weights().pow(2).sum()

    def get_l1_weight_decay(self, coeff: float) -> torch.Tensor:
        """Sum of ``coeff`` times the absolute weights (L1WeightDecay calls this)."""
        return float(coeff) * self._weights().abs().sum()

    def get_lr_scalers(self) -> dict[torch.nn.Parameter, float]:
        """Per-parameter learning-rate multipliers (``W_lr_scale``/``b_lr_scale``)."""
        return {**super().get_lr_scalers(), **weight_bias_lr_scalers(self)}

    def get_layer_monitoring_channels(
        self, state_below: Any = None, state: Any = None, targets: Any = None
    ) -> dict[str, torch.Tensor]:
        """Extension point: channels of this layer for one batch
        (``state_below`` input, ``state`` output, ``targets`` for the last layer),
        including :meth:`param_channels_for_batch`."""
        return {}

    def param_channels_for_batch(self) -> dict[str, torch.Tensor]:
        """The part of :meth:`get_param_monitoring_channels` that
        :meth:`get_layer_monitoring_channels` reports: all of it when called directly,
        nothing while the monitor records those channels once per call itself."""
        return {} if param_channels_recorded() else self.get_param_monitoring_channels()

    def _check_input(self, space: Space, expected: type, what: str) -> None:
        if not isinstance(space, expected):
            raise ConfigError(f"Layer {self.layer_name!r} expects {what} input, got {space}.")


def weight_bias_lr_scalers(module: Any) -> dict[torch.nn.Parameter, float]:
    """``{W: W_lr_scale, b: b_lr_scale}`` for whichever of the two a module sets."""
    scalers = {}
    for param_name, scale_name in (("W", "W_lr_scale"), ("b", "b_lr_scale")):
        param, scale = getattr(module, param_name, None), getattr(module, scale_name, None)
        if param is not None and scale is not None:
            scalers[param] = float(scale)
    return scalers


@eager_when_compiled  # draws from a torch.Generator, which torch.compile cannot trace
def apply_dropout(
    x: torch.Tensor,
    include_prob: float,
    scale: float,
    per_example: bool = True,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Keep each input with probability ``include_prob`` and multiply kept ones by ``scale``.

    An include probability of 1 leaves the input as it is, whatever ``scale`` says (as
    the original Pylearn2 does). Always eager: a compiled step calls it between graphs,
    so its draws and its rounding are eager's, whatever was compiled before (a compiled
    copy would be recompiled per grad mode and shape until torch.compile's cache limit,
    and a resumed run, starting from another history, would round differently)."""
    if include_prob is None or include_prob >= 1.0:
        return x
    if not 0.0 < include_prob <= 1.0:
        raise ConfigError(f"Dropout include probability must be in (0, 1], got {include_prob}.")
    shape = x.shape if per_example else (1,) + tuple(x.shape[1:])
    draws = torch.rand(shape, device=x.device, generator=generator)
    if x.dtype != torch.float32:
        return x * (draws < include_prob).to(x.dtype) * scale
    # float32: the draws become the mask in place, the scale where kept and 0 elsewhere
    # (the same products as x * keep * scale, with two fewer temporaries)
    mask = draws.lt_(include_prob)
    return x * (mask.mul_(scale) if scale != 1.0 else mask)


def check_batch(x: torch.Tensor, space: Space, layer_name: str) -> None:
    """Raise a clear ShapeError when ``x`` does not fit ``space``."""
    try:
        space.validate(x)
    except ShapeError as err:
        raise ShapeError(f"Layer {layer_name!r}: {err}") from None


__all__ = ["Layer", "apply_dropout", "check_batch", "CompositeSpace"]
