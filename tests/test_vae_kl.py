"""VAE KL integrators (closed form vs a float64 numpy reference, the sampled estimate
when none fits), and the VAE's kl_integrator, seed, batch_size, output_layer_required."""

import numpy as np
import pytest
import torch

from pylearn2.costs.vae import VAECriterion
from pylearn2.models.mlp import MLP, Linear, RectifiedLinear
from pylearn2.models.vae import VAE
from pylearn2.models.vae.conditional import BernoulliVector, DiagonalGaussian
from pylearn2.models.vae.kl import (
    DiagonalGaussianPriorPosteriorKL,
    ImpossiblePosterior,
    ImpossiblePrior,
    KLIntegrator,
    find_integrator_for,
)
from pylearn2.models.vae.prior import DiagonalGaussianPrior, Prior
from pylearn2.utils.exc import ConfigError


def make_vae(seed=None, prior=None, **kwargs):
    def mlp():
        return MLP(layers=[RectifiedLinear(dim=5, layer_name="h", irange=0.3)])
    return VAE(nvis=4, nhid=2, prior=prior or DiagonalGaussianPrior(),
               conditional=BernoulliVector(mlp=mlp(), name="conditional"),
               posterior=DiagonalGaussian(mlp=mlp(), name="posterior"), seed=seed, **kwargs)


def test_diagonal_gaussian_kl_matches_numpy():
    rng = np.random.default_rng(0)
    qm, qs, pm, ps = (rng.normal(size=(3, 2)) for _ in range(4))
    ref = (ps - qs + 0.5 * (np.exp(2 * qs) + (qm - pm) ** 2) / np.exp(2 * ps) - 0.5)
    integ = DiagonalGaussianPriorPosteriorKL()
    vae = make_vae()
    t = [torch.tensor(a) for a in (qm, qs, pm, ps)]
    got = integ.per_component_kl_divergence(t[:2], t[2:], vae.prior, vae.posterior)
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-12)
    np.testing.assert_allclose(integ.kl_divergence(t[:2], t[2:], vae.prior, vae.posterior).numpy(),
                               ref.sum(1), rtol=1e-12)
    assert isinstance(find_integrator_for(vae.prior, vae.posterior), DiagonalGaussianPriorPosteriorKL)
    assert find_integrator_for(ImpossiblePrior(), vae.posterior) is None
    with pytest.raises(ConfigError, match="DiagonalGaussianPrior"):
        integ._validate_prior_posterior(ImpossiblePrior(), vae.posterior)
    assert KLIntegrator.posterior_class is ImpossiblePosterior


class ShiftedPrior(DiagonalGaussianPrior):
    """Same density, but a class no integrator claims."""


def test_sampled_kl_when_no_integrator_fits():
    import pylearn2.models.vae.kl as kl

    vae = make_vae(seed=3).double()
    assert isinstance(vae.kl_integrator, DiagonalGaussianPriorPosteriorKL)
    X = torch.bernoulli(torch.full((5, 4), 0.5, dtype=torch.float64))
    params = vae.encode_parameters(X)
    exact = vae.kl_divergence_term(params)
    mean, log_sigma = vae.posterior.split(params)
    z = mean + log_sigma.exp() * torch.randn((20000,) + tuple(mean.shape), dtype=torch.float64)
    approx = vae.kl_divergence_term(params, z, approximate=True)
    torch.testing.assert_close(approx, exact, atol=0.05, rtol=0.05)
    saved = kl.INTEGRATORS
    kl.INTEGRATORS = ()
    try:
        lone = make_vae(seed=3)
    finally:
        kl.INTEGRATORS = saved
    assert lone.kl_integrator is None
    with pytest.raises(ConfigError, match="samples"):
        lone.kl_divergence_term(lone.encode_parameters(X.float()))
    assert torch.isfinite(VAECriterion().expr(lone, X.float()))


def test_given_integrator_is_checked_and_used():
    class Doubled(DiagonalGaussianPriorPosteriorKL):
        def kl_divergence(self, phi, theta, prior, posterior):
            return 2 * super().kl_divergence(phi, theta, prior, posterior)

    plain, doubled = make_vae(seed=1), make_vae(seed=1, kl_integrator=Doubled())
    params = plain.encode_parameters(torch.ones(2, 4))
    torch.testing.assert_close(doubled.kl_divergence_term(params), 2 * plain.kl_divergence_term(params))
    with pytest.raises(ConfigError):
        make_vae(kl_integrator=KLIntegrator())
    assert issubclass(DiagonalGaussianPrior, Prior)


def test_seed_fixes_weights_and_samples_batch_size_is_kept():
    a, b, c = make_vae(seed=7), make_vae(seed=7), make_vae(seed=8)
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        torch.testing.assert_close(p, q, msg=name)
    assert any(not torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters()))
    torch.testing.assert_close(a.sample(3)[0], b.sample(3)[0])
    vae = make_vae(batch_size=20)
    assert vae.force_batch_size == 20


def test_output_layer_required_false_uses_the_mlps_own_output():
    def mlp(out):
        return MLP(layers=[RectifiedLinear(dim=5, layer_name="h", irange=0.3),
                           Linear(dim=out, layer_name="out", irange=0.3)])
    vae = VAE(nvis=4, nhid=2, prior=DiagonalGaussianPrior(),
              conditional=BernoulliVector(mlp=mlp(4), name="c", output_layer_required=False),
              posterior=DiagonalGaussian(mlp=mlp(4), name="p", output_layer_required=False))
    assert len(vae.conditional.mlp.layers) == 2
    with pytest.raises(ConfigError, match="must output 4"):
        VAE(nvis=4, nhid=2, prior=DiagonalGaussianPrior(),
            conditional=BernoulliVector(mlp=mlp(3), name="c", output_layer_required=False),
            posterior=DiagonalGaussian(mlp=mlp(4), name="p", output_layer_required=False))
