"""Random generators that live on the data's device and resume exactly."""

from __future__ import annotations

from typing import Any

import torch


class DeviceGenerator:
    """A seeded ``torch.Generator`` created lazily on the device of the data it serves.

    Its state is part of :meth:`state_dict`, so costs and corruptors that draw noise
    (dropout masks, Gibbs chains, corruption) continue a resumed run exactly; a state
    loaded before the first draw is applied when the generator is created.
    """

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._generator: torch.Generator | None = None
        self._pending: torch.Tensor | None = None

    def get(self, device: torch.device | str) -> torch.Generator:
        device = torch.device(device)
        if self._generator is None or self._generator.device != device:
            self._generator = torch.Generator(device=device)
            self._generator.manual_seed(self.seed)
            if self._pending is not None:
                self._generator.set_state(self._pending)
                self._pending = None
        return self._generator

    def state_dict(self) -> dict[str, Any]:
        state = self._generator.get_state() if self._generator is not None else self._pending
        return {"generator": state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._pending, self._generator = state.get("generator"), None
