"""NPY/NPZ/CSV/HDF5 loaders, ZCA_Dataset and the image-patch datasets."""

import warnings

import h5py
import numpy as np
import pytest
import torch
from PIL import Image

from pylearn2.datasets import preprocessing as pp
from pylearn2.datasets.csv_dataset import CSVDataset
from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.datasets.hdf5 import HDF5Dataset
from pylearn2.datasets.image_patches import ImagePatches, RandomImagePatches
from pylearn2.datasets.npy_npz import NpyDataset, NpzDataset
from pylearn2.datasets.zca_dataset import ZCA_Dataset
from pylearn2.space import CompositeSpace, Conv2DSpace, VectorSpace
from pylearn2.utils.exc import ConfigError, DataNotFoundError, ShapeError, UnsafeObjectError


def normal(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


# -- numpy files -------------------------------------------------------------------------------
def test_npy_design_matrix_memory_map_and_images(tmp_path):
    X = normal(6, 4)
    np.save(tmp_path / "x.npy", X)
    ds = NpyDataset(str(tmp_path / "x.npy"), mmap_mode="r")
    np.testing.assert_array_equal(ds.X, X)
    assert isinstance(ds.X.base, np.memmap) or isinstance(ds.X, np.memmap)  # left on disk
    V = normal(3, 5, 4, 2, seed=1)
    np.save(tmp_path / "v.npy", V.transpose(3, 1, 2, 0))
    images = NpyDataset(str(tmp_path / "v.npy"), axes=("c", 0, 1, "b"))
    assert images.view_shape() == (5, 4, 2)
    np.testing.assert_array_equal(images.get_topological_view(), V.transpose(3, 1, 2, 0))
    np.save(tmp_path / "bad.npy", normal(2, 3, 4))
    with pytest.raises(ConfigError, match="2-d design matrix"):
        NpyDataset(str(tmp_path / "bad.npy"))
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(UnsafeObjectError, match="pickled"):
        NpyDataset(str(tmp_path / "obj.npy"))
    with pytest.raises(DataNotFoundError):
        NpyDataset(str(tmp_path / "nothing.npy"))


def test_npz_features_targets_and_refusals(tmp_path):
    X, y = normal(5, 3), np.array([0, 2, 1, 2, 0])
    np.savez(tmp_path / "d.npz", feats=X, labels=y)
    ds = NpzDataset(str(tmp_path / "d.npz"), key="feats", target_key="labels", y_labels=3)
    np.testing.assert_array_equal(ds.X, X)
    assert ds.y[:, 0].tolist() == y.tolist() and ds.y_labels == 3
    with pytest.raises(ConfigError, match=r"no array 'targets'.*feats"):
        NpzDataset(str(tmp_path / "d.npz"), key="feats", target_key="targets")
    np.savez(tmp_path / "obj.npz", feats=np.array([None, 1], dtype=object))
    with pytest.raises(UnsafeObjectError, match="pickled"):
        NpzDataset(str(tmp_path / "obj.npz"), key="feats")


# -- CSV -----------------------------------------------------------------------------------------
def test_csv_classification_regression_and_slicing(tmp_path):
    path = tmp_path / "d.csv"
    rows = [[i % 3, i * 0.5, 10 - i, i * i] for i in range(10)]
    path.write_text("label;a;b;c\n" + "".join(";".join(map(str, r)) + "\n" for r in rows))
    table = np.array(rows, dtype=np.float64)
    ds = CSVDataset(str(path), delimiter=";", start=2, stop=7)
    assert ds.y[:, 0].tolist() == [2, 0, 1, 2, 0] and ds.y_labels == 3
    np.testing.assert_allclose(ds.X, table[2:7, 1:])
    assert CSVDataset(str(path), delimiter=";", stop=2, y_labels=5).y_labels == 5
    reg = CSVDataset(str(path), delimiter=";", task="regression", num_outputs=2,
                     start_fraction=0.5)
    np.testing.assert_allclose(reg.y, table[5:, :2])
    np.testing.assert_allclose(reg.X, table[5:, 2:])
    assert reg.y.dtype == np.float32 and reg.y_labels is None
    plain = tmp_path / "plain.csv"
    plain.write_text("1.5,2\n3,4\n")
    unlabeled = CSVDataset(str(plain), expect_labels=False, expect_headers=False)
    assert unlabeled.X.tolist() == [[1.5, 2.0], [3.0, 4.0]] and not unlabeled.has_targets()
    with pytest.raises(ConfigError, match="classification labels must be integers"):
        CSVDataset(str(plain), expect_headers=False)
    with pytest.raises(ConfigError, match="delimiter"):
        CSVDataset(str(path))  # ';' file read with ','
    with pytest.raises(ConfigError, match="task"):
        CSVDataset(str(path), task="ranking")


# -- HDF5 ----------------------------------------------------------------------------------------
def test_hdf5_design_matrix_images_and_errors(tmp_path):
    X, V, y = normal(8, 6), normal(8, 3, 3, 2, seed=2), np.arange(8)[:, None] % 4
    with h5py.File(tmp_path / "d.h5", "w") as handle:
        handle["X"], handle["images"], handle["y"] = X, V, y
    ds = HDF5Dataset(str(tmp_path / "d.h5"), X="X", y="y", y_labels=4, start=2, stop=6)
    np.testing.assert_array_equal(ds.X, X[2:6])
    assert ds.y[:, 0].tolist() == [2, 3, 0, 1]
    images = HDF5Dataset(str(tmp_path / "d.h5"), topo_view="images")
    np.testing.assert_array_equal(images.get_topological_view(), V)
    with pytest.raises(ConfigError, match=r"no dataset 'Y'.*'images'"):
        HDF5Dataset(str(tmp_path / "d.h5"), X="X", y="Y")
    with pytest.raises(ConfigError, match="exactly one"):
        HDF5Dataset(str(tmp_path / "d.h5"), X="X", topo_view="images")


# -- ZCA_Dataset ---------------------------------------------------------------------------------
def test_zca_dataset_maps_whitened_examples_back():
    rng = np.random.default_rng(3)
    V = rng.uniform(size=(60, 3, 3, 2)).astype(np.float32)
    mixed = DenseDesignMatrix(topo_view=V, y=np.arange(60)[:, None] % 2, y_labels=2)
    raw_X = mixed.X.copy()
    zca = pp.ZCA(filter_bias=1e-3, store_inverse=False)
    mixed.apply_preprocessor(zca, can_fit=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = ZCA_Dataset(mixed, zca, start=10, stop=30)
    np.testing.assert_array_equal(ds.X, mixed.X[10:30])
    assert ds.y[:, 0].tolist() == (np.arange(10, 30) % 2).tolist() and ds.y_labels == 2
    assert ds.view_shape() == (3, 3, 2) and zca.inv_P_ is not None
    np.testing.assert_allclose(ds.mapback(ds.X), raw_X[10:30], rtol=1e-4, atol=1e-4)
    shown = ds.mapback_for_viewer(ds.X)
    np.testing.assert_allclose(np.abs(shown).max(1), 1.0, rtol=1e-6)
    peaks = np.abs(ds.adjust_for_viewer(ds.get_topological_view())).reshape(20, -1).max(1)
    np.testing.assert_allclose(peaks, 1.0, rtol=1e-6)
    scaled = ds.adjust_to_be_viewed_with(ds.X * 0.5, ds.X)
    assert np.abs(scaled).max() == pytest.approx(0.5, rel=1e-5)
    with pytest.warns(DeprecationWarning, match="axes"):
        ZCA_Dataset(mixed, zca, axes=("b", 0, 1, "c"))


# -- image patches -------------------------------------------------------------------------------
@pytest.fixture
def photo_folder(tmp_path):
    """Three images of different sizes whose pixels encode (row, col, image) in R, G, B."""
    folder = tmp_path / "photos"
    folder.mkdir()
    sizes = [(20, 30), (12, 9), (40, 16)]
    for k, (rows, cols) in enumerate(sizes):
        r, c = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
        pixels = np.stack([r, c, np.full_like(r, k * 50)], axis=-1).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"img{k}.png")
    (folder / "notes.txt").write_text("not an image")
    return folder, sizes


def check_patches(patches, sizes, shape):
    """Every b01c patch is the window of its source image at its top-left corner."""
    codes = np.rint(patches * 255).astype(int)
    for patch in codes:
        r0, c0, k = patch[0, 0, 0], patch[0, 0, 1], patch[0, 0, 2] // 50
        rows, cols = sizes[k]
        assert r0 + shape[0] <= rows and c0 + shape[1] <= cols
        r, c = np.meshgrid(np.arange(r0, r0 + shape[0]), np.arange(c0, c0 + shape[1]),
                           indexing="ij")
        np.testing.assert_array_equal(patch, np.stack([r, c, np.full_like(r, k * 50)], -1))


def test_endless_patch_stream_from_a_folder(photo_folder):
    folder, sizes = photo_folder
    stream = RandomImagePatches(images=str(folder), patch_shape=(5, 4), seed=1)
    assert stream.get_num_examples() is None and not stream.has_targets()
    it = stream.iterator(batch_size=32)
    assert it.num_batches is None and it.num_examples is None and it.stochastic
    batches = [next(it) for _ in range(40)]  # no end in sight
    rows = torch.cat(batches).numpy()
    assert rows.shape == (1280, 60)
    patches = stream.get_topological_view(rows)
    check_patches(patches, sizes, (5, 4))
    images_hit = np.rint(patches[:, 0, 0, 2] * 255).astype(int) // 50
    assert set(images_hit) == {0, 1, 2}
    corners = np.rint(patches[:, 0, 0, :2] * 255).astype(int)
    assert corners[images_hit == 2, 0].max() == 35  # the bottom-most corner is reachable


def test_patch_epochs_modes_spaces_and_resume(photo_folder):
    folder, sizes = photo_folder
    ds = RandomImagePatches(images=str(folder), patch_shape=(3, 3), num_patches=50, seed=2)
    it = ds.iterator(mode="shuffled_sequential", batch_size=16)
    assert it.num_batches == 4 and it.num_examples == 50 and it.uneven
    epoch = list(it)
    assert [len(b) for b in epoch] == [16, 16, 16, 2]
    assert not torch.equal(epoch[0], next(ds.iterator(batch_size=16)))  # new draws per epoch
    first = list(ds.iterator(mode="sequential", batch_size=25))
    second = list(ds.iterator(mode="sequential", batch_size=25))
    assert all(torch.equal(a, b) for a, b in zip(first, second))  # same sample every pass

    space = Conv2DSpace((3, 3), num_channels=3, axes=("c", 0, 1, "b"))
    imgs = next(ds.iterator(mode="sequential", batch_size=25, data_specs=(space, "features")))
    assert imgs.shape == (3, 3, 3, 25)
    np.testing.assert_array_equal(imgs.permute(3, 1, 2, 0).numpy(),
                                  ds.get_topological_view(first[0].numpy()))
    check_patches(imgs.permute(3, 1, 2, 0).numpy(), sizes, (3, 3))
    composite = (CompositeSpace([VectorSpace(27)]), ("features",))
    assert isinstance(next(ds.iterator(batch_size=4, data_specs=composite)), tuple)

    generator = np.random.default_rng(7)
    it = ds.iterator(batch_size=8, num_batches=6, rng=generator)
    next(it), next(it)
    state = it.state_dict()
    rest = list(it)
    resumed = ds.iterator(batch_size=8, num_batches=6, rng=np.random.default_rng(0))
    resumed.load_state_dict(state)
    again = list(resumed)
    assert len(again) == 4 and all(torch.equal(a, b) for a, b in zip(again, rest))
    with pytest.raises(ConfigError, match="no targets"):
        ds.iterator(batch_size=4, data_specs=(VectorSpace(1), "targets"))
    with pytest.raises(ShapeError, match="27 values"):
        ds.iterator(batch_size=4, data_specs=(VectorSpace(10), "features"))
    with pytest.raises(ShapeError, match="smaller than the patch"):
        next(RandomImagePatches(images=str(folder), patch_shape=(13, 10)).iterator(batch_size=1))


def test_fixed_patches_and_the_sample_photos(photo_folder):
    folder, sizes = photo_folder
    fixed = ImagePatches(patch_shape=(4, 4), num_patches=30, images=str(folder), rgb=False)
    assert fixed.X.shape == (30, 16) and fixed.view_shape() == (4, 4, 1)
    gray = RandomImagePatches(patch_shape=(2, 2), rgb=False)  # scikit-learn's two photos
    batch = next(gray.iterator(batch_size=5))
    assert batch.shape == (5, 4) and 0.0 <= batch.min() and batch.max() <= 1.0
    with pytest.raises(DataNotFoundError, match="does not exist"):
        RandomImagePatches(images=str(folder / "missing"))
    with pytest.raises(DataNotFoundError, match="No images"):
        RandomImagePatches(images=str(folder.parent))
    with pytest.raises(ConfigError, match="num_patches"):
        RandomImagePatches(num_patches=0)


def test_sgd_trains_on_an_endless_stream_with_batches_per_iter(photo_folder):
    from pylearn2.models.autoencoder import Autoencoder
    from pylearn2.termination_criteria import EpochCounter
    from pylearn2.train import Train
    from pylearn2.training_algorithms.sgd import SGD

    folder, _ = photo_folder
    stream = RandomImagePatches(images=str(folder), patch_shape=(3, 3), rgb=False)
    model = Autoencoder(nvis=9, nhid=4, act_enc="sigmoid", act_dec=None)
    before = model.weights.detach().clone()
    algorithm = SGD(learning_rate=0.05, batch_size=10, batches_per_iter=6,
                    termination_criterion=EpochCounter(max_epochs=2))
    Train(dataset=stream, model=model, algorithm=algorithm).main_loop()
    assert model.monitor.get_batches_seen() == 12 and model.monitor.get_examples_seen() == 120
    assert not torch.equal(before, model.weights.detach())
