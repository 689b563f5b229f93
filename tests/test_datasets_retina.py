"""Retina coding against block means computed directly, exact round trip of
block-constant images, and FoveatedNORB on generated files."""

import numpy as np
import pytest

from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.datasets.norb import PREFIX
from pylearn2.datasets.norb_small import FoveatedNORB
from pylearn2.datasets.retina import (
    RetinaDecodingBlock,
    RetinaEncodingBlock,
    decode,
    encode,
    get_encoded_size,
)
from pylearn2.utils.exc import ConfigError

rng = np.random.default_rng(0)


def test_encoding_layout_on_a_small_image():
    x = rng.normal(size=(1, 6, 6, 1))
    code = encode(x, (2,))[0]
    img = x[0, :, :, 0]
    centre = img[2:4, 2:4].reshape(-1)
    blocks = [img[0:2, 0:2], img[2:4, 0:2], img[4:6, 0:2],   # left column
              img[0:2, 4:6], img[2:4, 4:6], img[4:6, 4:6],   # right column
              img[0:2, 2:4],                                   # top row
              img[4:6, 2:4]]                                   # bottom row
    np.testing.assert_allclose(code, np.concatenate([centre, [b.mean() for b in blocks]]))
    assert get_encoded_size(6, 6, (2,)) == 12


def test_round_trip_of_block_constant_images_and_blocks():
    # constant on every block of the rings (8x8, rings 2 then 1): decoding restores it
    x = rng.normal(size=(3, 8, 8, 2))
    coarse = decode(encode(x, (2, 1)), (8, 8, 2), (2, 1))
    np.testing.assert_allclose(decode(encode(coarse, (2, 1)), (8, 8, 2), (2, 1)), coarse)
    np.testing.assert_allclose(coarse[:, 3:5, 3:5], x[:, 3:5, 3:5])  # the centre is exact
    ds = DenseDesignMatrix(topo_view=x.astype(np.float32))
    RetinaEncodingBlock((2, 1)).apply(ds)
    assert ds.X.shape == (3, get_encoded_size(8, 8, (2, 1)) * 2)
    back = RetinaDecodingBlock((8, 8, 2), (2, 1)).perform(ds.X)
    np.testing.assert_allclose(back, coarse, rtol=1e-5, atol=1e-6)
    with pytest.raises(ConfigError, match="multiple"):
        get_encoded_size(9, 8, (2,))
    with pytest.raises(ConfigError, match="need"):
        decode(np.zeros((1, 5)), (8, 8, 1), (2,))


def test_foveated_norb(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    fov, npy = tmp_path / "norb_small" / "foveated", tmp_path / "norb_small" / "original_npy"
    fov.mkdir(parents=True)
    npy.mkdir(parents=True)
    images = rng.integers(0, 256, size=(4, 96, 96, 2)).astype(np.float64)
    np.save(fov / f"{PREFIX['train']}-dat.npy", encode(images, (8, 4, 2, 2)))
    np.save(npy / f"{PREFIX['train']}-cat.npy", np.array([0, 1, 2, 3]))
    info = np.zeros((4, 4), dtype=np.int32)
    info[:, 0] = [4, 6, 4, 9]
    np.save(npy / f"{PREFIX['train']}-info.npy", info)
    ds = FoveatedNORB("train", restrict_instances=[4], one_hot=True)
    assert ds.X.shape[0] == 2 and ds.y.argmax(1).tolist() == [0, 2]
    topo = ds.get_topological_view()
    np.testing.assert_allclose(topo[:, 40:56, 40:56], images[[0, 2], 40:56, 40:56], rtol=1e-5)
    with pytest.raises(ConfigError, match="not both"):
        FoveatedNORB("train", start=0, restrict_instances=[4])
