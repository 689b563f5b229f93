"""Fully connected MLP layers: Linear and its elementwise-nonlinearity family."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from pylearn2.models.mlp.initializers import init_weights
from pylearn2.models.mlp.layer import Layer
from pylearn2.models.mlp.norms import clip_norms, norm_channels  # noqa: F401  (old home)
from pylearn2.models.mlp.statistics import activation_channels  # noqa: F401  (old home)
from pylearn2.space import Space, VectorSpace
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.forward_memo import memoized


class Linear(Layer):
    """Affine layer ``z = x W + b``; its cost is the mean over examples of the summed squared error."""

    def __init__(
        self,
        dim: int,
        layer_name: str,
        irange: float | None = None,
        istdev: float | None = None,
        sparse_init: int | None = None,
        sparse_stdev: float = 1.0,
        include_prob: float = 1.0,
        init_bias: float = 0.0,
        W_lr_scale: float | None = None,
        b_lr_scale: float | None = None,
        mask_weights: Any = None,
        max_row_norm: float | None = None,
        max_col_norm: float | None = None,
        min_col_norm: float | None = None,
        copy_input: Any = None,
        use_abs_loss: bool = False,
        use_bias: bool = True,
        extensions: list[Any] | None = None,
    ) -> None:
        super().__init__(extensions=extensions)
        self.copy_input = bool(copy_input)
        if not 0.0 < include_prob <= 1.0:
            raise ConfigError(f"Layer {layer_name!r}: include_prob must be in (0, 1].")
        self.dim = int(dim)
        self.layer_name = layer_name
        self.irange, self.istdev = irange, istdev
        self.sparse_init, self.sparse_stdev = sparse_init, sparse_stdev
        self.include_prob = include_prob
        self.init_bias = init_bias
        self.W_lr_scale, self.b_lr_scale = W_lr_scale, b_lr_scale
        self.mask_weights = mask_weights
        self.max_row_norm, self.max_col_norm, self.min_col_norm = max_row_norm, max_col_norm, min_col_norm
        self.use_abs_loss = use_abs_loss
        self.use_bias = use_bias
        self.output_space = VectorSpace(self.dim)

    def set_input_space(self, space: Space) -> None:
        self.input_space = space
        self.desired_space = VectorSpace(space.get_total_dimension())
        self.needs_reformat = space != self.desired_space
        n_in = self.desired_space.dim
        if self.copy_input:  # the input is appended to the affine part (and goes through
            # the layer's nonlinearity with it)
            self.output_space = VectorSpace(self.dim + n_in)
        mlp = self.get_mlp()
        rng = mlp.rng if mlp is not None else np.random.default_rng([2013, 1, 4])
        W = init_weights(rng, (n_in, self.dim), self.layer_name, self.irange, self.istdev,
                         self.sparse_init, self.sparse_stdev, allow_zero=self._zero_init_ok())
        if self.include_prob < 1.0:
            W = W * (rng.uniform(size=W.shape) < self.include_prob)
        if self.mask_weights is not None:
            mask = np.asarray(self.mask_weights, dtype=np.float64)
            if mask.shape != W.shape:
                raise ConfigError(
                    f"Layer {self.layer_name!r}: mask_weights has shape {mask.shape}, "
                    f"expected {W.shape}."
                )
            self.register_buffer("mask", torch.as_tensor(mask, dtype=torch.float32))
            W = W * mask
        self.W = torch.nn.Parameter(torch.as_tensor(W, dtype=torch.float32))
        if self.use_bias:
            self.b = torch.nn.Parameter(torch.full((self.dim,), float(self.init_bias)))
        else:
            self.b = None

    def _zero_init_ok(self) -> bool:
        return False

    def affine(self, state_below: torch.Tensor) -> torch.Tensor:
        """``x W + b`` (computed once per input within a monitoring batch)."""
        return memoized(self, "affine", state_below, self._affine)

    def _affine(self, state_below: torch.Tensor) -> torch.Tensor:
        if self.needs_reformat:
            state_below = self.input_space.format_as(state_below, self.desired_space)
        z = state_below @ self.W if self.b is None else torch.addmm(self.b, state_below, self.W)
        if self.copy_input:
            z = torch.cat([z, state_below], dim=1)
        return z

    def fprop(self, state_below: torch.Tensor) -> torch.Tensor:
        return self.affine(state_below)

    def cost(self, Y: torch.Tensor, Y_hat: torch.Tensor) -> torch.Tensor:
        err = (Y - Y_hat).abs() if self.use_abs_loss else (Y - Y_hat).pow(2)
        return err.sum(1).mean()

    def has_constraints(self) -> bool:
        norms = (self.max_row_norm, self.max_col_norm, self.min_col_norm)
        return any(n is not None for n in norms) or self.mask_weights is not None

    @torch.no_grad()
    def enforce_constraints(self) -> None:
        if self.mask_weights is not None:
            self.W.mul_(self.mask)
        if self.max_row_norm is not None:
            clip_norms(self.W, 1, self.max_row_norm)
        if self.max_col_norm is not None or self.min_col_norm is not None:
            clip_norms(self.W, 0, self.max_col_norm, self.min_col_norm)

    def get_weights(self) -> np.ndarray:
        return self.W.detach().cpu().numpy()

    def get_weights_topo(self) -> np.ndarray:
        """Weights as images (units, rows, cols, channels) when the input is a Conv2DSpace."""
        from pylearn2.space import Conv2DSpace

        if not isinstance(self.input_space, Conv2DSpace):
            raise ConfigError(f"Layer {self.layer_name!r} has a vector input; use get_weights().")
        W = self.W.detach().cpu().T  # (units, input_dim) in the input space's vector order
        vec = VectorSpace(self.input_space.get_total_dimension())
        target = Conv2DSpace(self.input_space.shape, self.input_space.num_channels,
                             axes=("b", 0, 1, "c"))
        return vec.format_as(W, target).numpy()

    def get_param_monitoring_channels(self) -> dict[str, torch.Tensor]:
        return norm_channels(self.W)

    def get_layer_monitoring_channels(self, state_below=None, state=None, targets=None):
        channels = self.param_channels_for_batch()
        if state is not None:
            channels.update(activation_channels(state))
        return channels


class Tanh(Linear):
    """``tanh(x W + b)``; squared-error cost."""

    def fprop(self, state_below: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.affine(state_below))


class RectifiedLinear(Linear):
    """``max(z, left_slope * z)`` with ``z = x W + b``."""

    def __init__(self, *args: Any, left_slope: float = 0.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.left_slope = left_slope

    def fprop(self, state_below: torch.Tensor) -> torch.Tensor:
        z = self.affine(state_below)
        if self.left_slope == 0.0:
            return torch.relu(z)
        return F.leaky_relu(z, self.left_slope)


class Softplus(Linear):
    """``log(1 + exp(x W + b))``."""

    def fprop(self, state_below: torch.Tensor) -> torch.Tensor:
        return F.softplus(self.affine(state_below))


class Sigmoid(Linear):
    """Logistic units; as an output layer the cost is the summed binary cross-entropy.

    ``monitor_style='detection'`` adds 01_loss, precision, recall and f1 channels;
    ``'classification'`` treats the units as one-hot classes and adds misclass.
    """

    def __init__(self, *args: Any, monitor_style: str = "detection", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if monitor_style not in ("detection", "classification", "bit_vector_class"):
            raise ConfigError(
                f"Sigmoid {self.layer_name!r}: monitor_style must be 'detection', "
                f"'classification' or 'bit_vector_class', got {monitor_style!r}."
            )
        self.monitor_style = monitor_style

    def fprop(self, state_below: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.affine(state_below))

    @staticmethod
    def kl_from_logits(Y: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Per example: the mean over units of ``Y softplus(-z) + (1 - Y) softplus(z)``."""
        total = Y * F.softplus(-z) + (1 - Y) * F.softplus(z)
        return total.reshape(total.shape[0], -1).mean(1)

    def kl(self, Y: torch.Tensor, Y_hat: torch.Tensor) -> torch.Tensor:
        """Per-example cross-entropy from probabilities (their logits, clipped at 1e-7)."""
        return self.kl_from_logits(Y, torch.logit(Y_hat, eps=1e-7))

    def cost(self, Y: torch.Tensor, Y_hat: torch.Tensor) -> torch.Tensor:
        """Binary cross-entropy, mean over units and examples (the original's reduction)."""
        return self.kl(Y, Y_hat).mean()

    def cost_from_input(self, Y: torch.Tensor, state_below: torch.Tensor) -> torch.Tensor:
        return self.kl_from_logits(Y, self.affine(state_below)).mean()

    def get_layer_monitoring_channels(self, state_below=None, state=None, targets=None):
        channels = super().get_layer_monitoring_channels(state_below, state, targets)
        if targets is None or state is None:
            return channels
        if state_below is not None:
            channels["kl"] = self.cost_from_input(targets, state_below).detach()
        else:
            channels["kl"] = self.cost(targets, state).detach()
        if self.monitor_style == "classification":
            wrong = state.argmax(1) != targets.argmax(1)
            channels["misclass"] = wrong.float().mean()
            return channels
        pred = (state > 0.5).to(state.dtype)
        channels["01_loss"] = (pred != targets).to(state.dtype).mean()
        tp = (pred * targets).sum()
        channels["precision"] = tp / pred.sum().clamp_min(1.0)
        channels["recall"] = tp / targets.sum().clamp_min(1.0)
        p, r = channels["precision"], channels["recall"]
        channels["f1"] = 2 * p * r / (p + r).clamp_min(1e-12)
        return channels
