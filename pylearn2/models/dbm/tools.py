"""Building DBMs from RBMs, and drawing samples from a DBM."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from pylearn2.models.dbm.dbm import DBM
from pylearn2.models.dbm.layer import BinaryVector, BinaryVectorMaxPool
from pylearn2.utils.exc import ConfigError


def stitch_rbms(batch_size: int, rbm_list: Sequence[Any], niter: int,
                inference_procedure: Any = None, targets: bool = False) -> DBM:
    """A DBM whose layers take the weights of a stack of binary RBMs (each RBM's visible
    units are the previous one's hidden units). Visible biases come from the first RBM;
    each hidden layer's biases from its own RBM. ``targets`` is not available (the
    original never built the label layer either)."""
    if targets:
        raise ConfigError("stitch_rbms: targets=True is not available; add a Softmax layer "
                          "to the DBM yourself.")
    if not rbm_list:
        raise ConfigError("stitch_rbms needs at least one RBM.")
    for below, above in zip(rbm_list, rbm_list[1:]):
        if below.nhid != above.nvis:
            raise ConfigError(f"stitch_rbms: an RBM with {below.nhid} hidden units is followed "
                              f"by one with {above.nvis} visible units.")
    visible = BinaryVector(rbm_list[0].nvis)
    hidden = [BinaryVectorMaxPool(detector_layer_dim=r.nhid, pool_size=1, layer_name=f"h{i}",
                                  irange=0.0) for i, r in enumerate(rbm_list)]
    dbm = DBM(batch_size=batch_size, visible_layer=visible, hidden_layers=hidden, niter=niter,
              inference_procedure=inference_procedure)
    with torch.no_grad():
        visible.bias.copy_(rbm_list[0].bias_vis.detach())
        for layer, rbm in zip(hidden, rbm_list):
            layer.W.copy_(rbm.weight_matrix().detach())
            layer.b.copy_(rbm.bias_hid.detach())
    return dbm


class DBMSampler:
    """Runs ``num_chains`` block-Gibbs chains of a DBM and returns visible samples.

    Parameters
    ----------
    dbm : the model. num_chains : chains run side by side. seed : their generator's seed.
    """

    def __init__(self, dbm: DBM, num_chains: int = 100, seed: int = 20131211) -> None:
        self.dbm, self.num_chains = dbm, int(num_chains)
        self.generator = torch.Generator().manual_seed(int(seed))
        self.state: dict | None = None

    @torch.no_grad()
    def sample(self, num_steps: int = 1) -> np.ndarray:
        if self.state is None:
            self.state = self.dbm.make_layer_to_state(self.num_chains, self.generator)
        self.state = self.dbm.sample(self.state, self.generator, num_steps=num_steps)
        return self.state[self.dbm.visible_layer].cpu().numpy()
