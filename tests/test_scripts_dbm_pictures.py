"""The original's DBM picture scripts (show_samples, show_negative_chains,
show_reconstructions, top_filters) on tiny DBMs/RBMs whose pictures are known exactly:
visible biases of +-30 make every Gibbs sample (and every reconstruction) equal to one
pattern, and hand-set weights fix what top_filters must draw."""

import numpy as np
import pytest
import torch
from PIL import Image

from pylearn2.datasets.dataset_file import save_dataset
from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.dbm import DBM
from pylearn2.models.dbm.layer import BinaryVector, BinaryVectorMaxPool
from pylearn2.models.rbm import RBM
from pylearn2.scripts.cli import main
from pylearn2.utils import serial

BAR = np.zeros((6, 6))
BAR[1:5, 2:4] = 1  # what the biases say
SEED = np.zeros((6, 6))
SEED[np.arange(6), np.arange(6)] = 1  # what the data say


def grid_tiles(path, rows, cols, side=6, frame=0):
    """The tiles of a make_grid PNG (1-pixel gaps), reduced to one value per pixel."""
    picture = np.asarray(Image.open(path).convert("L"), dtype=np.float64)
    cell = side + 2 * frame
    scale = picture.shape[0] // (rows * cell + rows + 1)
    assert picture.shape == ((rows * cell + rows + 1) * scale, (cols * cell + cols + 1) * scale)
    small = picture[::scale, ::scale]
    return [small[1 + i * (cell + 1):1 + i * (cell + 1) + cell,
                  1 + j * (cell + 1):1 + j * (cell + 1) + cell]
            for i in range(rows) for j in range(cols)]


@pytest.fixture
def data_yaml(tmp_path):
    X = np.tile(SEED.ravel(), (8, 1)).astype(np.float32)
    path = tmp_path / "data.pkl"
    save_dataset(str(path), DenseDesignMatrix(topo_view=X.reshape(8, 6, 6, 1)))
    return f"!pkl: '{path}'"


def dbm_file(tmp_path, data_yaml, hidden=(5,), name="dbm.pkl"):
    layers = [BinaryVectorMaxPool(detector_layer_dim=n, pool_size=1, layer_name=f"h{i}",
                                  irange=0.0) for i, n in enumerate(hidden)]
    dbm = DBM(batch_size=4, visible_layer=BinaryVector(36), hidden_layers=layers, niter=3)
    with torch.no_grad():
        dbm.visible_layer.bias.copy_(torch.as_tensor(np.where(BAR.ravel() > 0, 30.0, -30.0)))
    dbm.dataset_yaml_src = data_yaml
    path = str(tmp_path / name)
    serial.save(path, dbm)
    return path, dbm


def test_show_samples_starts_at_the_data_and_moves_to_the_model(tmp_path, data_yaml, capsys):
    path, _ = dbm_file(tmp_path, data_yaml)
    out = str(tmp_path / "s.png")
    assert main(["show-samples", path, "--out", out, "--rows", "2", "--cols", "3",
                 "--steps", "0,1"]) == 0
    assert "after 1 Gibbs steps" in capsys.readouterr().out
    for tile in grid_tiles(tmp_path / "s_step0.png", 2, 3):
        np.testing.assert_array_equal(tile > 128, SEED > 0)
    for tile in grid_tiles(tmp_path / "s_step1.png", 2, 3):
        np.testing.assert_array_equal(tile > 128, BAR > 0)
    # clamped steps keep the data; from the biases the chains start at the model's pattern
    assert main(["show-samples", path, "--out", out, "--rows", "1", "--cols", "2",
                 "--steps", "0", "--clamped-steps", "5"]) == 0
    for tile in grid_tiles(out, 1, 2):
        np.testing.assert_array_equal(tile > 128, SEED > 0)
    assert main(["show-samples", path, "--out", out, "--rows", "1", "--cols", "2",
                 "--steps", "0", "--from-biases"]) == 0
    for tile in grid_tiles(out, 1, 2):
        np.testing.assert_array_equal(tile > 128, BAR > 0)
    with pytest.raises(SystemExit) as info:  # argparse: a usage line and status 2
        main(["show-samples", path, "--out", out, "--steps", "3,1"])
    assert info.value.code == 2


def test_show_reconstructions_pairs_examples_with_reconstructions(tmp_path, data_yaml, capsys):
    path, _ = dbm_file(tmp_path, data_yaml)
    out = str(tmp_path / "r.png")
    assert main(["show-reconstructions", path, "--out", out, "--rows", "2", "--cols", "2"]) == 0
    # zero weights: the reconstruction is sigmoid(bias), the bar; error = |SEED xor BAR|
    error = float(((SEED - BAR) ** 2).sum())
    assert f"mean squared error per example {error:.4g}" in capsys.readouterr().out
    tiles = grid_tiles(out, 2, 4)
    for k, tile in enumerate(tiles):
        np.testing.assert_array_equal(tile > 128, (SEED if k % 2 == 0 else BAR) > 0)


def test_show_negative_chains_of_an_rbm_and_a_clear_error_for_a_dbm(tmp_path, data_yaml,
                                                                      capsys):
    rbm = RBM(nvis=36, nhid=4, irange=0.1, nchains=6)
    rbm.dataset_yaml_src = data_yaml
    chains = np.zeros((6, 36), np.float32)
    chains[np.arange(6), np.arange(6) * 7] = 1  # chain k: one white pixel at (k, k)
    with torch.no_grad():
        rbm.sml_chains.copy_(torch.as_tensor(chains))
    path = str(tmp_path / "rbm.pkl")
    serial.save(path, rbm)
    out = str(tmp_path / "n.png")
    assert main(["show-negative-chains", path, "--out", out]) == 0
    for k, tile in enumerate(grid_tiles(out, 2, 3)):
        np.testing.assert_array_equal(tile > 128, chains[k].reshape(6, 6) > 0)
    dbm_path, _ = dbm_file(tmp_path, data_yaml)
    assert main(["show-negative-chains", dbm_path, "--out", out]) == 2
    assert "checkpoint" in capsys.readouterr().err


def test_show_negative_chains_reads_a_dbm_checkpoint(tmp_path, data_yaml):
    path, dbm = dbm_file(tmp_path, data_yaml)
    chains = np.zeros((4, 36), np.float32)
    chains[:, :6] = 1  # the top row white
    serial.save_checkpoint(path + ".ckpt", dbm, {"algorithm": {"cost": {
        "chains": [torch.as_tensor(chains), torch.zeros(4, 5)]}}})
    out = str(tmp_path / "n.png")
    assert main(["show-negative-chains", path + ".ckpt", "--out", out]) == 0
    for tile in grid_tiles(out, 2, 2):
        np.testing.assert_array_equal(tile > 128, chains[0].reshape(6, 6) > 0)


def test_top_filters_orders_units_and_frames_connections(tmp_path, data_yaml, capsys):
    path, dbm = dbm_file(tmp_path, data_yaml, hidden=(3, 2))
    with torch.no_grad():
        W1, W2 = dbm.hidden_layers[0].W, dbm.hidden_layers[1].W
        W1.zero_()
        W1[:, 0] = torch.as_tensor(BAR.ravel())
        W1[:, 1] = torch.as_tensor(BAR.T.ravel())
        W1[:, 2] = torch.as_tensor(SEED.ravel())
        W2.zero_()
        W2[0, 0], W2[1, 0] = 1.0, -0.5  # unit 0: bar excites, transposed bar inhibits
        W2[2, 1], W2[0, 1] = 2.0, 0.1   # unit 1 (larger norm, drawn first): the diagonal
    serial.save(path, dbm)
    prefix = str(tmp_path / "top")
    assert main(["top-filters", path, prefix]) == 0
    assert "(2 units x 2 filters)" in capsys.readouterr().out
    picture = np.asarray(Image.open(prefix + ".png").convert("RGB"), dtype=np.float64)
    scale = picture.shape[0] // (2 * 8 + 3)
    small = picture[::scale, ::scale]
    frames = [small[1 + i * 9, 1 + j * 9] for i in range(2) for j in range(2)]
    np.testing.assert_allclose(frames[0], [255, 255, 0], atol=1)        # +2.0 / 2.0
    np.testing.assert_allclose(frames[1], [255 * .05, 255 * .05, 0], atol=1)  # +0.1 / 2.0
    np.testing.assert_allclose(frames[2], [255, 255, 0], atol=1)        # +1.0 / 1.0
    np.testing.assert_allclose(frames[3], [127.5, 0, 127.5], atol=1)    # -0.5 / 1.0
    inner = [small[2 + i * 9:8 + i * 9, 2 + j * 9:8 + j * 9, 0] for i in range(2) for j in range(2)]
    for tile, pattern in zip(inner, (SEED, BAR, BAR, BAR.T)):
        np.testing.assert_array_equal(tile > 200, pattern > 0)
    prod = grid_tiles(prefix + "_prod.png", 1, 2)
    np.testing.assert_array_equal(prod[0] > 200, (BAR - 0.5 * BAR.T) > 0.6)


def test_augment_input_prepends_the_second_layer_mean_field(tmp_path, data_yaml):
    from pylearn2.scripts.dbm.augment_input import augment_input

    _, dbm = dbm_file(tmp_path, data_yaml, hidden=(3, 2))
    rng = np.random.default_rng(0)
    with torch.no_grad():
        for layer in dbm.hidden_layers:
            layer.W.copy_(torch.as_tensor(0.3 * rng.normal(size=layer.W.shape)))
            layer.b.copy_(torch.as_tensor(rng.normal(size=layer.b.shape)))
    X = rng.integers(0, 2, size=(5, 36)).astype(np.float32)
    got = augment_input(X, dbm, mf_steps=30, batch_size=2)
    # the fixed point of mean field for 36 -> 3 -> 2 binary units, iterated in float64
    W1, b1 = (dbm.hidden_layers[0].W.detach().double().numpy(),
              dbm.hidden_layers[0].b.detach().double().numpy())
    W2, b2 = (dbm.hidden_layers[1].W.detach().double().numpy(),
              dbm.hidden_layers[1].b.detach().double().numpy())
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    h1, h2 = sig(X @ W1 + b1), np.full((5, 2), 0.5)
    for _ in range(500):
        h1 = sig(X @ W1 + h2 @ W2.T + b1)
        h2 = sig(h1 @ W2 + b2)
    assert got.shape == (5, 2 + 36)
    np.testing.assert_allclose(got[:, 2:], X)
    np.testing.assert_allclose(got[:, :2], h2, atol=1e-4)


def test_dbm_metrics_subcommand_is_pylearn2_ais(tmp_path, capsys):
    rbm = RBM(nvis=6, nhid=3, irange=0.5)
    path = str(tmp_path / "rbm.pkl")
    serial.save(path, rbm)
    np.save(tmp_path / "test.npy", np.random.default_rng(0).integers(0, 2, size=(5, 6)))
    data = f"!obj:pylearn2.datasets.npy_npz.NpyDataset {{file: '{tmp_path / 'test.npy'}'}}"
    options = ["--chains", "20", "--betas", "50", "--data", data]

    def results(argv):
        assert main(argv) == 0
        import re

        return [re.sub(r"\d+\.\d+ s\b", "TIME", line)  # the timings may differ
                for line in capsys.readouterr().out.splitlines()]

    via_ais = results(["ais", path, *options])
    assert any(line.startswith("log Z (AIS") for line in via_ais)
    assert via_ais == results(["dbm-metrics", "ais", path, *options])
    with pytest.raises(SystemExit):
        main(["dbm-metrics", "nll", path])
