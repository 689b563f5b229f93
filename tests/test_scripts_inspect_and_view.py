"""The original's pkl_inspector, get_version, show_binocular_greyscale_examples and
browse_conv_weights scripts, run on small saved models and datasets."""

import numpy as np
import pytest
import torch
from PIL import Image

from pylearn2.datasets.dataset_file import save_dataset
from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.models.mlp import MLP, ConvRectifiedLinear, Sigmoid, Softmax
from pylearn2.scripts.cli import main
from pylearn2.space import Conv2DSpace
from pylearn2.utils import serial


def test_pkl_inspector_reports_members_and_each_parts_bytes(tmp_path, capsys):
    model = MLP(nvis=5, layers=[Sigmoid(layer_name="h0", dim=4, irange=0.1),
                                Softmax(layer_name="y", n_classes=3, irange=0.1)])
    path = str(tmp_path / "m.pkl")
    serial.save(path, model)
    assert main(["pkl-inspector", path]) == 0
    out = capsys.readouterr().out
    assert "manifest.json" in out and "weights.safetensors" in out
    assert f"{(5 * 4 + 4 + 4 * 3 + 3) * 4} bytes of arrays" in out  # float32 weights
    assert main(["pkl-inspector", path, ".layers", "0"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line.split()[1] for line in lines if line.startswith(".")}
    assert rows == {".W": str(5 * 4 * 4), ".b": str(4 * 4)}
    assert any(line.startswith("root.layers[0]: pylearn2.models.mlp") for line in lines)
    assert main(["pkl-inspector", path, ".nothing"]) == 2
    assert "root has no .nothing" in capsys.readouterr().err


def test_pkl_inspector_on_arrays(tmp_path, capsys):
    path = str(tmp_path / "a.npz")
    np.savez(path, x=np.zeros((3, 4), np.float64), y=np.zeros(5, np.int8))
    assert main(["pkl-inspector", path, "[x]"]) == 0
    assert "ndarray (3, 4) float64, 96 bytes" in capsys.readouterr().out


def test_get_version_names_the_library_and_torch(capsys):
    import pylearn2

    assert main(["get-version"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"pylearn2:{pylearn2.__version__}")
    assert f"torch:{torch.__version__}" in out[0]
    assert any(line.startswith("Accelerator: ") for line in out)


def eye_tiles(path, side, pairs):
    """The eye images of one row of stereo pairs drawn by pair_grid (pairs 4 pixels apart,
    a pair's two images 1 pixel apart), in reading order, one value per pixel."""
    picture = np.asarray(Image.open(path).convert("L"), dtype=np.float64)
    scale = picture.shape[0] // (side + 8)
    assert picture.shape == ((side + 8) * scale, (pairs * (2 * side + 5) + 4) * scale)
    small = picture[::scale, ::scale]
    lefts = [4 + k * (2 * side + 5) + eye * (side + 1) for k in range(pairs) for eye in (0, 1)]
    return [small[4:4 + side, x:x + side] for x in lefts]


def test_show_binocular_greyscale_examples_pairs_second_eye_first(tmp_path, capsys):
    V = np.zeros((3, 6, 6, 2), np.float32)
    for i in range(3):
        V[i, 1:3, i:i + 2, 0] = 1.0  # eye 0: a block moving right with i
        V[i, 3:5, 0:2, 1] = 1.0      # eye 1: a block low on the left
    path = str(tmp_path / "pairs.pkl")
    save_dataset(path, DenseDesignMatrix(topo_view=V))
    out = str(tmp_path / "pairs.png")
    assert main(["show-binocular-greyscale-examples", path, "--rows", "1", "--cols", "3",
                 "--out", out]) == 0
    assert "3 pairs of 6x6 images" in capsys.readouterr().out
    tiles = eye_tiles(out, side=6, pairs=3)
    for i in range(3):  # global rescale: 1 -> white, 0 -> mid-grey
        np.testing.assert_array_equal(tiles[2 * i] > 200, V[i, :, :, 1] > 0)
        np.testing.assert_array_equal(tiles[2 * i + 1] > 200, V[i, :, :, 0] > 0)
    mono = str(tmp_path / "mono.pkl")
    save_dataset(mono, DenseDesignMatrix(topo_view=V[..., :1]))
    assert main(["show-binocular-greyscale-examples", mono, "--out", out]) == 2
    assert "two channels" in capsys.readouterr().err


@pytest.fixture
def conv_model(tmp_path):
    model = MLP(input_space=Conv2DSpace(shape=[9, 9], num_channels=2), layers=[
        ConvRectifiedLinear(output_channels=3, kernel_shape=[3, 3], layer_name="c0",
                            irange=0.1, pool_shape=[1, 1], pool_stride=[1, 1]),
        ConvRectifiedLinear(output_channels=4, kernel_shape=[2, 2], layer_name="c1",
                            irange=0.1, pool_shape=[1, 1], pool_stride=[1, 1]),
        Softmax(layer_name="y", n_classes=2, irange=0.1)])
    with torch.no_grad():
        W = model.layers[0].W
        W.zero_()
        W[:, 0, 1, :] = 1.0   # input channel 0: a bright horizontal bar
        W[:, 1, :, 1] = -1.0  # input channel 1: a dark vertical bar
    path = str(tmp_path / "conv.pkl")
    serial.save(path, model)
    return path, model


def test_browse_conv_weights_writes_a_png_per_conv_layer(conv_model, tmp_path, capsys):
    path, model = conv_model
    out = str(tmp_path / "w.png")
    assert main(["browse-conv-weights", path, "--out", out]) == 0
    text = capsys.readouterr().out
    assert "layer c0: 3 units x 2 input channels of 3x3 kernels" in text
    assert "layer c1: 4 units x 3 input channels of 2x2 kernels" in text
    picture = np.asarray(Image.open(tmp_path / "w_c0.png").convert("L"), dtype=np.float64)
    scale = picture.shape[1] // (2 * 3 + 3)
    assert picture.shape == ((3 * 3 + 4) * scale, (2 * 3 + 3) * scale)
    small = picture[::scale, ::scale]
    for unit in range(3):  # row = unit, column = input channel; zero is mid-grey
        top = 1 + unit * 4
        horizontal, vertical = small[top:top + 3, 1:4], small[top:top + 3, 5:8]
        np.testing.assert_array_equal(horizontal[1] > 200, [True] * 3)
        np.testing.assert_array_equal(np.abs(horizontal[[0, 2]] - 128) < 2, np.ones((2, 3)))
        np.testing.assert_array_equal(vertical[:, 1] < 50, [True] * 3)
    c1 = np.asarray(Image.open(tmp_path / "w_c1.png"))
    assert c1.shape[0] > 0
    assert main(["browse-conv-weights", "-i", path, "--out", out, "--layer", "c1",
                 "--max-units", "2"]) == 0
    assert "drawing 2 x 3" in capsys.readouterr().out
    assert Image.open(out).size[0] > 0
    assert main(["browse-conv-weights", path, "--out", out, "--layer", "nope"]) == 2
    assert "found: ['c0', 'c1']" in capsys.readouterr().err


def test_show_binocular_greyscale_examples_on_small_norb(tmp_path, monkeypatch, capsys):
    from test_datasets_norb_filetensor import write_norb

    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    dat, _, _, _ = write_norb(tmp_path, "train", 2, 0)
    (tmp_path / "norb.yaml").write_text(
        "!obj:pylearn2.datasets.norb.SmallNORB {which_set: train}")
    out = str(tmp_path / "norb.png")
    assert main(["show-binocular-greyscale-examples", str(tmp_path / "norb.yaml"),
                 "--rows", "1", "--cols", "2", "--rescale", "individual", "--out", out]) == 0
    assert "2 pairs of 96x96 images" in capsys.readouterr().out
    tiles = eye_tiles(out, side=96, pairs=2)
    for i in range(2):  # one scale per pair (its peak); second eye (s = 1) first
        peak = dat[i].max()
        for k, eye in enumerate((1, 0)):
            np.testing.assert_allclose(tiles[2 * i + k], 255 * (dat[i, eye] / peak + 1) / 2,
                                       atol=1.01)


@pytest.fixture
def small_norb(tmp_path, monkeypatch):
    """Six small-NORB pairs with valid labels; pair i is flat: left 40 i, right 255 - 40 i."""
    from test_datasets_norb_filetensor import PREFIX, handmade

    folder = tmp_path / "norb_small" / "original"
    folder.mkdir(parents=True)
    n = 6
    dat = np.zeros((n, 2, 96, 96), np.uint8)
    for i in range(n):
        dat[i, 0], dat[i, 1] = 40 * i, 255 - 40 * i
    cat = np.array([0, 2, 2, 4, 2, 1], np.int32)
    info = np.array([[4, 0, 0, 0], [6, 1, 2, 3], [7, 8, 34, 5], [8, 2, 4, 1], [9, 3, 2, 0],
                     [4, 4, 6, 2]], np.int32)  # instance, elevation, azimuth, lighting
    base = PREFIX["train"]
    (folder / f"{base}-dat.mat").write_bytes(handmade(0x1E3D4C55, dat.shape, dat.tobytes()))
    (folder / f"{base}-cat.mat").write_bytes(handmade(0x1E3D4C54, (n,), cat.astype("<i4").tobytes()))
    (folder / f"{base}-info.mat").write_bytes(handmade(0x1E3D4C54, (n, 4),
                                                       info.astype("<i4").tobytes()))
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    return dat


def pair_levels(path, pairs):
    """Mean grey level of each eye's tile in a row of ``pairs`` stereo pairs."""
    return [tile.mean() for tile in eye_tiles(path, side=96, pairs=pairs)]


@pytest.mark.parametrize("command", ["browse-small-norb", "browse-norb"])
def test_browse_norb_selects_pairs_by_label(small_norb, tmp_path, capsys, command):
    out = str(tmp_path / "sel.png")
    extra = ["--which_norb", "small"] if command == "browse-norb" else []
    assert main([command, *extra, "--which_set", "train", "--category", "2", "--azimuth", "2",
                 "--out", out]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == [
        "#1: category airplane, instance 6, elevation 35 deg, azimuth 20 deg, "
        + ("lighting condition 3" if command == "browse-norb" else "lighting 3"),
        "#4: category airplane, instance 9, elevation 45 deg, azimuth 20 deg, "
        + ("lighting condition 0" if command == "browse-norb" else "lighting 0")]
    levels = pair_levels(out, 2)
    np.testing.assert_allclose(levels, [40, 215, 160, 95], atol=1)  # pairs 1 and 4, left first
    assert main([command, *extra, "--which_set", "train", "--category", "2", "--azimuth", "2",
                 "--stereo_viewer", "--out", out]) == 0
    np.testing.assert_allclose(pair_levels(out, 2), [215, 40, 95, 160], atol=1)
    assert main([command, *extra, "--which_set", "train", "--category", "3", "--out", out]) == 2
    assert "no pair has the labels {'category': 3}" in capsys.readouterr().err


def test_step_through_small_norb_in_order(small_norb, tmp_path, capsys):
    out = str(tmp_path / "steps.png")
    assert main(["step-through-small-norb", "--start", "2", "--count", "3", "--out", out]) == 0
    text = capsys.readouterr().out
    assert [line.split(":")[0] for line in text.splitlines()[:3]] == ["#2", "#3", "#4"]
    assert "azimuth 340 deg" in text
    np.testing.assert_allclose(pair_levels(out, 3), [80, 175, 120, 135, 160, 95], atol=1)


def test_make_weights_image_writes_model_png(tmp_path, capsys):
    model = MLP(nvis=16, layers=[Sigmoid(layer_name="h0", dim=2, irange=0.0),
                                 Softmax(layer_name="y", n_classes=2, irange=0.1)])
    with torch.no_grad():
        model.layers[0].W.zero_()
        model.layers[0].W[:4, 0] = 1.0   # unit 0: the top row of a 4x4 image
        model.layers[0].W[::4, 1] = -1.0  # unit 1: the left column, negative
    path = str(tmp_path / "m.pkl")
    serial.save(path, model)
    assert main(["make-weights-image", path]) == 0
    picture = np.asarray(Image.open(path + ".png").convert("L"), dtype=np.float64)
    scale = picture.shape[0] // 6  # one row of two 4x4 tiles, 1-pixel gaps
    small = picture[::scale, ::scale]
    first, second = small[1:5, 1:5], small[1:5, 6:10]
    np.testing.assert_array_equal(first[0] > 200, [True] * 4)
    np.testing.assert_array_equal(second[:, 0] < 50, [True] * 4)
    assert np.all(np.abs(first[1:] - 128) < 2) and np.all(np.abs(second[:, 1:] - 128) < 2)
    assert main(["make-weights-image", path, "maybe"]) == 2


def test_step_through_norb_foveated(tmp_path, monkeypatch, capsys):
    from pylearn2.datasets.norb import PREFIX
    from pylearn2.datasets.retina import encode

    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    fov, npy = tmp_path / "norb_small" / "foveated", tmp_path / "norb_small" / "original_npy"
    fov.mkdir(parents=True)
    npy.mkdir(parents=True)
    images = np.random.default_rng(2).integers(0, 256, size=(3, 96, 96, 2)).astype(np.float64)
    np.save(fov / f"{PREFIX['test']}-dat.npy", encode(images, (8, 4, 2, 2)))
    np.save(npy / f"{PREFIX['test']}-cat.npy", np.array([4, 0, 2]))
    info = np.zeros((3, 4), dtype=np.int32)
    info[:, 0] = [1, 2, 5]
    np.save(npy / f"{PREFIX['test']}-info.npy", info)
    out = str(tmp_path / "fov.png")
    assert main(["step-through-norb-foveated", "--which_set", "test", "--start", "1",
                 "--out", out]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["#1: category animal, instance 2", "#2: category airplane, instance 5"]
    tiles = eye_tiles(out, side=96, pairs=2)
    from pylearn2.datasets.norb_small import FoveatedNORB

    decoded = FoveatedNORB("test", center=True).get_topological_view()[1:].astype(np.float64)
    for i in range(2):  # the fovea (the middle 16x16) is stored at full resolution
        peak = np.abs(decoded[i]).max()
        for k, eye in enumerate((1, 0)):
            want = 255 * ((images[1 + i, 40:56, 40:56, eye] - 127.5) / peak + 1) / 2
            np.testing.assert_allclose(tiles[2 * i + k][40:56, 40:56], want, atol=1.01)
