"""new_norb.NORB on small NORB files in the binary matrix format (plain and gzipped),
its stereo view converter and the label helpers."""

import gzip
import struct

import numpy as np
import pytest

from pylearn2.datasets import new_norb
from pylearn2.datasets.norb import PREFIX
from pylearn2.utils.exc import ConfigError


def handmade(magic, dims, payload):
    sizes = list(dims) + [1] * max(0, 3 - len(dims))
    return struct.pack("<" + "i" * (2 + len(sizes)), magic, len(dims), *sizes) + payload


def write(root, which, n, seed, gz=False):
    folder = root / "norb_small" / "original"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    dat = rng.integers(0, 256, size=(n, 2, 96, 96), dtype=np.uint8)
    cat = rng.integers(0, 5, size=n).astype("<i4")
    info = rng.integers(0, 5, size=(n, 4)).astype("<i4")
    for kind, blob in (("dat", handmade(0x1E3D4C55, dat.shape, dat.tobytes())),
                       ("cat", handmade(0x1E3D4C54, (n,), cat.tobytes())),
                       ("info", handmade(0x1E3D4C54, (n, 4), info.tobytes()))):
        path = folder / f"{PREFIX[which]}-{kind}.mat"
        if gz:
            with gzip.open(str(path) + ".gz", "wb") as f:
                f.write(blob)
        else:
            path.write_bytes(blob)
    return dat, cat, info


def test_small_norb_from_original_files(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    dat, cat, info = write(tmp_path, "train", 3, 0)
    tdat, tcat, _ = write(tmp_path, "test", 2, 1, gz=True)
    ds = new_norb.NORB("small", "train")
    np.testing.assert_array_equal(ds.y, np.hstack([cat[:, None], info]))
    left, right = ds.get_topological_view()
    np.testing.assert_array_equal(left[..., 0], dat[:, 0])
    np.testing.assert_array_equal(right[..., 0], dat[:, 1])
    stereo = ds.get_topological_view(single_tensor=True)
    assert stereo.shape == (3, 2, 96, 96, 1)
    both = new_norb.NORB("small", "both", image_dtype="float32")
    assert both.X.shape == (5, 2 * 96 * 96) and both.X.dtype == np.float32
    np.testing.assert_array_equal(both.y[3:, 0], tcat)
    assert ds.label_name_to_index["azimuth"] == 3
    conv = ds.stereo_converter
    np.testing.assert_array_equal(conv.topo_view_to_design_mat((left, right)), ds.X)
    with pytest.raises(ConfigError, match="which_norb"):
        new_norb.NORB("medium", "train")


def test_label_helpers():
    i = np.int32
    assert new_norb.get_category_value(i(2)) == "airplane"
    assert new_norb.get_elevation_value(i(2)) == 40 and new_norb.get_elevation_value(i(-1)) is None
    assert new_norb.get_azimuth_value(i(34)) == 340
    with pytest.raises(ConfigError, match="even"):
        new_norb.get_azimuth_value(i(3))
    assert new_norb.get_instance_value(i(-1)) is None and new_norb.get_lighting_value(i(4)) == 4
    assert new_norb.get_contrast_change_value(i(1)) == 1.3
    assert new_norb.get_scale_change_value(i(0)) == 0.78
    assert new_norb.get_rotation_change_value(i(-4)) == -4
    assert new_norb.get_horizontal_shift_value(i(5)) == 5
    assert new_norb.get_vertical_shift_value(i(-5)) == -5
    assert new_norb.get_lumination_change_value(i(19)) == 19
    with pytest.raises(ConfigError, match="integer"):
        new_norb.get_category_value(1.5)
    with pytest.raises(ConfigError, match=r"\[-4, 4\]"):
        new_norb.get_rotation_change_value(i(7))
