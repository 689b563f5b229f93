"""Generative stochastic networks (Bengio, Thibodeau-Laufer, Alain & Yosinski 2014).

A GSN is a chain of layers ``x_0 (the data), x_1, ...``; autoencoder i connects layers i
and i+1 (its encoder weights W_i up, its decoder weights down). One *update* recomputes
the odd layers, then the even ones: layer i's pre-activation is ``x_{i-1} W_{i-1} +
x_{i+1} W'_i + bias_i``, then pre-activation noise (``preact_cors[i]``), the activation
(layer 0: the first autoencoder's ``act_dec``; layer i+1: autoencoder i's ``act_enc``),
post-activation noise (``postact_cors[i]``) and a sampler (``layer_samplers[i]``, e.g.
BinomialSampler). ``get_samples`` runs ``2 * (number of autoencoders) + walkback``
updates with chosen layers clamped; layer 0 after each update is a reconstruction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from pylearn2.models.autoencoder import Autoencoder
from pylearn2.models.model import Model
from pylearn2.space import VectorSpace
from pylearn2.utils.exc import ConfigError


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


class GSN(Model):
    """Parameters
    ----------
    autoencoders : Autoencoders; autoencoder i maps layer i (nvis) to layer i+1 (nhid).
    preact_cors, postact_cors, layer_samplers : one corruptor (or None) per layer.
    """

    def __init__(self, autoencoders: Sequence[Autoencoder], preact_cors: Sequence[Any] | None = None,
                 postact_cors: Sequence[Any] | None = None,
                 layer_samplers: Sequence[Any] | None = None) -> None:
        super().__init__()
        if not autoencoders:
            raise ConfigError("GSN needs at least one autoencoder.")
        for i, (below, above) in enumerate(zip(autoencoders, autoencoders[1:])):
            if below.nhid != above.nvis:
                raise ConfigError(f"GSN: autoencoder {i} has {below.nhid} hidden units but "
                                  f"autoencoder {i + 1} has {above.nvis} visible units.")
        self.aes = torch.nn.ModuleList(autoencoders)
        n = len(autoencoders) + 1
        self.layer_sizes = [autoencoders[0].nvis] + [ae.nhid for ae in autoencoders]

        def per_layer(items, name):
            items = [None] * n if items is None else list(items)
            if len(items) != n:
                raise ConfigError(f"GSN {name} needs one entry per layer ({n}), got {len(items)}.")
            return items

        self.preact_cors = per_layer(preact_cors, "preact_cors")
        self.postact_cors = per_layer(postact_cors, "postact_cors")
        self.layer_samplers = per_layer(layer_samplers, "layer_samplers")
        self.input_space = VectorSpace(self.layer_sizes[0])
        self.output_space = VectorSpace(self.layer_sizes[-1])

    @classmethod
    def new(cls, layer_sizes: Sequence[int], activation_funcs: Sequence[str | None],
            pre_corruptors: Sequence[Any], post_corruptors: Sequence[Any],
            layer_samplers: Sequence[Any], tied: bool = True) -> GSN:
        """A GSN from sizes; ``activation_funcs[i]`` is layer i's activation name."""
        aes = [Autoencoder(nvis=a, nhid=b, act_enc=activation_funcs[i + 1],
                           act_dec=activation_funcs[0] if i == 0 else None,
                           tied_weights=tied, irange=0.1, rng=9001 + i)
               for i, (a, b) in enumerate(zip(layer_sizes, layer_sizes[1:]))]
        return cls(aes, pre_corruptors, post_corruptors, layer_samplers)

    # -- one layer ------------------------------------------------------------------------
    def _activation(self, i: int):
        return self.aes[0]._dec if i == 0 else self.aes[i - 1]._enc

    def _bias(self, i: int) -> torch.Tensor:
        return self.aes[0].visbias if i == 0 else self.aes[i - 1].hidbias

    def _update_layer(self, i: int, acts: list[torch.Tensor]) -> torch.Tensor:
        total = self._bias(i)
        if i > 0:
            total = total + acts[i - 1] @ self.aes[i - 1].weights
        if i + 1 < len(acts):
            total = total + acts[i + 1] @ self.aes[i]._decoder_weights()
        for step in (self.preact_cors[i], self._activation(i), self.postact_cors[i]):
            if step is not None:
                total = step(total)
        sampler = self.layer_samplers[i]
        return (total if sampler is None else sampler(total)), total

    def _update(self, acts: list[torch.Tensor], clamped: dict[int, torch.Tensor],
                means: list[torch.Tensor]) -> None:
        for parity in (1, 0):
            for i in range(parity, len(acts), 2):
                if i in clamped:
                    acts[i] = means[i] = clamped[i]
                else:
                    acts[i], means[i] = self._update_layer(i, acts)

    def get_samples(self, minibatch: Sequence[tuple[int, torch.Tensor]], walkback: int = 0,
                    indices: Sequence[int] | None = None, symbolic: bool = True,
                    include_first: bool = False, clamped: Sequence[int] | None = None,
                    return_means: bool = False):
        """Run the chain from ``minibatch`` (``(layer index, value)`` pairs; other layers
        start at zero); layers listed in ``clamped`` keep their given values. Returns one
        list of layer states per update (only ``indices`` when given); ``return_means``
        gives each layer's value before its sampler instead (what costs compare)."""
        values = dict(minibatch)
        batch = next(iter(values.values())).shape[0]
        like = next(iter(values.values()))
        acts = [values.get(i, torch.zeros(batch, size, dtype=like.dtype, device=like.device))
                for i, size in enumerate(self.layer_sizes)]
        fixed = {i: values[i] for i in (clamped or [])}
        means = list(acts)
        history = [list(acts)] if include_first else []
        for _ in range(2 * len(self.aes) + int(walkback)):
            self._update(acts, fixed, means)
            history.append(list(means if return_means else acts))
        if indices is not None:
            history = [[step[i] for i in indices] for step in history]
        return history if symbolic else [[t.detach().cpu().numpy() for t in s] for s in history]

    def reconstruct(self, X: torch.Tensor) -> torch.Tensor:
        return self.get_samples([(0, X)])[-1][0]

    def perform(self, X: torch.Tensor) -> torch.Tensor:
        return self.get_samples([(0, X)])[-1][-1]

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.perform(X)

    def get_weights(self):
        return self.aes[0].get_weights()


class JointGSN(GSN):
    """A GSN over features (layer ``input_idx``) and labels (layer ``label_idx``):
    ``classify`` clamps the features and reads the label layer."""

    def __init__(self, autoencoders: Sequence[Autoencoder], input_idx: int = 0,
                 label_idx: int | None = None, preact_cors: Sequence[Any] | None = None,
                 postact_cors: Sequence[Any] | None = None,
                 layer_samplers: Sequence[Any] | None = None) -> None:
        super().__init__(autoencoders, preact_cors, postact_cors, layer_samplers)
        self.input_idx = int(input_idx)
        self.label_idx = len(self.layer_sizes) - 1 if label_idx is None else int(label_idx)

    @classmethod
    def convert(cls, gsn: GSN, input_idx: int = 0, label_idx: int | None = None) -> JointGSN:
        return cls(list(gsn.aes), input_idx, label_idx, gsn.preact_cors, gsn.postact_cors,
                   gsn.layer_samplers)

    def classify(self, minibatch: torch.Tensor, trials: int = 10) -> torch.Tensor:
        """Mean of the label layer over ``trials`` chains with the features clamped."""
        outs = []
        for _ in range(int(trials)):
            steps = self.get_samples([(self.input_idx, minibatch)], clamped=[self.input_idx],
                                     indices=[self.label_idx])
            outs.append(steps[-1][0])
        return torch.stack(outs).mean(0)


__all__ = ["GSN", "JointGSN"]
