"""The Softmax output layer: class probabilities and the mean negative log-likelihood."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from pylearn2.models.mlp.dense import activation_channels, clip_norms, norm_channels
from pylearn2.models.mlp.initializers import init_weights
from pylearn2.models.mlp.layer import Layer
from pylearn2.space import Space, VectorSpace
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.forward_memo import memoized


class Softmax(Layer):
    """``softmax(x W + b)`` over ``n_classes``; the cost is the mean NLL of one-hot targets.

    With no initialisation scheme the weights start at zero (a common choice for the
    output layer). ``init_bias_target_marginals`` (a dataset) sets the bias to the log of
    the class frequencies.
    """

    def __init__(
        self,
        n_classes: int,
        layer_name: str,
        irange: float | None = None,
        istdev: float | None = None,
        sparse_init: int | None = None,
        W_lr_scale: float | None = None,
        b_lr_scale: float | None = None,
        max_row_norm: float | None = None,
        no_affine: bool = False,
        max_col_norm: float | None = None,
        init_bias_target_marginals=None,
        binary_target_dim: int | None = None,
        non_redundant: bool = False,
        extensions: list | None = None,
    ) -> None:
        super().__init__(extensions=extensions)
        if binary_target_dim is not None and int(binary_target_dim) < 1:
            raise ConfigError(f"Softmax {layer_name!r}: binary_target_dim must be >= 1, "
                              f"got {binary_target_dim}.")
        self.non_redundant = bool(non_redundant)
        self.n_classes = int(n_classes)
        self.layer_name = layer_name
        self.irange, self.istdev, self.sparse_init = irange, istdev, sparse_init
        self.W_lr_scale, self.b_lr_scale = W_lr_scale, b_lr_scale
        self.max_row_norm, self.max_col_norm = max_row_norm, max_col_norm
        self.no_affine = no_affine
        self.init_bias_target_marginals = init_bias_target_marginals
        self.binary_target_dim = binary_target_dim
        self.output_space = VectorSpace(self.n_classes)

    def get_target_space(self) -> Space:
        if self.binary_target_dim is not None:
            from pylearn2.space import IndexSpace

            return IndexSpace(self.n_classes, self.binary_target_dim)
        return self.output_space

    def set_input_space(self, space: Space) -> None:
        self.input_space = space
        self.desired_space = VectorSpace(space.get_total_dimension())
        self.needs_reformat = space != self.desired_space
        if self.no_affine:
            if self.desired_space.dim != self.n_classes:
                raise ConfigError(
                    f"Softmax {self.layer_name!r} with no_affine needs {self.n_classes} inputs, "
                    f"got {self.desired_space.dim}."
                )
            self.W = self.b = None
            return
        mlp = self.get_mlp()
        rng = mlp.rng if mlp is not None else np.random.default_rng([2013, 1, 4])
        n_free = self.n_classes - 1 if self.non_redundant else self.n_classes
        W = init_weights(rng, (self.desired_space.dim, n_free), self.layer_name,
                         self.irange, self.istdev, self.sparse_init, allow_zero=True)
        self.W = torch.nn.Parameter(torch.as_tensor(W, dtype=torch.float32))
        bias = self._initial_bias()
        if self.non_redundant:  # the last class's logit is pinned at 0
            bias = bias[:-1] - bias[-1]
        self.b = torch.nn.Parameter(torch.as_tensor(bias, dtype=torch.float32))

    def _initial_bias(self) -> np.ndarray:
        if self.init_bias_target_marginals is None:
            return np.zeros(self.n_classes)
        y = np.asarray(self.init_bias_target_marginals.get_targets())
        if y.ndim == 2 and y.shape[1] == self.n_classes:
            counts = y.sum(0)
        else:
            counts = np.bincount(y.reshape(-1).astype(np.int64), minlength=self.n_classes)
        marginals = np.clip(counts / counts.sum(), 1e-8, 1.0)
        return np.log(marginals) - np.log(marginals).mean()

    def logits(self, state_below: torch.Tensor) -> torch.Tensor:
        """``x W + b`` over the classes (computed once per input within a monitoring batch)."""
        return memoized(self, "logits", state_below, self._logits)

    def log_prob(self, state_below: torch.Tensor) -> torch.Tensor:
        """Log class probabilities given this layer's input, through the logits."""
        return memoized(self, "log_prob", state_below,
                        lambda x: torch.log_softmax(self.logits(x), dim=1))

    def _logits(self, state_below: torch.Tensor) -> torch.Tensor:
        if self.needs_reformat:
            state_below = self.input_space.format_as(state_below, self.desired_space)
        if self.no_affine:
            return state_below
        z = torch.addmm(self.b, state_below, self.W)
        if self.non_redundant:
            z = torch.cat([z, z.new_zeros(z.shape[0], 1)], dim=1)
        return z

    def fprop(self, state_below: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.logits(state_below), dim=1)

    def _one_hot(self, Y: torch.Tensor) -> torch.Tensor:
        """Targets as rows over classes: one-hot, or with ``binary_target_dim > 1`` one
        count per listed label (a "multi-hot" row)."""
        if self.binary_target_dim is None:
            return Y
        labels = Y.long().reshape(Y.shape[0], -1)
        return F.one_hot(labels, self.n_classes).sum(1).to(torch.float32)

    def nll_from_log_prob(self, Y: torch.Tensor, log_prob: torch.Tensor) -> torch.Tensor:
        """Mean NLL. Index targets: the mean over every (example, label slot) of
        ``-log p(label)``, as the original Pylearn2 averages them."""
        if self.binary_target_dim is None:
            return -(Y * log_prob).sum(1).mean()
        labels = Y.long().reshape(Y.shape[0], -1)
        return -log_prob.gather(1, labels).mean()

    def cost(self, Y: torch.Tensor, Y_hat: torch.Tensor) -> torch.Tensor:
        """NLL from probabilities (when only they are at hand; prefer cost_from_input,
        which goes through the logits and does not saturate)."""
        return self.nll_from_log_prob(Y, Y_hat.clamp_min(1e-30).log())

    def cost_from_input(self, Y: torch.Tensor, state_below: torch.Tensor) -> torch.Tensor:
        return memoized(self, "nll", (Y, state_below),
                        lambda pair: self._nll_from_logits(pair[0], self.logits(pair[1])))

    def _nll_from_logits(self, Y: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        """The mean NLL of rows of targets; one fused call for float rows (the mean over
        examples of ``-sum_k Y_k log p_k``, summed in another order than
        ``nll_from_log_prob``: equal within rounding)."""
        if self.binary_target_dim is None and Y.dtype == logits.dtype and Y.shape == logits.shape:
            return F.cross_entropy(logits, Y)
        return self.nll_from_log_prob(Y, torch.log_softmax(logits, dim=1))

    def has_constraints(self) -> bool:
        return self.W is not None and (self.max_row_norm, self.max_col_norm) != (None, None)

    @torch.no_grad()
    def enforce_constraints(self) -> None:
        if self.W is None:
            return
        if self.max_row_norm is not None:
            clip_norms(self.W, 1, self.max_row_norm)
        if self.max_col_norm is not None:
            clip_norms(self.W, 0, self.max_col_norm)

    def get_weights(self) -> np.ndarray:
        return self.W.detach().cpu().numpy()

    def get_param_monitoring_channels(self) -> dict[str, torch.Tensor]:
        return norm_channels(self.W) if self.W is not None else {}

    def get_layer_monitoring_channels(self, state_below=None, state=None, targets=None):
        channels = self.param_channels_for_batch()
        if state is None:
            return channels
        max_prob = state.detach().max(1).values
        channels.update(mean_max_class=max_prob.mean(), max_max_class=max_prob.max(),
                        min_max_class=max_prob.min())
        if targets is not None:
            Y = self._one_hot(targets)
            predicted = state.argmax(1)
            if self.binary_target_dim is None:
                wrong = predicted != Y.argmax(1)
            else:  # wrong when the predicted class is not among the example's labels
                wrong = Y.gather(1, predicted[:, None])[:, 0] <= 0
            channels["misclass"] = wrong.float().mean()
            if state_below is not None:  # the cost's own value when the monitor has it
                channels["nll"] = self.cost_from_input(targets, state_below).detach()
            else:
                log_p = state.clamp_min(1e-30).log()
                channels["nll"] = self.nll_from_log_prob(targets, log_p).detach()
        return channels


__all__ = ["Softmax", "activation_channels"]
