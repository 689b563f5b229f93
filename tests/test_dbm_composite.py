"""CompositeLayer: several DBM hidden layers side by side, checked on tiny models against
float64 enumeration written from the energy alone (tests/dbm_blocks.py)."""

import numpy as np
import pytest
import torch
from dbm_blocks import (
    Block,
    BlockModel,
    bits,
    code,
    config_index,
    noise_level,
    pooled_configs,
)

from pylearn2.costs.dbm import MaskGen, MultiPrediction, VariationalPCD
from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.dbm import DBM, BinaryVector, BinaryVectorMaxPool, Softmax, UpDown
from pylearn2.models.dbm.layer import CompositeLayer, ConvMaxPool
from pylearn2.termination_criteria import EpochCounter
from pylearn2.train import Train
from pylearn2.training_algorithms.sgd import SGD
from pylearn2.utils import serial
from pylearn2.utils.exc import ConfigError


def bvmp(dim, pool, name, irange=0.8):
    return BinaryVectorMaxPool(detector_layer_dim=dim, pool_size=pool, layer_name=name,
                               irange=irange)


def randomise_biases(dbm, seed=0):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        dbm.visible_layer.bias.copy_(torch.randn(3, generator=gen, dtype=torch.float64) * .5)
        for layer in leaves(dbm):
            layer.b.copy_(torch.randn(layer.b.shape, generator=gen, dtype=torch.float64) * .5)
    return dbm


def leaves(dbm):
    """The hidden layers with their own weights, bottom to top, components in order."""
    out = []
    for layer in dbm.hidden_layers:
        out.extend(layer.components if isinstance(layer, CompositeLayer) else [layer])
    return out


def side_by_side(procedure=None, irange=0.8, niter=300):
    """v(3) - [a: 2 units | b: 2 detectors in one pool] - top: 2 units."""
    dbm = DBM(batch_size=4, niter=niter, visible_layer=BinaryVector(3), seed=1, hidden_layers=[
        CompositeLayer("c0", [bvmp(2, 1, "a", irange), bvmp(2, 2, "b", irange)]),
        bvmp(2, 1, "top", irange)], inference_procedure=procedure).double()
    return randomise_biases(dbm)


def routed(procedure=None, irange=0.8, niter=300):
    """v(3) - [a | b] - [x | y] with inputs_to_components {0: [0]}: x sees a and b, y
    sees b only."""
    dbm = DBM(batch_size=4, niter=niter, visible_layer=BinaryVector(3), seed=2, hidden_layers=[
        CompositeLayer("c0", [bvmp(2, 1, "a", irange), bvmp(2, 1, "b", irange)]),
        CompositeLayer("c1", [bvmp(2, 1, "x", irange), bvmp(2, 1, "y", irange)],
                       inputs_to_components={0: [0]})], inference_procedure=procedure).double()
    return randomise_biases(dbm, seed=3)


def np_(t):
    return t.detach().numpy()


def reference(dbm):
    """The BlockModel of either test model (blocks: v, then each leaf layer)."""
    blocks = [Block(bits(3), np_(dbm.visible_layer.bias), name="v")]
    for layer in leaves(dbm):
        down, up = pooled_configs(layer.detector_layer_dim, layer.pool_size)
        blocks.append(Block(down, np_(layer.b), up, layer.layer_name))
    names = [b.name for b in blocks]
    at = names.index
    edges = []
    for layer in leaves(dbm):
        W = np_(layer.W)
        if layer.layer_name in ("a", "b"):
            edges.append((0, at(layer.layer_name), W))
        elif layer.layer_name == "top":
            edges += [(at("a"), at("top"), W[:2]), (at("b"), at("top"), W[2:])]
        elif layer.layer_name == "x":
            edges += [(at("a"), at("x"), W[:2]), (at("b"), at("x"), W[2:])]
        elif layer.layer_name == "y":
            edges.append((at("b"), at("y"), W))
    return BlockModel(blocks, edges)


def our_state(ref, index, block):
    """The (pool, detector) state of a leaf block for the given joint configurations."""
    b = ref.blocks[block]
    return torch.tensor(b.up[index[:, block]]), torch.tensor(b.down[index[:, block]])


def dbm_states(dbm, ref, index):
    """Our nested total states [v, h0, h1] for joint configuration indices."""
    names = [b.name for b in ref.blocks]
    v = torch.tensor(ref.blocks[0].down[index[:, 0]])
    hidden = []
    for layer in dbm.hidden_layers:
        parts = layer.components if isinstance(layer, CompositeLayer) else [layer]
        states = tuple(our_state(ref, index, names.index(p.layer_name)) for p in parts)
        hidden.append(states if isinstance(layer, CompositeLayer) else states[0])
    return v, hidden


def leaf_detectors(dbm, state_by_layer):
    """Detector states of every leaf, in block order, from a layer -> state dict."""
    out = []
    for layer in dbm.hidden_layers:
        s = state_by_layer[layer]
        out.extend([c[1] for c in s] if isinstance(layer, CompositeLayer) else [s[1]])
    return out


@pytest.mark.parametrize("make", [side_by_side, routed])
def test_energy_matches_the_enumerated_reference(make):
    dbm = make()
    ref = reference(dbm)
    index = ref.all_states()
    v, hidden = dbm_states(dbm, ref, index)
    with torch.no_grad():
        e = dbm.energy(v, hidden).numpy()
    np.testing.assert_allclose(e, ref.energy(index), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("procedure", [None, UpDown])
@pytest.mark.parametrize("make", [side_by_side, routed])
def test_mean_field_reaches_the_reference_fixed_point(make, procedure):
    dbm = make(procedure() if procedure else None)
    ref = reference(dbm)
    V = bits(3)
    with torch.no_grad():
        H = dbm.mf(torch.tensor(V))
    expected = ref.mean_field({0: V}, batch=len(V))
    names = [b.name for b in ref.blocks]
    for layer, state in zip(dbm.hidden_layers, H):
        parts = zip(layer.components, state) if isinstance(layer, CompositeLayer) else [
            (layer, state)]
        for leaf, (p, h) in parts:
            down, up = expected[names.index(leaf.layer_name)]
            np.testing.assert_allclose(h.numpy(), down, atol=1e-8)
            np.testing.assert_allclose(p.numpy(), up, atol=1e-8)


def sampled_codes(dbm, ref, out):
    names = [b.name for b in ref.blocks]
    columns = [config_index(ref.blocks[0], out[dbm.visible_layer].numpy())]
    for leaf, h in zip(leaves(dbm), leaf_detectors(dbm, out)):
        columns.append(config_index(ref.blocks[names.index(leaf.layer_name)], h.numpy()))
    return np.stack(columns, 1)


@pytest.mark.parametrize("make", [side_by_side, routed])
def test_gibbs_sampling_leaves_the_exact_distribution_invariant(make):
    dbm = make(irange=1.2)
    ref = reference(dbm)
    index, p = ref.joint()
    hidden_sizes = [len(b.down) for b in ref.blocks[1:]]
    hidden_p = np.bincount(code(index[:, 1:], hidden_sizes), weights=p)  # v summed out
    n = 40000
    gen = torch.Generator().manual_seed(5)
    start = index[torch.multinomial(torch.tensor(p), n, replacement=True, generator=gen).numpy()]
    v, hidden = dbm_states(dbm, ref, start)
    layer_to_state = {dbm.visible_layer: v, **dict(zip(dbm.hidden_layers, hidden))}
    with torch.no_grad():
        out = dbm.sample(layer_to_state, gen, num_steps=2)
    after = sampled_codes(dbm, ref, out)
    counts = np.bincount(code(after[:, 1:], hidden_sizes), minlength=len(hidden_p)) / n
    assert 0.5 * np.abs(counts - hidden_p).sum() < 1.5 * noise_level(hidden_p, n) + 0.005
    # chains started from the biases reach it too
    with torch.no_grad():
        out = dbm.sample(dbm.make_layer_to_state(n, gen), gen, num_steps=20)
    after = sampled_codes(dbm, ref, out)
    counts = np.bincount(code(after[:, 1:], hidden_sizes), minlength=len(hidden_p)) / n
    assert 0.5 * np.abs(counts - hidden_p).sum() < 1.5 * noise_level(hidden_p, n) + 0.005


def exact_log_likelihood(dbm, X):
    ref = reference(dbm)
    index = ref.all_states()
    neg = -ref.energy(index)
    log_z = np.logaddexp.reduce(neg)
    v_code = index[:, 0]
    log_pv = np.array([np.logaddexp.reduce(neg[v_code == k]) for k in range(8)]) - log_z
    return log_pv[(X @ np.array([4, 2, 1])).astype(int)].mean()


def test_variational_pcd_raises_the_exact_likelihood_with_a_composite_layer():
    rng = np.random.default_rng(0)
    protos = np.array([[1, 1, 0], [0, 1, 1], [1, 0, 1]], float)
    X = protos[rng.integers(0, 3, 60)]
    dbm = side_by_side(irange=0.1, niter=5)
    dbm.set_batch_size(20)
    before = exact_log_likelihood(dbm, X)
    Train(dataset=DenseDesignMatrix(X=X), model=dbm, algorithm=SGD(
        learning_rate=0.3, termination_criterion=EpochCounter(60), device="cpu",
        cost=VariationalPCD(num_chains=20, num_gibbs_steps=2, toronto_neg=True))).main_loop()
    assert exact_log_likelihood(dbm, X) > before + 0.5


def test_multiprediction_trains_every_component():
    dbm = DBM(batch_size=6, niter=3, visible_layer=BinaryVector(3), hidden_layers=[
        CompositeLayer("c0", [bvmp(2, 1, "a"), bvmp(4, 2, "b")]),
        Softmax(n_classes=2, layer_name="y", irange=0.5)]).double()
    X = torch.tensor(bits(3)[:6])
    Y = torch.eye(2, dtype=torch.float64)[[0, 1, 0, 1, 1, 0]]
    cost = MultiPrediction(mask_gen=MaskGen(drop_prob=0.5, balance=False, sync_channels=False),
                           supervised=True)
    value = cost.expr(dbm, (X, Y))
    grads = torch.autograd.grad(value, [leaf.W for leaf in leaves(dbm)])
    assert torch.isfinite(value)
    assert all(g.abs().sum() > 0 for g in grads)


def test_model_file_round_trip_keeps_the_routing(tmp_path):
    dbm = routed(niter=4)
    path = tmp_path / "composite.pkl"
    serial.save(str(path), dbm)
    again = serial.load(str(path)).double()
    assert again.hidden_layers[1].components_to_inputs == {0: [0, 1], 1: [1]}
    V = torch.tensor(bits(3))
    with torch.no_grad():
        for s, t in zip(dbm.mf(V), again.mf(V)):
            for a, b in zip(s, t):
                torch.testing.assert_close(a[0], b[0])


def test_composite_errors_name_the_problem():
    with pytest.raises(ConfigError, match="needs a CompositeLayer below"):
        DBM(batch_size=2, niter=1, visible_layer=BinaryVector(3), hidden_layers=[
            CompositeLayer("c", [bvmp(2, 1, "a")], inputs_to_components={0: [0]})])
    with pytest.raises(ConfigError, match="must name components"):
        CompositeLayer("c", [bvmp(2, 1, "a")], inputs_to_components={0: [1]})
    with pytest.raises(ConfigError, match="names must differ"):
        CompositeLayer("c", [bvmp(2, 1, "a"), bvmp(2, 1, "a")])
    with pytest.raises(ConfigError, match="topological"):
        DBM(batch_size=2, niter=1, visible_layer=BinaryVector(4), hidden_layers=[
            CompositeLayer("c", [ConvMaxPool(1, 1, 1, 1, 1, "conv", irange=0.1)])])


def test_a_convolutional_component_takes_the_routed_topological_part():
    from pylearn2.models.dbm import GaussianVisLayer

    conv = ConvMaxPool(2, 2, 2, 1, 1, "conv0", irange=0.5)  # 4x4 -> 3x3 detectors
    dbm = DBM(batch_size=3, niter=80, seed=4, visible_layer=GaussianVisLayer(
        rows=4, cols=4, channels=1), hidden_layers=[
        CompositeLayer("c0", [conv, bvmp(3, 1, "dense0", 0.3)]),
        CompositeLayer("c1", [ConvMaxPool(1, 2, 2, 2, 2, "conv1", irange=0.5),
                              bvmp(2, 1, "dense1", 0.3)],
                       inputs_to_components={0: [0, 1], 1: [1]})]).double()
    c1 = dbm.hidden_layers[1]
    assert c1.components[0].input_shape == (2, 3, 3)  # only the conv part below
    assert c1.components[1].W.shape == (2 * 9 + 3, 2)  # the dense one sees both parts
    V = torch.tensor(np.random.default_rng(0).normal(size=(3, 16)))
    with torch.no_grad():
        s0, s1 = dbm.mf(V)
        again0 = dbm.hidden_layers[0].mf_update(V, c1.downward_state(s1), c1)
        again1 = c1.mf_update(dbm.hidden_layers[0].upward_state(s0))
        for a, b in zip(again0 + again1, s0 + s1):
            for x, y in zip(a, b):
                torch.testing.assert_close(x, y, atol=1e-9, rtol=0)
        # the energy is the sum of the components' terms, each with its routed input
        e = dbm.energy(V, [s0, s1]) - dbm.visible_layer.expected_energy_term(V)
        up0 = dbm.hidden_layers[0].upward_state(s0)
        parts = [dbm.hidden_layers[0].components[0].expected_energy_term(s0[0], state_below=V),
                 dbm.hidden_layers[0].components[1].expected_energy_term(s0[1], state_below=V),
                 c1.components[0].expected_energy_term(s1[0], state_below=up0[0]),
                 c1.components[1].expected_energy_term(s1[1], state_below=torch.cat(up0, 1))]
        torch.testing.assert_close(e, sum(parts))
