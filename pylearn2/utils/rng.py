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


# -- the classic seeding helpers ----------------------------------------------------------
DEFAULT_SEED = 42


def make_rng(rng_or_seed: Any = None, default_seed: Any = None, which_method: Any = None,
             constructor: Any = None) -> Any:
    """A random generator from the first usable of: ``rng_or_seed`` itself (when it has
    every method named in ``which_method``), ``constructor(rng_or_seed)``,
    ``constructor(default_seed)``, ``constructor(42)``."""
    import numpy as np

    from pylearn2.utils.exc import ConfigError

    constructor = np.random.RandomState if constructor is None else constructor
    methods = [] if which_method is None else (
        [which_method] if isinstance(which_method, str) else list(which_method))
    is_seed = isinstance(rng_or_seed, (int, np.integer, str, list, tuple, np.ndarray))
    if rng_or_seed is not None and not is_seed and all(hasattr(rng_or_seed, m) for m in methods):
        return rng_or_seed
    seed = next((s for s in (rng_or_seed, default_seed) if s is not None), DEFAULT_SEED)
    try:
        return constructor(seed)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"Cannot make a random generator from seed {seed!r}: give an int, "
                          "a list of ints or a generator.") from exc


def make_np_rng(rng_or_seed: Any = None, default_seed: Any = None, which_method: Any = None) -> Any:
    """A ``numpy.random.RandomState`` (or the generator passed in); see :func:`make_rng`."""
    import numpy as np

    return make_rng(rng_or_seed, default_seed, which_method, np.random.RandomState)


def _torch_generator(seed: Any) -> torch.Generator:
    if isinstance(seed, (list, tuple)):
        import numpy as np

        seed = int(np.random.SeedSequence([int(s) for s in seed]).generate_state(1)[0])
    return torch.Generator().manual_seed(int(seed))


def make_torch_rng(rng_or_seed: Any = None, default_seed: Any = None,
                   which_method: Any = None) -> torch.Generator:
    """A CPU ``torch.Generator`` (or the one passed in): the counterpart of the classic
    ``make_theano_rng``; a list seed is hashed to one int with numpy's SeedSequence."""
    if isinstance(rng_or_seed, torch.Generator):
        return rng_or_seed
    return make_rng(rng_or_seed, default_seed, None, _torch_generator)


make_theano_rng = make_torch_rng  # the classic name
