"""Local response normalisation across channels (Krizhevsky et al. 2012, section 3.3)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from pylearn2.utils.exc import ConfigError
from pylearn2.utils.init_args import InitArgsMixin


class CrossChannelNormalizationBC01(InitArgsMixin):
    """``x / (k + alpha * sum of x^2 over the n channels centred on each channel)^beta``
    for ('b', 'c', 0, 1) batches; the window is cut off at the first and last channel
    (zero padding). ``n`` must be odd. Note: alpha multiplies the plain sum (not the
    mean) over the window."""

    channel_axis = 1

    def __init__(self, alpha: float = 1e-4, k: float = 2, beta: float = 0.75, n: int = 5) -> None:
        if int(n) % 2 == 0:
            raise ConfigError(f"{type(self).__name__}: n must be odd, got {n}.")
        self.alpha, self.k, self.beta, self.n = float(alpha), float(k), float(beta), int(n)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4:
            raise ConfigError(f"{type(self).__name__} expects a 4-d batch, got shape "
                              f"{tuple(x.shape)}.")
        moved = x.movedim(self.channel_axis, -1)
        half = self.n // 2
        padded = F.pad(moved.square(), (half, half))
        window = padded.unfold(-1, self.n, 1).sum(dim=-1)
        scale = (self.k + self.alpha * window) ** self.beta
        return (moved / scale).movedim(-1, self.channel_axis)


class CrossChannelNormalization(CrossChannelNormalizationBC01):
    """The same normalisation for ('c', 0, 1, 'b') batches."""

    channel_axis = 0
