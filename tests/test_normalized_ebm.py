"""NormalizedEBM: with the exact log Z its probabilities sum to one; log Z learns."""

import itertools

import numpy as np
import torch

from pylearn2 import rbm_tools
from pylearn2.models.normalized_ebm import NormalizedEBM
from pylearn2.models.rbm import RBM


def test_exact_log_z_normalises_and_log_z_is_trainable():
    rbm = RBM(nvis=5, nhid=3, irange=1.0).double()
    log_z = rbm_tools.compute_log_z(rbm)
    model = NormalizedEBM(rbm, init_logZ=log_z, learn_logZ=True, logZ_lr_scale=4.0).double()
    v = torch.tensor(list(itertools.product([0.0, 1.0], repeat=5)), dtype=torch.float64)
    with torch.no_grad():
        assert abs(float(model.log_prob(v).exp().sum()) - 1) < 1e-6  # log Z stored in float32
    assert any(p is model.logZ_driver for p in model.get_params())
    np.testing.assert_allclose(model.logZ_driver.item() * 4.0, log_z, rtol=1e-6)
    grad, = torch.autograd.grad(model.log_prob(v[:3]).sum(), [model.logZ_driver])
    assert grad.item() == -3 * 4.0
    fixed = NormalizedEBM(rbm, init_logZ=0.0, learn_logZ=False)
    assert not any(p is fixed.logZ_driver for p in fixed.get_params())
