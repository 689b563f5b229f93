"""Persistent Gibbs samplers for RBMs, stacks of RBMs, and an activation penalty
(re-exported from :mod:`pylearn2.models.rbm`, the original's module)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from pylearn2.costs.cost import Cost
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.init_args import InitArgsMixin


def _torch_generator(rng: Any) -> torch.Generator:
    """A torch generator from a seed, a numpy RandomState/Generator or a generator."""
    if isinstance(rng, torch.Generator):
        return rng
    if isinstance(rng, np.random.RandomState):
        seed = int(rng.randint(2 ** 30))
    elif isinstance(rng, np.random.Generator):
        seed = int(rng.integers(2 ** 30))
    else:
        seed = int(np.random.RandomState(rng).randint(2 ** 30))
    return torch.Generator().manual_seed(seed)


class Sampler(InitArgsMixin):
    """Persistent Markov chain particles for an RBM (``rbm``), started at ``particles``.

    Parameters
    ----------
    rbm : the model (anything with ``gibbs_step_for_v(v, generator)``).
    particles : initial states, one row per chain. rng : seed or random state.
    """

    def __init__(self, rbm: Any, particles: Any, rng: Any) -> None:
        self.rbm = rbm
        self.particles = torch.as_tensor(np.asarray(particles), dtype=torch.float64) \
            if not torch.is_tensor(particles) else particles.clone()
        self.rng = rng
        self.generator = _torch_generator(rng)

    def updates(self) -> dict[str, torch.Tensor]:
        raise NotImplementedError(f"{type(self).__name__} does not implement updates.")

    def state_dict(self) -> dict[str, Any]:
        return {"particles": self.particles, "generator": self.generator.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.particles = state["particles"]
        self.generator.set_state(state["generator"])


class BlockGibbsSampler(Sampler):
    """Block Gibbs chains for persistent contrastive divergence (Tieleman 2008): each
    ``updates()`` runs ``steps`` Gibbs steps, clips to ``particles_clip`` (a (min, max)
    pair) if given, keeps and returns the new particles."""

    def __init__(self, rbm: Any, particles: Any, rng: Any, steps: int = 1,
                 particles_clip: Sequence[float] | None = None) -> None:
        super().__init__(rbm, particles, rng)
        self.steps = int(steps)
        self.particles_clip = None if particles_clip is None else tuple(particles_clip)

    @torch.no_grad()
    def updates(self, particles_clip: Sequence[float] | None = None) -> dict[str, torch.Tensor]:
        clip = particles_clip if particles_clip is not None else self.particles_clip
        weights = next(self.rbm.parameters())
        v = self.particles.to(weights.dtype)
        h_mean = None
        for _ in range(self.steps):
            v, scratch = self.rbm.gibbs_step_for_v(v, self.generator)
            h_mean = scratch["h_mean"]
            if clip is not None:
                v = v.clamp(clip[0], clip[1])
        self.particles = v
        return {"particles": v, "h_mean": h_mean}


def build_stacked_RBM(nvis: int, nhids: Sequence[int], batch_size: int | None = None,
                      vis_type: str = "binary", input_mean_vis: Any = None,
                      irange: float = 1e-3, rng: Any = None):
    """A StackedBlocks of RBMs, ``nvis -> nhids[0] -> nhids[1] ...``; the first is a
    GaussianBinaryRBM when ``vis_type`` is 'gaussian' (``input_mean_vis``: its
    ``mean_vis``). (The original passed a zero visible size to the upper RBMs, a plain
    bug; here each takes the size below it.) ``batch_size`` is accepted for the
    original's signature and not needed."""
    import importlib

    from pylearn2.blocks import StackedBlocks

    # models.rbm re-exports this function, so it is looked up at call time rather than
    # imported (which would make the two modules import each other)
    rbm_module = importlib.import_module("pylearn2.models.rbm")
    RBM, GaussianBinaryRBM = rbm_module.RBM, rbm_module.GaussianBinaryRBM

    if vis_type not in ("binary", "gaussian"):
        raise ConfigError(f"build_stacked_RBM: vis_type must be 'binary' or 'gaussian', "
                          f"got {vis_type!r}.")
    np_rng = np.random.RandomState(1001 if rng is None else rng) \
        if not isinstance(rng, np.random.RandomState) else rng
    layers = []
    for k, (below, nhid) in enumerate(zip([nvis, *nhids[:-1]], nhids)):
        seed = int(np_rng.randint(2 ** 30))
        if k == 0 and vis_type == "gaussian":
            layers.append(GaussianBinaryRBM(nvis=below, nhid=nhid, irange=irange, rng=seed,
                                            mean_vis=bool(input_mean_vis)))
        else:
            layers.append(RBM(nvis=below, nhid=nhid, irange=irange, rng=seed))
    return StackedBlocks(layers)


class L1_ActivationCost(Cost):
    """``coeff * mean_j max(|mean_b P(h_j | v) - target| - eps, 0)``: pulls each hidden
    unit's mean activation to within ``eps`` of ``target``."""

    def __init__(self, target: float, eps: float, coeff: float) -> None:
        self.target, self.eps, self.coeff = float(target), float(eps), float(coeff)

    def expr(self, model: Any, data: Any, **kwargs: Any) -> torch.Tensor:
        h = model.mean_h_given_v(data).mean(0)
        return self.coeff * ((h - self.target).abs() - self.eps).clamp_min(0).mean()


__all__ = ["Sampler", "BlockGibbsSampler", "build_stacked_RBM", "L1_ActivationCost"]
