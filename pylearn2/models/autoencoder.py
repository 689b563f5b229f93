"""Autoencoders: encoder/decoder pairs trained to reconstruct their input.

``encode(X) = act_enc(X W + hidbias)``, ``decode(H) = act_dec(H W' + visbias)`` with
``W' = W^T`` when ``tied_weights``. Denoising autoencoders reconstruct from a corrupted
input; contractive ones add the (higher-order) Jacobian penalty as a ``MethodCost``.
A trained autoencoder is a Block (``perform`` = ``encode``), so it feeds a
TransformerDataset or a ``PretrainedLayer`` of an MLP.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from pylearn2.models.model import Model
from pylearn2.space import VectorSpace
from pylearn2.utils.exc import ConfigError

# name -> (function, derivative as a function of the pre-activation)
ACTIVATIONS: dict[str | None, tuple[Callable, Callable]] = {
    None: (lambda z: z, torch.ones_like),
    "linear": (lambda z: z, torch.ones_like),
    "sigmoid": (torch.sigmoid, lambda z: torch.sigmoid(z) * (1 - torch.sigmoid(z))),
    "tanh": (torch.tanh, lambda z: 1 - torch.tanh(z) ** 2),
    "softplus": (F.softplus, torch.sigmoid),
    "relu": (torch.relu, lambda z: (z > 0).to(z.dtype)),
}


def _activation(name: str | None, role: str) -> tuple[Callable, Callable]:
    if name not in ACTIVATIONS:
        raise ConfigError(f"Unknown {role} {name!r}; use one of "
                          f"{sorted(k for k in ACTIVATIONS if k)} or null (identity).")
    return ACTIVATIONS[name]


class AbstractAutoencoder(Model):
    """What every autoencoder offers given ``encode`` and ``decode``: reconstruction,
    use as a Block (``perform`` = ``encode``) and a default reconstruction cost."""

    def encode(self, X: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def decode(self, H: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def reconstruct(self, X: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(X))

    def perform(self, X: torch.Tensor) -> torch.Tensor:
        return self.encode(X)

    def upward_pass(self, X: torch.Tensor) -> torch.Tensor:
        return self.encode(X)

    def fprop(self, X: torch.Tensor) -> torch.Tensor:
        return self.encode(X)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.encode(X)

    def get_default_cost(self):
        from pylearn2.costs.autoencoder import MeanSquaredReconstructionError

        return MeanSquaredReconstructionError()


class Autoencoder(AbstractAutoencoder):
    """A one-hidden-layer autoencoder with optionally tied weights."""

    def __init__(self, nvis: int, nhid: int, act_enc: str | None, act_dec: str | None,
                 tied_weights: bool = False, irange: float = 1e-3, istdev: float | None = None,
                 rng: Any = 9001) -> None:
        super().__init__()
        self.nvis, self.nhid = int(nvis), int(nhid)
        self.act_enc, self.act_dec = act_enc, act_dec
        self._enc, self._enc_grad = _activation(act_enc, "act_enc")
        self._dec, _ = _activation(act_dec, "act_dec")
        self.tied_weights, self.irange, self.istdev = tied_weights, irange, istdev
        generator = np.random.default_rng([int(s) for s in np.atleast_1d(rng)])
        def draw(shape: tuple[int, int]) -> torch.nn.Parameter:
            values = generator.normal(0, istdev, shape) if istdev is not None else \
                generator.uniform(-irange, irange, shape)
            return torch.nn.Parameter(torch.as_tensor(values, dtype=torch.float32))
        self.weights = draw((self.nvis, self.nhid))
        self.hidbias = torch.nn.Parameter(torch.zeros(self.nhid))
        self.visbias = torch.nn.Parameter(torch.zeros(self.nvis))
        self.w_prime = None if tied_weights else draw((self.nhid, self.nvis))
        self.input_space = VectorSpace(self.nvis)
        self.output_space = VectorSpace(self.nhid)

    def _decoder_weights(self) -> torch.Tensor:
        return self.weights.T if self.tied_weights else self.w_prime

    def hidden_preactivation(self, X: torch.Tensor) -> torch.Tensor:
        return torch.addmm(self.hidbias, X, self.weights)

    def encode(self, X: torch.Tensor) -> torch.Tensor:
        return self._enc(self.hidden_preactivation(X))

    def decode(self, H: torch.Tensor) -> torch.Tensor:
        return self._dec(torch.addmm(self.visbias, H, self._decoder_weights()))

    def get_weights(self) -> np.ndarray:
        return self.weights.detach().cpu().numpy()

    def get_weights_format(self) -> tuple[str, str]:
        return ("v", "h")


class DenoisingAutoencoder(Autoencoder):
    """Reconstructs the clean input from a corrupted one."""

    def __init__(self, corruptor: Any, nvis: int, nhid: int, act_enc: str | None,
                 act_dec: str | None, tied_weights: bool = False, irange: float = 1e-3,
                 istdev: float | None = None, rng: Any = 9001) -> None:
        super().__init__(nvis, nhid, act_enc, act_dec, tied_weights, irange, istdev, rng)
        self.corruptor = corruptor

    def reconstruct(self, X: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(self.corruptor(X)))


class ContractiveAutoencoder(Autoencoder):
    """Adds ``contraction_penalty``: the mean squared Frobenius norm of d encode / d X."""

    def jacobian_sq_norms(self, X: torch.Tensor) -> torch.Tensor:
        """Per example ``sum_ij (act'(z_j) W_ij)^2`` (closed form for elementwise units)."""
        slopes = self._enc_grad(self.hidden_preactivation(X))
        return (slopes ** 2) @ (self.weights ** 2).sum(0)

    def contraction_penalty(self, data: torch.Tensor) -> torch.Tensor:
        return self.jacobian_sq_norms(data).mean()

    def contraction_penalty_data_specs(self):
        return (self.input_space, "features")


class HigherOrderContractiveAutoencoder(ContractiveAutoencoder):
    """Also penalises how much the Jacobian changes under ``num_corruptions`` corruptions."""

    def __init__(self, corruptor: Any, num_corruptions: int, nvis: int, nhid: int,
                 act_enc: str | None, act_dec: str | None, tied_weights: bool = False,
                 irange: float = 1e-3, istdev: float | None = None, rng: Any = 9001) -> None:
        super().__init__(nvis, nhid, act_enc, act_dec, tied_weights, irange, istdev, rng)
        self.corruptor, self.num_corruptions = corruptor, int(num_corruptions)

    def _jacobians(self, X: torch.Tensor) -> torch.Tensor:
        slopes = self._enc_grad(self.hidden_preactivation(X))  # (B, h)
        return slopes[:, None, :] * self.weights[None]  # (B, v, h)

    def higher_order_penalty(self, data: torch.Tensor) -> torch.Tensor:
        clean = self._jacobians(data)
        diffs = [((self._jacobians(self.corruptor(data)) - clean) ** 2).sum(dim=(1, 2)).mean()
                 for _ in range(self.num_corruptions)]
        return torch.stack(diffs).mean()

    def higher_order_penalty_data_specs(self):
        return (self.input_space, "features")


class DeepComposedAutoencoder(AbstractAutoencoder):
    """Autoencoders stacked: encode through all, decode back through all in reverse."""

    def __init__(self, autoencoders: Sequence[Autoencoder]) -> None:
        super().__init__()
        if not autoencoders:
            raise ConfigError("DeepComposedAutoencoder needs at least one autoencoder.")
        for lower, upper in zip(autoencoders[:-1], autoencoders[1:]):
            if lower.nhid != upper.nvis:
                raise ConfigError(f"Stacked autoencoders do not fit: {lower.nhid} hidden units "
                                  f"feed an autoencoder with nvis={upper.nvis}.")
        self.autoencoders = torch.nn.ModuleList(autoencoders)
        self.input_space = VectorSpace(autoencoders[0].nvis)
        self.output_space = VectorSpace(autoencoders[-1].nhid)

    def encode(self, X: torch.Tensor) -> torch.Tensor:
        for ae in self.autoencoders:
            X = ae.encode(X)
        return X

    def decode(self, H: torch.Tensor) -> torch.Tensor:
        for ae in reversed(self.autoencoders):
            H = ae.decode(H)
        return H

    def get_weights(self) -> np.ndarray:
        return self.autoencoders[0].get_weights()


class StackedDenoisingAutoencoder(DeepComposedAutoencoder):
    """A deep autoencoder whose input is corrupted by ``corruptor`` when reconstructing."""

    def __init__(self, autoencoders: Sequence[Autoencoder], corruptor: Any) -> None:
        super().__init__(autoencoders)
        self.corruptor = corruptor

    def reconstruct(self, X: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(self.corruptor(X)))


class UntiedAutoencoder(Autoencoder):
    """An autoencoder built from a tied one: it shares the base's encoder weights and
    biases and starts its own decoder weights from their transpose (then trained apart)."""

    def __init__(self, base: Autoencoder) -> None:
        if not isinstance(base, Autoencoder) or not base.tied_weights:
            raise ConfigError("UntiedAutoencoder needs an Autoencoder with tied_weights: true.")
        super().__init__(base.nvis, base.nhid, base.act_enc, base.act_dec, tied_weights=False,
                         irange=base.irange, istdev=base.istdev)
        self.base = [base]  # a list, so the base's parameters are not registered twice
        self.weights, self.hidbias, self.visbias = base.weights, base.hidbias, base.visbias
        self.w_prime = torch.nn.Parameter(base.weights.detach().T.clone())


def build_stacked_ae(nvis: int, nhids: Sequence[int], act_enc: Any, act_dec: Any,
                     tied_weights: Any = False, irange: Any = 1e-3, rng: Any = None,
                     corruptor: Any = None, contracting: Any = False):
    """A StackedBlocks of autoencoders of sizes ``nvis -> nhids[0] -> nhids[1] ...``.

    Each of act_enc, act_dec, tied_weights, irange, corruptor, contracting is either one
    value for every layer or a list with one value per layer. A layer with a corruptor is a
    DenoisingAutoencoder, one with ``contracting`` a ContractiveAutoencoder (not both).
    """
    from pylearn2.blocks import StackedBlocks

    nhids = [int(n) for n in nhids]
    per_layer = {}
    for name, value in (("act_enc", act_enc), ("act_dec", act_dec),
                        ("tied_weights", tied_weights), ("irange", irange),
                        ("corruptor", corruptor), ("contracting", contracting)):
        if isinstance(value, (list, tuple)):
            if len(value) != len(nhids):
                raise ConfigError(f"build_stacked_ae: {name} has {len(value)} entries for "
                                  f"{len(nhids)} layers.")
            per_layer[name] = list(value)
        else:
            per_layer[name] = [value] * len(nhids)
    seeds = np.random.SeedSequence([int(s) for s in np.atleast_1d(rng if rng is not None
                                                                  else 9001)]).generate_state(len(nhids))
    layers = []
    for i, (n_in, n_out) in enumerate(zip([int(nvis)] + nhids[:-1], nhids)):
        args = dict(nvis=n_in, nhid=n_out, act_enc=per_layer["act_enc"][i],
                    act_dec=per_layer["act_dec"][i], tied_weights=per_layer["tied_weights"][i],
                    irange=per_layer["irange"][i], rng=int(seeds[i]))
        corr, cae = per_layer["corruptor"][i], per_layer["contracting"][i]
        if cae and corr is not None:
            raise ConfigError(f"build_stacked_ae: layer {i} cannot be both denoising and "
                              "contracting.")
        if cae:
            layers.append(ContractiveAutoencoder(**args))
        elif corr is not None:
            layers.append(DenoisingAutoencoder(corr, **args))
        else:
            layers.append(Autoencoder(**args))
    return StackedBlocks(layers)
