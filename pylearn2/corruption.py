"""Corruptors: random noise applied to inputs (denoising autoencoders, score matching).

Each corruptor owns a seeded torch generator (created on the data's device) whose state
is part of :meth:`Corruptor.state_dict`, so a resumed run draws the same noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from pylearn2.utils.exc import ConfigError
from pylearn2.utils.init_args import InitArgsMixin
from pylearn2.utils.rng import DeviceGenerator


class Corruptor(InitArgsMixin):
    """Base class: ``corruptor(x)`` returns a noisy copy of the batch ``x``."""

    def __init__(self, corruption_level: float, rng: int = 2001) -> None:
        self.corruption_level = float(corruption_level)
        self.rng = int(rng) if not isinstance(rng, (list, tuple)) else int(rng[0])
        self._rng = DeviceGenerator(self.rng)

    def generator(self, device: torch.device) -> torch.Generator:
        return self._rng.get(device)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.corrupt(x)

    def corrupt(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _uniform(self, x: torch.Tensor) -> torch.Tensor:
        return torch.rand(x.shape, generator=self.generator(x.device), device=x.device, dtype=x.dtype)

    def state_dict(self) -> dict[str, Any]:
        return self._rng.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._rng.load_state_dict(state)


class DummyCorruptor(Corruptor):
    """No corruption."""

    def __init__(self, corruption_level: float = 0.0, rng: int = 2001) -> None:
        super().__init__(corruption_level, rng)

    def corrupt(self, x: torch.Tensor) -> torch.Tensor:
        return x


class BinomialCorruptor(Corruptor):
    """Zero each input with probability ``corruption_level`` (keep it otherwise)."""

    def corrupt(self, x: torch.Tensor) -> torch.Tensor:
        return x * (self._uniform(x) >= self.corruption_level).to(x.dtype)


class DropoutCorruptor(BinomialCorruptor):
    """Binomial corruption rescaled by ``1 / (1 - corruption_level)`` (expectation kept)."""

    def corrupt(self, x: torch.Tensor) -> torch.Tensor:
        return super().corrupt(x) / (1.0 - self.corruption_level)


class GaussianCorruptor(Corruptor):
    """Add N(0, stdev^2) noise."""

    def __init__(self, stdev: float, rng: int = 2001) -> None:
        super().__init__(stdev, rng)
        self.stdev = float(stdev)

    def corrupt(self, x: torch.Tensor) -> torch.Tensor:
        noise = torch.randn(x.shape, generator=self.generator(x.device), device=x.device,
                            dtype=x.dtype)
        return x + self.stdev * noise


class SaltPepperCorruptor(Corruptor):
    """With probability ``corruption_level`` set an input to 0 or 1 (equally likely)."""

    def corrupt(self, x: torch.Tensor) -> torch.Tensor:
        hit = self._uniform(x) < self.corruption_level
        salt = (self._uniform(x) < 0.5).to(x.dtype)
        return torch.where(hit, salt, x)


class OneHotCorruptor(Corruptor):
    """With probability ``corruption_level`` replace a one-hot row by a random one-hot row."""

    def corrupt(self, x: torch.Tensor) -> torch.Tensor:
        gen = self.generator(x.device)
        hit = torch.rand(x.shape[0], generator=gen, device=x.device) < self.corruption_level
        new = torch.randint(0, x.shape[1], (x.shape[0],), generator=gen, device=x.device)
        random_rows = torch.nn.functional.one_hot(new, x.shape[1]).to(x.dtype)
        return torch.where(hit[:, None], random_rows, x)


class SmoothOneHotCorruptor(Corruptor):
    """Add Gaussian noise of deviation ``corruption_level`` to one-hot rows, renormalised."""

    def corrupt(self, x: torch.Tensor) -> torch.Tensor:
        noisy = x + self.corruption_level * torch.randn(
            x.shape, generator=self.generator(x.device), device=x.device, dtype=x.dtype)
        return torch.softmax(noisy * 10.0, dim=1)


class BinomialSampler(Corruptor):
    """Replace each value p in [0, 1] by a Bernoulli(p) sample."""

    def __init__(self, corruption_level: float = 0.0, rng: int = 2001) -> None:
        super().__init__(corruption_level, rng)

    def corrupt(self, x: torch.Tensor) -> torch.Tensor:
        return (self._uniform(x) < x).to(x.dtype)


class MultinomialSampler(Corruptor):
    """Replace each row of probabilities by a one-hot sample from it."""

    def __init__(self, corruption_level: float = 0.0, rng: int = 2001) -> None:
        super().__init__(corruption_level, rng)

    def corrupt(self, x: torch.Tensor) -> torch.Tensor:
        idx = torch.multinomial(x, 1, generator=self.generator(x.device))[:, 0]
        return torch.nn.functional.one_hot(idx, x.shape[1]).to(x.dtype)


class ComposedCorruptor(Corruptor):
    """Apply several corruptors in order."""

    def __init__(self, *corruptors: Corruptor) -> None:
        if not corruptors:
            raise ConfigError("ComposedCorruptor needs at least one corruptor.")
        self.corruptors = list(corruptors)
        super().__init__(0.0)

    def corrupt(self, x: torch.Tensor) -> torch.Tensor:
        for corruptor in self.corruptors:
            x = corruptor(x)
        return x

    def state_dict(self) -> dict[str, Any]:
        return {"corruptors": [c.state_dict() for c in self.corruptors]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for c, s in zip(self.corruptors, state.get("corruptors", [])):
            c.load_state_dict(s)


_NAMES = {"binomial": BinomialCorruptor, "gaussian": GaussianCorruptor,
          "dropout": DropoutCorruptor, "salt_pepper": SaltPepperCorruptor,
          "onehot": OneHotCorruptor, "smooth_onehot": SmoothOneHotCorruptor}


def get(name: str) -> type:
    """A corruptor class by short name ('binomial', 'gaussian', ...)."""
    if name not in _NAMES:
        raise ConfigError(f"Unknown corruptor {name!r}; known: {sorted(_NAMES)}.")
    return _NAMES[name]


__all__: Sequence[str] = ["Corruptor", "BinomialCorruptor", "GaussianCorruptor", "get"]
