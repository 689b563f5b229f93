"""Mean-field inference procedures for DBMs.

Each procedure fills in ``H_hat``, one total state per hidden layer, by fixed-point
updates ``H_j <- layer_j.mf_update(state below, state above)``; they differ in the
starting point and the update order:

* :class:`WeightDoubling` (alias :class:`SuperWeightDoubling`): a bottom-up pass with
  doubled weights (standing in for the missing input from above; Salakhutdinov & Hinton
  2009), then alternating even/odd sweeps. Also does the inpainting of multi-prediction
  training (``do_inpainting``) and the multi-inference trick (``multi_infer``).
* :class:`MoreConsistent`: ``mf`` is ``do_inpainting`` with nothing dropped (and the
  labels, if any, all unobserved), so training and test inference agree.
* :class:`MoreConsistent2`: inpainting starts the labels from the bottom-up pass.
* :class:`BiasInit`: start every layer at its biases, no doubling.
* :class:`UpDown`: start at the biases, then sweep bottom-to-top and top-to-bottom in turn.

``block_grad=k`` detaches the states after iteration k (k=1: after the first pass), so
back-propagation runs through the last iterations only.
"""

from __future__ import annotations

from typing import Any

import torch

from pylearn2.models.dbm.layer_base import detach_state
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.init_args import InitArgsMixin


def block(states: list[Any]) -> list[Any]:
    """The same nested states with the gradient stopped."""
    return [detach_state(x) for x in states]


def flatten(states: Any) -> list[torch.Tensor]:
    """All tensors in a nested list/tuple of states, in order."""
    if isinstance(states, (list, tuple)):
        return [t for x in states for t in flatten(x)]
    return [states]


class InferenceProcedure(InitArgsMixin):
    """Base class: knows its DBM (``set_dbm``) and the single-layer update."""

    dbm: Any = None

    def __init__(self) -> None:
        """Procedures take no arguments; the DBM attaches itself with set_dbm."""

    def set_dbm(self, dbm: Any) -> None:
        object.__setattr__(self, "dbm", dbm)

    def set_batch_size(self, batch_size: int) -> None:
        """No procedure here depends on the batch size."""

    def is_rbm_compatible(self) -> bool:
        """Whether ``mf`` gives exact inference for a one-hidden-layer DBM (an RBM)."""
        return True

    # -- helpers ------------------------------------------------------------------------
    def _below(self, j: int, V: torch.Tensor, H: list[Any]) -> torch.Tensor:
        dbm = self.dbm
        if j == 0:
            return dbm.visible_layer.upward_state(V)
        return dbm.hidden_layers[j - 1].upward_state(H[j - 1])

    def _update(self, j: int, V: torch.Tensor, H: list[Any], double_weights: bool = False,
                use_above: bool = True) -> Any:
        layers = self.dbm.hidden_layers
        above = use_above and j + 1 < len(layers) and H[j + 1] is not None
        return layers[j].mf_update(
            state_below=self._below(j, V, H),
            state_above=layers[j + 1].downward_state(H[j + 1]) if above else None,
            layer_above=layers[j + 1] if above else None, double_weights=double_weights)

    def _check_y(self, Y: Any) -> None:
        if Y is not None and len(self.dbm.hidden_layers) < 2:
            raise ConfigError("Inference with labels Y needs a DBM with a hidden layer below "
                              "its Softmax label layer.")

    def _bottom_up(self, V: torch.Tensor) -> list[Any]:
        """Doubled weights for every layer but the top (which has nothing above it)."""
        H: list[Any] = [None] * len(self.dbm.hidden_layers)
        for j in range(len(H)):
            H[j] = self._update(j, V, H, double_weights=j + 1 < len(H), use_above=False)
        return H

    def _bias_init(self, batch_size: int) -> list[Any]:
        return [None] + [layer.init_mf_state(batch_size) for layer in self.dbm.hidden_layers[1:]]

    def _sweep(self, V: torch.Tensor, H: list[Any], order: range, clamp=None) -> None:
        for j in order:
            H[j] = self._update(j, V, H)
            if clamp is not None:
                clamp(j, H)

    # -- the API ------------------------------------------------------------------------
    def mf(self, V: torch.Tensor, Y: torch.Tensor | None = None, return_history: bool = False,
           niter: int | None = None, block_grad: int | None = None):
        raise NotImplementedError(f"{type(self).__name__} does not implement mf.")

    def do_inpainting(self, V: torch.Tensor, Y: torch.Tensor | None = None,
                      drop_mask: torch.Tensor | None = None,
                      drop_mask_Y: torch.Tensor | None = None, return_history: bool = False,
                      noise: bool = False, niter: int | None = None,
                      block_grad: int | None = None):
        raise NotImplementedError(f"{type(self).__name__} does not implement do_inpainting.")

    def multi_infer(self, V: torch.Tensor, return_history: bool = False,
                    niter: int | None = None, block_grad: int | None = None):
        raise NotImplementedError(f"{type(self).__name__} does not implement multi_infer.")


class _Inpainter:
    """Shared state of one inpainting run: V_hat, H_hat and the label bookkeeping."""

    def __init__(self, proc: InferenceProcedure, V, Y, drop_mask, drop_mask_Y, noise, gen):
        if drop_mask is None:
            raise ConfigError("do_inpainting needs a drop_mask (1 = predict that unit).")
        if (Y is None) != (drop_mask_Y is None):
            raise ConfigError("do_inpainting needs Y and drop_mask_Y together.")
        proc._check_y(Y)
        self.proc, self.dbm, self.V, self.Y, self.drop_mask = proc, proc.dbm, V, Y, drop_mask
        self.mask_Y = None if drop_mask_Y is None else drop_mask_Y.reshape(-1, 1)
        self.V_hat, self.V_hat_unmasked, self.V_z = self.dbm.visible_layer.init_inpainting_state(
            V, drop_mask, noise, return_unmasked=True, gen=gen)
        self.H: list[Any] = []
        self.Y_hat_unmasked = self.Y_z = None
        self.history: list[dict[str, Any]] = []

    def clamp_top(self, j: int, H: list[Any], below=None) -> None:
        """After the top layer's update, keep the observed labels."""
        if self.Y is None or j != len(H) - 1:
            return
        top = self.dbm.hidden_layers[-1]
        self.Y_z = top.presynaptic(self.proc._below(j, self.V_hat, H))
        self.Y_hat_unmasked = torch.softmax(self.Y_z, -1)
        H[j] = self.mask_Y * self.Y_hat_unmasked + (1 - self.mask_Y) * self.Y

    def set_init_y(self, unmasked: torch.Tensor, z: torch.Tensor) -> None:
        self.Y_hat_unmasked, self.Y_z = unmasked, z
        self.H[-1] = self.mask_Y * unmasked + (1 - self.mask_Y) * self.Y

    def update_visible(self) -> None:
        first = self.dbm.hidden_layers[0]
        self.V_hat, self.V_hat_unmasked, self.V_z = self.dbm.visible_layer.inpaint_update(
            state_above=first.downward_state(self.H[0]), layer_above=first, V=self.V,
            drop_mask=self.drop_mask, return_unmasked=True)

    def block(self) -> None:
        self.V_hat, self.V_hat_unmasked = self.V_hat.detach(), self.V_hat_unmasked.detach()
        self.V_z = self.V_z.detach()
        self.H = block(self.H)

    def record(self) -> None:
        entry = {"V_hat": self.V_hat, "H_hat": list(self.H), "V_hat_unmasked": self.V_hat_unmasked,
                 "V_z": self.V_z}
        if self.Y is not None:
            entry.update(Y_hat_unmasked=self.Y_hat_unmasked, Y_z=self.Y_z, Y_hat=self.H[-1])
        self.history.append(entry)

    def iterate(self, niter: int, block_grad: int | None, first_index: int = 1) -> None:
        n = len(self.H)
        for i in range(niter):
            self.proc._sweep(self.V_hat, self.H, range(0, n, 2), self.clamp_top)
            self.update_visible()
            self.proc._sweep(self.V_hat, self.H, range(1, n, 2), self.clamp_top)
            if block_grad == i + first_index:
                self.block()
            self.record()

    def result(self, return_history: bool):
        if return_history:
            return self.history
        return (self.V_hat, self.H[-1]) if self.Y is not None else self.V_hat


class WeightDoubling(InferenceProcedure):
    """Bottom-up pass with doubled weights, then alternating even/odd mean-field sweeps
    (``niter`` passes in all, the first one included)."""

    def is_rbm_compatible(self) -> bool:
        return True

    def mf(self, V, Y=None, return_history=False, niter=None, block_grad=None):
        self._check_y(Y)
        dbm = self.dbm
        niter = dbm.niter if niter is None else int(niter)
        H = self._bottom_up(V)
        if Y is not None:
            top = dbm.hidden_layers[-1]
            H[-2] = dbm.hidden_layers[-2].mf_update(
                state_below=self._below(len(H) - 2, V, H), state_above=top.downward_state(Y),
                layer_above=top)
            H[-1] = Y
        if block_grad == 1:
            H = block(H)
        history = [list(H)]

        def clamp(j, states):
            if Y is not None and j == len(states) - 1:
                states[j] = Y

        if len(H) > 1:
            for i in range(1, niter):
                self._sweep(V, H, range(0, len(H), 2), clamp)
                self._sweep(V, H, range(1, len(H), 2), clamp)
                if block_grad == i + 1:
                    H = block(H)
                history.append(list(H))
        return history if return_history else H

    def _inpaint_start(self, run: _Inpainter, Y, noise, gen) -> None:
        run.H = self._bottom_up(run.V_hat)
        if Y is not None:
            top = self.dbm.hidden_layers[-1]
            run.set_init_y(*top.init_inpainting_state(Y, noise, gen=gen))
            j = len(run.H) - 2
            run.H[j] = self.dbm.hidden_layers[j].mf_update(
                state_below=self._below(j, run.V_hat, run.H),
                state_above=top.downward_state(run.H[-1]), layer_above=top)

    def do_inpainting(self, V, Y=None, drop_mask=None, drop_mask_Y=None, return_history=False,
                      noise=False, niter=None, block_grad=None, gen=None):
        """Mean-field values of the units ``drop_mask`` marks (and of the labels
        ``drop_mask_Y`` marks), the others clamped to V and Y. Returns ``V_hat`` (and
        ``Y_hat``), or with ``return_history`` one dict per pass with ``V_hat``,
        ``V_hat_unmasked``, ``V_z`` (its logits), ``H_hat`` and the ``Y_`` counterparts."""
        niter = self.dbm.niter if niter is None else int(niter)
        run = _Inpainter(self, V, Y, drop_mask, drop_mask_Y, noise, gen)
        self._inpaint_start(run, Y, noise, gen)
        if block_grad == 1:
            run.block()
        run.record()
        run.iterate(niter - 1, block_grad, first_index=2)
        return run.result(return_history)

    def multi_infer(self, V, return_history=False, niter=None, block_grad=None):
        """The multi-inference trick (Goodfellow et al. 2013): the visible units are
        re-estimated each pass and averaged with the data, ``0.5 V + 0.5 V_hat``; returns
        the top layer's state."""
        dbm = self.dbm
        niter = dbm.niter if niter is None else int(niter)
        new_V = 0.5 * V + 0.5 * dbm.visible_layer.init_inpainting_state(V, None)
        H = self._bottom_up(new_V)
        history = [(new_V, list(H))]
        first = dbm.hidden_layers[0]
        for i in range(1, niter):
            self._sweep(new_V, H, range(0, len(H), 2))
            V_hat = dbm.visible_layer.inpaint_update(first.downward_state(H[0]), first)
            new_V = 0.5 * V + 0.5 * V_hat
            self._sweep(new_V, H, range(1, len(H), 2))
            if block_grad == i + 1:
                H, new_V = block(H), new_V.detach()
            history.append((new_V, list(H)))
        return history if return_history else H[-1]


SuperWeightDoubling = WeightDoubling


class MoreConsistent(WeightDoubling):
    """``mf`` runs ``do_inpainting`` with no visible unit dropped and, when the model
    has labels but none are given, every label unobserved; returns the hidden states
    (the top one before the labels are clamped)."""

    def mf(self, V, Y=None, return_history=False, niter=None, block_grad=None):
        drop_mask = torch.zeros_like(V)
        top = self.dbm.hidden_layers[-1]
        from pylearn2.models.dbm.layer import Softmax

        if Y is not None:
            drop_mask_Y = torch.zeros(V.shape[0], dtype=V.dtype, device=V.device)
        elif isinstance(top, Softmax) and len(self.dbm.hidden_layers) > 1:
            Y = torch.ones(V.shape[0], top.n_classes, dtype=V.dtype, device=V.device)
            drop_mask_Y = torch.ones(V.shape[0], dtype=V.dtype, device=V.device)
        else:
            drop_mask_Y = None
        history = self.do_inpainting(V, Y=Y, drop_mask=drop_mask, drop_mask_Y=drop_mask_Y,
                                     return_history=True, niter=niter, block_grad=block_grad)
        if return_history:
            return [entry["H_hat"] for entry in history]
        H = list(history[-1]["H_hat"])
        if "Y_hat_unmasked" in history[-1]:
            H[-1] = history[-1]["Y_hat_unmasked"]
        return H


class MoreConsistent2(WeightDoubling):
    """Inpainting that starts the labels from the bottom-up pass (like ``mf``) instead of
    ``softmax(b)``, with no extra update of the layer below them."""

    def _inpaint_start(self, run: _Inpainter, Y, noise, gen) -> None:
        run.H = self._bottom_up(run.V_hat)
        if Y is not None:
            top = self.dbm.hidden_layers[-1]
            z = top.presynaptic(self._below(len(run.H) - 1, run.V_hat, run.H))
            run.set_init_y(torch.softmax(z, -1), z)


class BiasInit(InferenceProcedure):
    """Every layer above the first starts at its biases' mean-field state; ``niter`` full
    even/odd sweeps follow, with the same weights throughout."""

    def _orders(self, i: int, n: int) -> list[range]:
        """The sweeps of iteration i over n hidden layers."""
        return [range(0, n, 2), range(1, n, 2)]

    def mf(self, V, Y=None, return_history=False, niter=None, block_grad=None):
        self._check_y(Y)
        niter = self.dbm.niter if niter is None else int(niter)
        H = self._bias_init(V.shape[0])
        n = len(H)
        if Y is not None:
            H[-1] = Y

        def clamp(j, states):
            if Y is not None and j == n - 1:
                states[j] = Y

        history = [list(H)]
        for i in range(niter):
            for order in self._orders(i, n):
                self._sweep(V, H, order, clamp)
            if block_grad == i + 1:
                H = block(H)
            history.append(list(H))
        return history if return_history else H

    def do_inpainting(self, V, Y=None, drop_mask=None, drop_mask_Y=None, return_history=False,
                      noise=False, niter=None, block_grad=None, gen=None):
        niter = self.dbm.niter if niter is None else int(niter)
        run = _Inpainter(self, V, Y, drop_mask, drop_mask_Y, noise, gen)
        run.H = self._bias_init(V.shape[0])
        if Y is not None:
            run.set_init_y(*self.dbm.hidden_layers[-1].init_inpainting_state(Y, noise, gen=gen))
        run.record()
        run.iterate(niter, block_grad)
        return run.result(return_history)


class UpDown(BiasInit):
    """Start at the biases, then alternate a bottom-to-top sweep and a top-to-bottom
    sweep (one per iteration); inpainting re-estimates the visible units after each."""

    def _orders(self, i: int, n: int) -> list[range]:
        return [range(0, n) if i % 2 == 0 else range(n - 1, -1, -1)]

    def do_inpainting(self, V, Y=None, drop_mask=None, drop_mask_Y=None, return_history=False,
                      noise=False, niter=None, block_grad=None, gen=None):
        niter = self.dbm.niter if niter is None else int(niter)
        run = _Inpainter(self, V, Y, drop_mask, drop_mask_Y, noise, gen)
        run.H = self._bias_init(V.shape[0])
        n = len(run.H)
        if Y is not None:
            run.set_init_y(*self.dbm.hidden_layers[-1].init_inpainting_state(Y, noise, gen=gen))
        run.record()
        for i in range(niter):
            self._sweep(run.V_hat, run.H, self._orders(i, n)[0], run.clamp_top)
            run.update_visible()
            if block_grad == i + 1:
                run.block()
            run.record()
        return run.result(return_history)


__all__ = ["InferenceProcedure", "WeightDoubling", "SuperWeightDoubling", "MoreConsistent",
           "MoreConsistent2", "BiasInit", "UpDown", "block", "flatten"]
