"""Multi-prediction training of DBMs (Goodfellow, Mirza, Courville & Bengio, NIPS 2013).

Each batch, :class:`MaskGen` picks a random subset of the visible units (and of the
labels) to hide; mean-field inpainting fills them in from the rest
(``dbm.do_inpainting``), and the cost is the cross-entropy of the hidden values under
the inpainted means, back-propagated through the inference passes. Importable from
``pylearn2.costs.dbm`` (the original's path).
"""

from __future__ import annotations

from typing import Any

import torch

from pylearn2.costs.cost import Cost
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.init_args import InitArgsMixin
from pylearn2.utils.rng import DeviceGenerator

DEFAULT_SEED = 20120712


class MaskGen(InitArgsMixin):
    """Random drop masks for multi-prediction training (1 = hidden, to be predicted).

    Parameters
    ----------
    drop_prob : probability of hiding each unit.
    balance : per example, use drop_prob or 1 - drop_prob at random (a fair coin).
    sync_channels : hide all channels of a pixel together (topological data only).
    drop_prob_y : the labels' probability (default drop_prob).
    seed : the masks' generator seed (its state is saved for exact resume).
    """

    def __init__(self, drop_prob: float, balance: bool = False, sync_channels: bool = True,
                 drop_prob_y: float | None = None, seed: int = DEFAULT_SEED) -> None:
        if not 0 <= float(drop_prob) <= 1:
            raise ConfigError(f"MaskGen: drop_prob must be in [0, 1], got {drop_prob}.")
        self.drop_prob, self.balance = float(drop_prob), bool(balance)
        self.sync_channels = bool(sync_channels)
        self.drop_prob_y = None if drop_prob_y is None else float(drop_prob_y)
        self.seed = int(seed)
        self._rng = DeviceGenerator(self.seed)

    def __call__(self, X: torch.Tensor, Y: torch.Tensor | None = None, X_space: Any = None):
        if X.dim() == 2 and self.sync_channels:
            raise ConfigError("MaskGen: sync_channels needs topological (image) data; set "
                              "sync_channels: 0 for vector data.")
        gen = self._rng.get(X.device)
        batch = X.shape[0]
        p = torch.full((batch,), self.drop_prob, dtype=X.dtype, device=X.device)
        yp = p.clone() if self.drop_prob_y is None else torch.full_like(p, self.drop_prob_y)
        if self.balance:
            flip = torch.bernoulli(torch.full_like(p, 0.5), generator=gen)
            p = flip * (1 - p) + (1 - flip) * p
            yp = flip * (1 - self.drop_prob) + (1 - flip) * self.drop_prob
        shape = list(X.shape)
        if self.sync_channels:
            shape = shape[:-1]  # ('b', 0, 1, 'c'): one draw per location
        probs = p.reshape(-1, *([1] * (len(shape) - 1))).expand(*shape)
        mask = torch.bernoulli(probs.contiguous(), generator=gen)
        if self.sync_channels:
            mask = mask.unsqueeze(-1).expand_as(X)
        if Y is None:
            return mask
        return mask, torch.bernoulli(yp, generator=gen)

    def state_dict(self) -> dict[str, Any]:
        return self._rng.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._rng.load_state_dict(state)


_UNBUILT = ("range_rewards", "stdev_rewards", "vis_presynaptic_cost", "hid_presynaptic_cost")


class MultiPrediction(Cost):
    """The MP-DBM cost: inpainting cross-entropy of the units ``mask_gen`` hides.

    Parameters
    ----------
    mask_gen : a MaskGen. supervised : data is (features, one-hot labels) and the labels
        are predicted too (scaled by 1/nvis to match the visible cost's mean over units).
    noise : start inpainting from random means instead of the biases.
    both_directions : average with the cost of the complementary mask.
    l1_act_targets/l1_act_coeffs/l1_act_eps : layer L1 activation penalties on the
        inpainting state. toronto_act_targets/toronto_act_coeffs : ``c * mean_j
        (mean_b q_j - t)^2``. reweighted_act_targets/reweighted_act_coeffs : the same
        divided by ``q (1 - q)``. robustness : ``r * sum (mf state - inpainting state)^2``.
    niter, block_grad : passed to inference. use_sum : visible cost summed over units.
    monitor_multi_inference : also monitor ``multi_err`` (the multi-inference trick).
    monitor_each_step : monitor the cost after every inference pass.
    range_rewards, stdev_rewards, vis_presynaptic_cost, hid_presynaptic_cost : never
        usable in the original (unfinished there); giving one is an error.
    """

    def __init__(self, monitor_multi_inference: bool = False, mask_gen: MaskGen | None = None,
                 noise: bool = False, both_directions: bool = False,
                 l1_act_coeffs: Any = None, l1_act_targets: Any = None, l1_act_eps: Any = None,
                 range_rewards: Any = None, stdev_rewards: Any = None,
                 robustness: float | None = None, supervised: bool = False,
                 niter: int | None = None, block_grad: int | None = None,
                 vis_presynaptic_cost: Any = None, hid_presynaptic_cost: Any = None,
                 reweighted_act_coeffs: Any = None, reweighted_act_targets: Any = None,
                 toronto_act_targets: Any = None, toronto_act_coeffs: Any = None,
                 monitor_each_step: bool = False, use_sum: bool = False) -> None:
        for name in _UNBUILT:
            if locals()[name] is not None:
                raise ConfigError(f"MultiPrediction: {name} was never usable in the original "
                                  "library and is not available; remove it.")
        if mask_gen is None:
            raise ConfigError("MultiPrediction needs a mask_gen (e.g. "
                              "!obj:pylearn2.costs.dbm.MaskGen {drop_prob: 0.5, sync_channels: 0}).")
        self.monitor_multi_inference, self.mask_gen = bool(monitor_multi_inference), mask_gen
        self.noise, self.both_directions = bool(noise), bool(both_directions)
        self.l1_act_coeffs, self.l1_act_targets, self.l1_act_eps = (
            l1_act_coeffs, l1_act_targets, l1_act_eps)
        self.robustness, self.supervised = robustness, bool(supervised)
        self.niter, self.block_grad = niter, block_grad
        self.reweighted_act_coeffs, self.reweighted_act_targets = (
            reweighted_act_coeffs, reweighted_act_targets)
        self.toronto_act_targets, self.toronto_act_coeffs = toronto_act_targets, toronto_act_coeffs
        self.monitor_each_step, self.use_sum = bool(monitor_each_step), bool(use_sum)
        self.range_rewards = self.stdev_rewards = None
        self.vis_presynaptic_cost = self.hid_presynaptic_cost = None

    def is_stochastic(self) -> bool:
        return True

    def state_dict(self) -> dict[str, Any]:
        return {"mask_gen": self.mask_gen.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if "mask_gen" in state:
            self.mask_gen.load_state_dict(state["mask_gen"])

    # -- pieces -------------------------------------------------------------------------
    def _inpaint(self, model, X, Y, drop_mask, drop_mask_Y):
        return model.do_inpainting(X, Y=Y, drop_mask=drop_mask, drop_mask_Y=drop_mask_Y,
                                   return_history=True, noise=self.noise, niter=self.niter,
                                   block_grad=self.block_grad,
                                   gen=self.mask_gen._rng.get(X.device))

    def get_inpaint_cost(self, dbm, X, V_z, drop_mask, state, Y, drop_mask_Y) -> torch.Tensor:
        cost = dbm.visible_layer.recons_cost(X, V_z, drop_mask, use_sum=self.use_sum)
        if self.supervised:
            scale = 1.0 if self.use_sum else 1.0 / float(X[0].numel())
            cost = cost + dbm.hidden_layers[-1].recons_cost(Y, state["Y_z"], drop_mask_Y, scale)
        return cost

    def cost_from_states(self, state, new_state, dbm, X, Y, drop_mask, drop_mask_Y,
                         new_drop_mask, new_drop_mask_Y, return_locals: bool = False):
        inpaint_cost = self.get_inpaint_cost(dbm, X, state["V_z"], drop_mask, state, Y,
                                             drop_mask_Y)
        if new_state is not None:
            other = self.get_inpaint_cost(dbm, X, new_state["V_z"], new_drop_mask, new_state, Y,
                                          new_drop_mask_Y)
            inpaint_cost = 0.5 * inpaint_cost + 0.5 * other
        total = inpaint_cost
        l1_act_cost = reweighted_act_cost = None
        if self.l1_act_targets is not None:
            eps = self.l1_act_eps or [None] * len(self.l1_act_targets)
            l1_act_cost = 0.0
            for layer, s, t, c, e in zip(dbm.hidden_layers, state["H_hat"], self.l1_act_targets,
                                         self.l1_act_coeffs, eps):
                if c:
                    l1_act_cost = l1_act_cost + layer.get_l1_act_cost(s, t, c, e)
            total = total + l1_act_cost
        if self.reweighted_act_targets is not None:
            reweighted_act_cost = 0.0
            for c, t, s, layer in zip(self.reweighted_act_coeffs, self.reweighted_act_targets,
                                      state["H_hat"], dbm.hidden_layers):
                if c:
                    q = layer.pool_state(s)
                    weight = 1.0 / (1e-7 + q * (1 - q))
                    reweighted_act_cost = reweighted_act_cost + c * (
                        weight * (q.mean(0) - t).pow(2)).mean()
            total = total + reweighted_act_cost
        if return_locals:
            return total, {"inpaint_cost": inpaint_cost, "l1_act_cost": l1_act_cost,
                           "reweighted_act_cost": reweighted_act_cost}
        return total

    def _scratch(self, model, data, drop_mask=None, drop_mask_Y=None) -> dict[str, Any]:
        X, Y = data if self.supervised else (data, None)
        if drop_mask is None:
            if self.supervised:
                drop_mask, drop_mask_Y = self.mask_gen(X, Y, X_space=model.get_input_space())
            else:
                drop_mask = self.mask_gen(X, X_space=model.get_input_space())
        history = self._inpaint(model, X, Y, drop_mask, drop_mask_Y)
        new_drop_mask = new_drop_mask_Y = None
        new_history: list[Any] = [None] * len(history)
        if self.both_directions:
            new_drop_mask = 1 - drop_mask
            new_drop_mask_Y = None if drop_mask_Y is None else 1 - drop_mask_Y
            new_history = self._inpaint(model, X, Y, new_drop_mask, new_drop_mask_Y)
        total, parts = self.cost_from_states(history[-1], new_history[-1], model, X, Y,
                                             drop_mask, drop_mask_Y, new_drop_mask,
                                             new_drop_mask_Y, return_locals=True)
        if self.robustness is not None:
            inpainted = history[-1]["H_hat"]
            mf = model.mf(X, Y=Y)
            if self.supervised:
                inpainted, mf = inpainted[:-1], mf[:-1]
            from pylearn2.models.dbm.inference_procedure import flatten
            for a, b in zip(flatten(inpainted), flatten(mf)):
                total = total + self.robustness * (b - a).pow(2).sum()
        toronto = None
        if self.toronto_act_targets is not None:
            toronto = 0.0
            for s, c, t, layer in zip(history[-1]["H_hat"], self.toronto_act_coeffs,
                                      self.toronto_act_targets, model.hidden_layers):
                if c:
                    q = layer.pool_state(s)
                    toronto = toronto + c * (q.mean(0) - t).pow(2).mean()
            total = total + toronto
        return {"X": X, "Y": Y, "history": history, "new_history": new_history,
                "drop_mask": drop_mask, "drop_mask_Y": drop_mask_Y, "new_drop_mask": new_drop_mask,
                "new_drop_mask_Y": new_drop_mask_Y, "total_cost": total,
                "toronto_act_cost": toronto, **parts}

    def expr(self, model, data, drop_mask=None, drop_mask_Y=None, return_locals=False,
             **kwargs) -> Any:
        scratch = self._scratch(model, data, drop_mask, drop_mask_Y)
        return scratch if return_locals else scratch["total_cost"]

    def get_monitoring_channels(self, model, data, drop_mask=None, drop_mask_Y=None,
                                **kwargs) -> dict[str, torch.Tensor]:
        s = self._scratch(model, data, drop_mask, drop_mask_Y)
        X, Y, history = s["X"], s["Y"], s["history"]
        out: dict[str, torch.Tensor] = {}
        index = 0
        for name in ("inpaint_cost", "l1_act_cost", "toronto_act_cost", "reweighted_act_cost"):
            if s[name] is not None:
                out[f"total_inpaint_cost_term_{index}_{name}"] = torch.as_tensor(s[name])
                index += 1
        if self.monitor_each_step:
            for i, (state, new_state) in enumerate(zip(history, s["new_history"])):
                out[f"all_inpaint_costs_after_{i}"] = self.cost_from_states(
                    state, new_state, model, X, Y, s["drop_mask"], s["drop_mask_Y"],
                    s["new_drop_mask"], s["new_drop_mask_Y"])
                if i > 0:
                    out[f"max_pixel_diff[{i}]"] = (state["V_hat"] - history[i - 1]["V_hat"]).abs().max()
        final = history[-1]
        for layer, state in zip(model.get_all_layers(), [final["V_hat"], *final["H_hat"]]):
            for key, value in layer.get_monitoring_channels_from_state(state).items():
                out[f"final_inpaint_{layer.layer_name}_{key}"] = value
        if self.supervised:
            labels = Y.argmax(1)
            wrong = (final["H_hat"][-1].argmax(1) != labels).to(X.dtype)
            mask_Y = s["drop_mask_Y"]
            out["inpaint_err"] = (wrong * mask_Y).sum() / mask_Y.sum().clamp_min(1)
            out["err"] = (model.mf(X)[-1].argmax(1) != labels).to(X.dtype).mean()
            if self.monitor_multi_inference:
                Y_hat = model.inference_procedure.multi_infer(X)
                out["multi_err"] = (Y_hat.argmax(1) != labels).to(X.dtype).mean()
        return {k: v.detach() for k, v in out.items()}


__all__ = ["MaskGen", "MultiPrediction"]
