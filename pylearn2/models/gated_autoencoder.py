"""Gated autoencoders (Memisevic, "Gradient-based learning of higher-order image
features", 2011): models of the relation between two inputs x and y.

The factored model projects both inputs onto ``nfac`` factors, multiplies the factors
elementwise and maps the products to ``nmap`` mapping units:

    m = act_enc(mapbias + ((x wxf) * (y wyf)) whf_in^T)
    rx = act_dec(visbiasX + ((y wyf) * (m whf)) wxf^T)
    ry = act_dec(visbiasY + ((x wxf) * (m whf)) wyf^T)

After each update the filters wxf and wyf are centred (zero mean per factor) and their
per-factor standard deviations set to their mean, which keeps training stable.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from pylearn2.models.autoencoder import _activation
from pylearn2.models.model import Model
from pylearn2.space import CompositeSpace, Conv2DSpace, Space, VectorSpace
from pylearn2.utils.exc import ConfigError

SMALL = 1e-6


def _np_rng(rng: Any) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng([int(s) for s in np.atleast_1d(rng)])


class GatedAutoencoder(Model):
    """Base class: the two inputs, mapping units and biases of a gated autoencoder.

    Parameters
    ----------
    nmap : number of mapping units.
    input_space : CompositeSpace of two VectorSpace/Conv2DSpace components (or give
        ``nvisx`` and ``nvisy``).
    nvisx, nvisy : sizes of the two inputs when they are vectors.
    input_source : the two data sources, by default ('featuresX', 'featuresY').
    act_enc, act_dec : encoder / decoder nonlinearity names ('sigmoid', 'tanh', ...,
        null for identity).
    irange : scale of the Gaussian initial weights (standard deviation).
    rng : seed of the initialisation.
    """

    def __init__(self, nmap: int, input_space: Space | None = None, nvisx: int | None = None,
                 nvisy: int | None = None, input_source: Any = ("featuresX", "featuresY"),
                 act_enc: Any = None, act_dec: Any = None, irange: float = 1e-3,
                 rng: Any = 9001) -> None:
        super().__init__()
        if int(nmap) <= 0:
            raise ConfigError(f"{type(self).__name__}: nmap must be positive, got {nmap}.")
        if nvisx is not None and nvisy is not None:
            if int(nvisx) <= 0 or int(nvisy) <= 0:
                raise ConfigError(f"{type(self).__name__}: nvisx and nvisy must be positive.")
            input_space = CompositeSpace([VectorSpace(int(nvisx)), VectorSpace(int(nvisy))])
        if not isinstance(input_space, CompositeSpace) or len(input_space.components) != 2 or \
                not all(isinstance(c, (VectorSpace, Conv2DSpace)) for c in input_space.components):
            raise ConfigError(f"{type(self).__name__}: give nvisx and nvisy, or an input_space "
                              "that is a CompositeSpace of two VectorSpace/Conv2DSpace parts.")
        input_source = tuple(input_source)
        if len(input_source) != 2:
            raise ConfigError(f"{type(self).__name__}: input_source must name two sources (one "
                              f"per input space component), got {input_source}.")
        self.input_space = input_space
        self.input_source = input_source
        self.nvisx = input_space.components[0].get_total_dimension()
        self.nvisy = input_space.components[1].get_total_dimension()
        self.nmap = int(nmap)
        self.output_space = VectorSpace(self.nmap)
        self.irange = float(irange)
        self.act_enc_name, self.act_dec_name = act_enc, act_dec
        self._act_enc = _activation(act_enc, "act_enc")[0]
        self._act_dec = _activation(act_dec, "act_dec")[0]
        self.rng = _np_rng(rng)
        self.mapbias = torch.nn.Parameter(torch.zeros(self.nmap))
        self.visbiasX = torch.nn.Parameter(torch.zeros(self.nvisx))
        self.visbiasY = torch.nn.Parameter(torch.zeros(self.nvisy))

    def get_input_source(self) -> Any:
        return self.input_source

    def _randn(self, *shape: int) -> torch.nn.Parameter:
        return torch.nn.Parameter(torch.as_tensor(self.rng.standard_normal(shape) * self.irange,
                                                  dtype=torch.float32))

    def _flat(self, inputs: Any) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = inputs
        return x.reshape(x.shape[0], -1), y.reshape(y.shape[0], -1)

    def get_monitoring_data_specs(self) -> tuple[Space, Any]:
        return (self.input_space, self.input_source)

    def get_default_cost(self):
        from pylearn2.costs.gated_autoencoder import SymmetricMSRE

        return SymmetricMSRE()


class FactoredGatedAutoencoder(GatedAutoencoder):
    """The factored gated autoencoder (see the module docstring).

    Parameters
    ----------
    nfac : number of factors; the other arguments are GatedAutoencoder's.
    """

    def __init__(self, nfac: int, nmap: int, input_space: Space | None = None,
                 nvisx: int | None = None, nvisy: int | None = None,
                 input_source: Any = ("featuresX", "featuresY"), act_enc: Any = None,
                 act_dec: Any = None, irange: float = 1e-3, rng: Any = 9001) -> None:
        super().__init__(nmap, input_space, nvisx, nvisy, input_source, act_enc, act_dec,
                         irange, rng)
        self.nfac = int(nfac)
        self.wxf = self._randn(self.nvisx, self.nfac)
        self.wyf = self._randn(self.nvisy, self.nfac)
        self.whf = self._randn(self.nmap, self.nfac)
        self.whf_in = self._randn(self.nmap, self.nfac)

    def _factorsX(self, inputs: Any) -> torch.Tensor:  # noqa: N802 (the original's names)
        return self._flat(inputs)[0] @ self.wxf

    def _factorsY(self, inputs: Any) -> torch.Tensor:  # noqa: N802
        return self._flat(inputs)[1] @ self.wyf

    def _mappings(self, inputs: Any) -> torch.Tensor:
        return self.mapbias + (self._factorsX(inputs) * self._factorsY(inputs)) @ self.whf_in.T

    def _hidden_activation(self, inputs: Any) -> torch.Tensor:
        return self._act_enc(self._mappings(inputs))

    def _factorsH(self, inputs: Any) -> torch.Tensor:  # noqa: N802
        return self._hidden_activation(inputs) @ self.whf

    def decodeX(self, inputs: Any) -> torch.Tensor:  # noqa: N802
        """Reconstruction of x before ``act_dec``."""
        return self.visbiasX + (self._factorsY(inputs) * self._factorsH(inputs)) @ self.wxf.T

    def decodeY(self, inputs: Any) -> torch.Tensor:  # noqa: N802
        """Reconstruction of y before ``act_dec``."""
        return self.visbiasY + (self._factorsX(inputs) * self._factorsH(inputs)) @ self.wyf.T

    def reconstructX(self, inputs: Any) -> torch.Tensor:  # noqa: N802
        return self._act_dec(self.decodeX(inputs))

    def reconstructY(self, inputs: Any) -> torch.Tensor:  # noqa: N802
        return self._act_dec(self.decodeY(inputs))

    def reconstructXY(self, inputs: Any) -> tuple[torch.Tensor, torch.Tensor]:  # noqa: N802
        return self.reconstructX(inputs), self.reconstructY(inputs)

    def forward(self, inputs: Any) -> torch.Tensor:
        return self._hidden_activation(inputs)

    perform = upward_pass = fprop = encode = forward

    def has_constraints(self) -> bool:
        return True

    @torch.no_grad()
    def enforce_constraints(self) -> None:
        for W in (self.wxf, self.wyf):
            std = W.std(0, unbiased=False) + SMALL
            W.sub_(W.mean(0)).mul_(std.mean() / std)

    def get_weights(self) -> np.ndarray:
        return self.wxf.detach().cpu().numpy()

    def get_weights_topo(self) -> np.ndarray:
        """Filters of x and y as images (b, 0, 1, c): rows of ``ceil(sqrt(nfac))`` x filters
        followed by the matching y filters."""
        convx, convy = self.input_space.components
        if not (isinstance(convx, Conv2DSpace) and isinstance(convy, Conv2DSpace)):
            raise ConfigError("get_weights_topo needs Conv2DSpace inputs.")

        def view(W: torch.Tensor, conv: Conv2DSpace) -> np.ndarray:
            target = Conv2DSpace(conv.shape, conv.num_channels, axes=("b", 0, 1, "c"))
            return VectorSpace(W.shape[0]).np_format_as(W.detach().cpu().numpy().T, target)

        wx, wy = view(self.wxf, convx), view(self.wyf, convy)
        h = int(np.ceil(np.sqrt(self.nfac)))
        out = np.zeros((wx.shape[0] * 2,) + wx.shape[1:], dtype=wx.dtype)
        for t in range(self.nfac // h):
            out[2 * h * t:2 * h * (t + 1)] = np.concatenate([wx[h * t:h * (t + 1)],
                                                             wy[h * t:h * (t + 1)]])
        return out

    def get_weights_view_shape(self) -> tuple[int, int]:
        h = int(np.ceil(np.sqrt(self.nfac)))
        return h, 2 * h


class DenoisingFactoredGatedAutoencoder(FactoredGatedAutoencoder):
    """A factored gated autoencoder trained to reconstruct from corrupted inputs.

    Parameters
    ----------
    corruptor : a pylearn2.corruption corruptor applied to each of the two inputs.
    """

    def __init__(self, corruptor: Any, nfac: int, nmap: int, input_space: Space | None = None,
                 nvisx: int | None = None, nvisy: int | None = None,
                 input_source: Any = ("featuresX", "featuresY"), act_enc: Any = None,
                 act_dec: Any = None, irange: float = 1e-3, rng: Any = 9001) -> None:
        super().__init__(nfac, nmap, input_space, nvisx, nvisy, input_source, act_enc,
                         act_dec, irange, rng)
        self.corruptor = corruptor

    def reconstructXY(self, inputs: Any) -> tuple[torch.Tensor, torch.Tensor]:  # noqa: N802
        corrupted = tuple(self.corruptor(v) for v in self._flat(inputs))
        return self.reconstructX(corrupted), self.reconstructY(corrupted)

    def reconstructXY_NoiseFree(self, inputs: Any) -> tuple[torch.Tensor, torch.Tensor]:  # noqa: N802
        return self.reconstructX(inputs), self.reconstructY(inputs)


__all__ = ["DenoisingFactoredGatedAutoencoder", "FactoredGatedAutoencoder", "GatedAutoencoder"]
