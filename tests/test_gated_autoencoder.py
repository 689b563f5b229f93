"""Gated autoencoders and their symmetric costs against float64 numpy references, and
the original gae_random.yaml tutorial file trained at toy size."""

import os

import numpy as np
import pytest
import torch

from pylearn2.config import yaml_parse
from pylearn2.corruption import BinomialCorruptor
from pylearn2.costs.gated_autoencoder import NormalizedSymmetricMSRE, SymmetricMSRE
from pylearn2.datasets.vector_spaces_dataset import VectorSpacesDataset
from pylearn2.models.gated_autoencoder import (
    DenoisingFactoredGatedAutoencoder,
    FactoredGatedAutoencoder,
)
from pylearn2.space import CompositeSpace, Conv2DSpace, VectorSpace
from pylearn2.utils import serial
from pylearn2.utils.exc import ConfigError

HERE = os.path.dirname(__file__)
rng = np.random.default_rng(0)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def reference(m, x, y):
    p = {k: v.detach().numpy().astype(np.float64) for k, v in m.named_parameters()}
    fx, fy = x @ p["wxf"], y @ p["wyf"]
    h = sigmoid(p["mapbias"] + (fx * fy) @ p["whf_in"].T)
    fh = h @ p["whf"]
    rx = p["visbiasX"] + (fy * fh) @ p["wxf"].T
    ry = p["visbiasY"] + (fx * fh) @ p["wyf"].T
    return h, rx, ry


def test_factored_gae_forward_cost_and_gradient_match_numpy():
    m = FactoredGatedAutoencoder(nfac=6, nmap=4, nvisx=5, nvisy=3, act_enc="sigmoid",
                                 irange=0.5).double()
    x, y = rng.normal(size=(7, 5)), rng.normal(size=(7, 3))
    h, rx, ry = reference(m, x, y)
    data = (torch.tensor(x), torch.tensor(y))
    np.testing.assert_allclose(m(data).detach().numpy(), h, rtol=1e-12)
    got_rx, got_ry = m.reconstructXY(data)
    np.testing.assert_allclose(got_rx.detach().numpy(), rx, rtol=1e-12)
    np.testing.assert_allclose(got_ry.detach().numpy(), ry, rtol=1e-12)
    cost = SymmetricMSRE().expr(m, data)
    ref = (0.5 * (x - rx) ** 2).sum(1).mean() + (0.5 * (y - ry) ** 2).sum(1).mean()
    assert float(cost.detach()) == pytest.approx(ref, rel=1e-12)
    norm = NormalizedSymmetricMSRE().expr(m, data)
    assert float(norm) == pytest.approx(ref / (0.5 * (x ** 2).sum(1) + 0.5 * (y ** 2).sum(1)).mean())
    # gradient of the cost with respect to the mapping bias, by central differences
    cost.backward()
    eps, num = 1e-6, np.zeros(4)
    for j in range(4):
        for sign in (1, -1):
            with torch.no_grad():
                m.mapbias[j] += sign * eps
            _, rx2, ry2 = reference(m, x, y)
            val = (0.5 * (x - rx2) ** 2).sum(1).mean() + (0.5 * (y - ry2) ** 2).sum(1).mean()
            num[j] += sign * val / (2 * eps)
            with torch.no_grad():
                m.mapbias[j] -= sign * eps
    np.testing.assert_allclose(m.mapbias.grad.numpy(), num, rtol=1e-6)


def test_filter_normalisation_after_update():
    m = FactoredGatedAutoencoder(nfac=4, nmap=2, nvisx=6, nvisy=6, irange=1.0).double()
    with torch.no_grad():
        m.wxf.mul_(torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)).add_(1.0)
    W = m.wxf.detach().numpy().copy()
    m.enforce_constraints()
    std = W.std(0) + 1e-6
    expected = (W - W.mean(0)) * (std.mean() / std)
    np.testing.assert_allclose(m.wxf.detach().numpy(), expected, rtol=1e-10)
    assert m.has_constraints()


def test_denoising_gae_corrupts_both_inputs_and_bad_spaces_fail():
    m = DenoisingFactoredGatedAutoencoder(BinomialCorruptor(corruption_level=1.0), nfac=3,
                                          nmap=2, nvisx=4, nvisy=4)
    x = torch.ones(2, 4)
    rx, _ = m.reconstructXY((x, x))
    clean_rx, _ = m.reconstructXY_NoiseFree((torch.zeros(2, 4), torch.zeros(2, 4)))
    torch.testing.assert_close(rx, clean_rx)  # everything dropped: same as zero input
    with pytest.raises(ConfigError, match="CompositeSpace"):
        FactoredGatedAutoencoder(nfac=2, nmap=2, input_space=VectorSpace(3))
    with pytest.raises(ConfigError, match="nmap"):
        FactoredGatedAutoencoder(nfac=2, nmap=0, nvisx=2, nvisy=2)


def shifted_pairs(n, region):
    """Random images and copies shifted by one pixel (the tutorial's 'shifts' data)."""
    x = (rng.uniform(size=(n, region, region, 1)) > 0.5).astype(np.float32)
    y = np.roll(x, 1, axis=2)
    return x, y


def test_original_gae_random_yaml_trains_one_epoch(tmp_path):
    region = 5
    space = CompositeSpace([Conv2DSpace((region, region), 1), Conv2DSpace((region, region), 1)])
    x, y = shifted_pairs(40, region)
    data = VectorSpacesDataset((x, y), (space, ("featuresX", "featuresY")))
    path = tmp_path / "train_preprocessed.pkl"
    serial.save(str(path), data)
    with open(os.path.join(HERE, "data", "original_yaml", "gae_random.yaml")) as f:
        text = f.read()
    params = {"save_path": str(tmp_path), "region": region, "nvisX": 25, "nvisY": 25,
              "max_epochs": 1, "batch_size": 10, "train_data": str(path), "nfac": 9,
              "nmap": 4, "lr": 0.01}
    train = yaml_parse.load(text % params)
    assert isinstance(train.model, FactoredGatedAutoencoder)
    train.main_loop()
    monitor = train.model.monitor
    objective = monitor.channels["train_objective"].val_record
    assert len(objective) == 2 and objective[1] < objective[0]
    assert "train_Normalized" in monitor.channels
    assert (tmp_path / "gae_9_4.pkl").exists() and (tmp_path / "gae_9_4_best.pkl").exists()
