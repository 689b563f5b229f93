"""Autoencoders, their costs and the corruptors, against independent references."""

import numpy as np
import pytest
import torch

from pylearn2 import corruption
from pylearn2.costs.autoencoder import MeanBinaryCrossEntropy, MeanSquaredReconstructionError
from pylearn2.models.autoencoder import (
    Autoencoder,
    ContractiveAutoencoder,
    DeepComposedAutoencoder,
    DenoisingAutoencoder,
    HigherOrderContractiveAutoencoder,
)
from pylearn2.utils.exc import ConfigError


def test_autoencoder_matches_numpy_and_costs():
    ae = Autoencoder(nvis=5, nhid=3, act_enc="tanh", act_dec="sigmoid", irange=0.5)
    x = np.random.default_rng(0).uniform(size=(4, 5))
    W, Wp = ae.weights.detach().double().numpy(), ae.w_prime.detach().double().numpy()
    h = np.tanh(x @ W)
    r = 1 / (1 + np.exp(-(h @ Wp)))
    X = torch.tensor(x, dtype=torch.float32)
    np.testing.assert_allclose(ae.reconstruct(X).detach().numpy(), r, rtol=1e-5, atol=1e-6)
    mse = ((r - x) ** 2).sum(1).mean()
    bce = -(x * np.log(r) + (1 - x) * np.log(1 - r)).sum(1).mean()
    assert float(MeanSquaredReconstructionError().expr(ae, X).detach()) == pytest.approx(mse, rel=1e-5)
    assert float(MeanBinaryCrossEntropy().expr(ae, X).detach()) == pytest.approx(bce, rel=1e-5)
    tied = Autoencoder(nvis=5, nhid=3, act_enc=None, act_dec=None, tied_weights=True)
    assert tied.w_prime is None
    torch.testing.assert_close(tied.decode(tied.encode(X)), X @ tied.weights @ tied.weights.T)
    with pytest.raises(ConfigError, match="act_enc"):
        Autoencoder(nvis=2, nhid=2, act_enc="swish", act_dec=None)


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "softplus"])
def test_contraction_penalty_equals_jacobian_norm(act):
    cae = ContractiveAutoencoder(nvis=4, nhid=3, act_enc=act, act_dec=None, irange=0.8).double()
    X = torch.randn(5, 4, dtype=torch.float64)
    expected = torch.stack([
        torch.autograd.functional.jacobian(cae.encode, x[None])[0, :, 0, :].pow(2).sum()
        for x in X]).mean()
    torch.testing.assert_close(cae.contraction_penalty(X), expected)


def test_higher_order_penalty_by_hand():
    hcae = HigherOrderContractiveAutoencoder(
        corruptor=corruption.GaussianCorruptor(stdev=0.3, rng=5), num_corruptions=2, nvis=3,
        nhid=2, act_enc="sigmoid", act_dec=None, irange=0.7).double()
    X = torch.randn(4, 3, dtype=torch.float64)
    reference_corruptor = corruption.GaussianCorruptor(stdev=0.3, rng=5)

    def jac(x):
        return torch.autograd.functional.jacobian(hcae.encode, x[None])[0, :, 0, :]

    terms = []
    for _ in range(2):
        noisy = reference_corruptor(X)
        terms.append(torch.stack([(jac(n) - jac(c)).pow(2).sum() for n, c in zip(noisy, X)]).mean())
    torch.testing.assert_close(hcae.higher_order_penalty(X), torch.stack(terms).mean())


def test_denoising_and_deep_composition():
    dae = DenoisingAutoencoder(corruptor=corruption.BinomialCorruptor(0.5, rng=1), nvis=6,
                               nhid=6, act_enc=None, act_dec=None, tied_weights=True)
    with torch.no_grad():
        dae.weights.copy_(torch.eye(6))
    X = torch.ones(200, 6)
    assert abs(dae.reconstruct(X).mean().item() - 0.5) < 0.05
    a, b = (Autoencoder(nvis=4, nhid=3, act_enc="tanh", act_dec=None),
            Autoencoder(nvis=3, nhid=2, act_enc="tanh", act_dec=None))
    deep = DeepComposedAutoencoder([a, b])
    x = torch.randn(2, 4)
    torch.testing.assert_close(deep.encode(x), b.encode(a.encode(x)))
    torch.testing.assert_close(deep.reconstruct(x), a.decode(b.decode(b.encode(a.encode(x)))))
    with pytest.raises(ConfigError, match="do not fit"):
        DeepComposedAutoencoder([b, a])


def test_corruptor_statistics_and_resume():
    x = torch.ones(200, 500)
    kept = corruption.BinomialCorruptor(0.3, rng=4)(x).mean().item()
    assert abs(kept - 0.7) < 4 * np.sqrt(0.7 * 0.3 / x.numel())
    dropped = corruption.DropoutCorruptor(0.3, rng=4)(x)
    assert abs(dropped.mean().item() - 1.0) < 0.01
    np.testing.assert_allclose(sorted(dropped.unique().tolist()), [0.0, 1 / 0.7], rtol=1e-6)
    noise = corruption.GaussianCorruptor(stdev=2.0, rng=4)(torch.zeros(400, 500))
    assert abs(noise.mean().item()) < 0.02 and abs(noise.std().item() - 2.0) < 0.02
    sp = corruption.SaltPepperCorruptor(0.2, rng=1)(torch.full((100, 100), 0.5))
    assert abs((sp != 0.5).float().mean().item() - 0.2) < 0.02
    one_hot = torch.eye(4)[torch.randint(0, 4, (50,))]
    assert (corruption.OneHotCorruptor(0.5)(one_hot).sum(1) == 1).all()
    c = corruption.GaussianCorruptor(stdev=1.0, rng=9)
    c(torch.zeros(3))
    state = c.state_dict()
    expected = c(torch.zeros(5))
    d = corruption.GaussianCorruptor(stdev=1.0, rng=9)
    d.load_state_dict(state)
    torch.testing.assert_close(d(torch.zeros(5)), expected)
    assert corruption.get("binomial") is corruption.BinomialCorruptor
