"""make_mnistplus.py on a tiny MNIST in the real IDX format: the embossing checked in
closed form on flat regions and against the classic formula in float64, the texture
paste against the recorded crop, and the file read back by MNISTPlus."""

import gzip
import struct

import numpy as np
import pytest
from PIL import Image

from pylearn2.scripts.cli import main


def write_mnist(root, images, labels):
    folder = root / "mnist"
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, imgs, labs in (("train", images[:3], labels[:3]), ("t10k", images[3:], labels[3:])):
        with gzip.open(folder / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
            f.write(struct.pack(">iiii", 2051, len(imgs), 28, 28) + imgs.tobytes())
        with gzip.open(folder / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(struct.pack(">ii", 2049, len(labs)) + labs.tobytes())
    from pylearn2.utils import mnist_ubyte

    mnist_ubyte._cached.cache_clear()


def emboss64(height, azimuth, elevation, depth=2.0):
    """The classic emboss: unit normals of the 0..255 height map scaled by depth/100, dotted
    with the unit vector towards the light, times 255, clipped, truncated to integers."""
    gr, gc = np.gradient(height * 255.0)
    gr, gc = gr * depth / 100, gc * depth / 100
    norm = np.sqrt(gr ** 2 + gc ** 2 + 1)
    a, e = np.deg2rad(azimuth), np.deg2rad(elevation)
    lit = (np.cos(e) * np.cos(a) * gr + np.cos(e) * np.sin(a) * gc + np.sin(e)) / norm
    return np.floor(np.clip(255 * lit, 0, 255)) / 255


@pytest.fixture
def digits(tmp_path, monkeypatch):
    images = np.zeros((5, 28, 28), np.uint8)
    for i in range(5):
        images[i, 8:20, 10 + i:13 + i] = 255  # a vertical stroke, moving right
    labels = np.array([1, 1, 7, 1, 4], np.uint8)
    write_mnist(tmp_path, images, labels)
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    return images, labels


def resized(image, size=48):
    return np.asarray(Image.fromarray(image.astype(np.float32), mode="F").resize(
        (size, size), Image.BILINEAR), dtype=np.float64) / 255


def test_make_mnistplus_embosses_each_digit(digits, tmp_path, capsys):
    from pylearn2.datasets.mnistplus import MNISTPlus

    images, labels = digits
    assert main(["make-mnistplus"]) == 0
    assert "Wrote 5 images of 48x48" in capsys.readouterr().out
    ds = MNISTPlus("train", label_type="label")
    assert ds.X.shape == (5, 48 * 48) and ds.y.ravel().tolist() == labels.tolist()
    flat = np.floor(255 * np.sin(np.deg2rad(18))) / 255  # light from 18 degrees up, no slope
    for i in range(5):
        got = ds.X[i].reshape(48, 48)
        np.testing.assert_allclose(got[:5, :5], flat, atol=1e-6)
        np.testing.assert_allclose(got, emboss64(resized(images[i]), 45, 18), atol=1.01 / 255)


def test_make_mnistplus_with_random_light_and_a_texture(digits, tmp_path, capsys):
    from pylearn2.utils.safe_unpickle import load_plain_pickle

    images, _ = digits
    texture = np.random.default_rng(3).integers(0, 200, size=(80, 90), dtype=np.uint8)
    folder = tmp_path / "textures" / "brodatz"
    folder.mkdir(parents=True)
    Image.fromarray(texture).save(folder / "D5.gif")
    out = tmp_path / "plus.pkl"
    assert main(["make-mnistplus", "--azimuth", "--elevation", "--texture", "--textid", "5",
                 "--max-examples", "4", "--out", str(out)]) == 0
    data = load_plain_pickle(str(out))
    assert data["data"].shape == (4, 48 * 48) and data["texture_id"].tolist() == [5] * 4
    assert len(set(data["azimuth"].tolist())) > 1 and (data["elevation"] < 60).all()
    for i in range(4):
        x, y = data["texture_pos"][i].astype(int)
        background = texture[y:y + 48, x:x + 48].astype(np.float64) / 255
        digit = resized(images[i])
        relief = np.where(digit > 0.1, digit, background)
        want = emboss64(relief, data["azimuth"][i], data["elevation"][i])
        np.testing.assert_allclose(data["data"][i].reshape(48, 48), want, atol=1.01 / 255)
    assert main(["make-mnistplus", "--texture", "--textid", "6", "--out", str(out)]) == 2
    assert "D6.gif not found" in capsys.readouterr().err
