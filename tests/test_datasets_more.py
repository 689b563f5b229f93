"""CIFAR loaders on files in the real format, generic loaders, streams, wrappers, download."""

import http.server
import os
import pickle
import shutil
import threading

import h5py
import numpy as np
import pytest
import torch

from pylearn2.blocks import ExamplewiseAddScaleTransform
from pylearn2.datasets.binarizer import Binarizer
from pylearn2.datasets.cifar10 import CIFAR10
from pylearn2.datasets.cifar100 import CIFAR100
from pylearn2.datasets.csv_dataset import CSVDataset
from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.datasets.hdf5 import HDF5Dataset
from pylearn2.datasets.image_patches import ImagePatches, RandomImagePatches
from pylearn2.datasets.npy_npz import NpyDataset, NpzDataset
from pylearn2.datasets.transformer_dataset import TransformerDataset
from pylearn2.space import VectorSpace
from pylearn2.utils.exc import DataNotFoundError, ModelFileError, UnsafeObjectError


def write_cifar10(root, n=6, seed=0):
    folder = root / "cifar10" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n).tolist()
        batch = {b"batch_label": name.encode(), b"labels": labels, b"data": data,
                 b"filenames": [f"img{i}.png".encode() for i in range(n)]}
        with open(folder / name, "wb") as handle:
            pickle.dump(batch, handle, protocol=2)
        batches[name] = batch
    return folder, batches


def test_cifar10_reads_real_format(tmp_path, monkeypatch):
    folder, batches = write_cifar10(tmp_path)
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    train = CIFAR10("train")
    assert train.X.shape == (30, 3072) and train.X.dtype == np.float32
    np.testing.assert_array_equal(train.X[:6], batches["data_batch_1"][b"data"])
    assert train.y[:6, 0].tolist() == batches["data_batch_1"][b"labels"]
    topo = train.get_topological_view()
    first = batches["data_batch_1"][b"data"][0]
    assert topo.shape == (30, 32, 32, 3) and topo[0, 0, 1, 2] == first[2 * 1024 + 1]
    test = CIFAR10("test", center=True, rescale=True, start=2, stop=5)
    np.testing.assert_allclose(test.X, (batches["test_batch"][b"data"][2:5] - 127.5) / 127.5,
                               rtol=1e-6)
    toronto = CIFAR10("test", toronto_prepro=True)
    train_mean = np.concatenate([batches[f"data_batch_{i}"][b"data"] for i in range(1, 6)]).mean(0)
    np.testing.assert_allclose(toronto.X, (batches["test_batch"][b"data"] - train_mean) / 255.0,
                               atol=1e-5)
    gcn = CIFAR10("test", gcn=55.0)
    np.testing.assert_allclose(np.linalg.norm(gcn.X, axis=1), 55.0, rtol=1e-4)


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/pylearn2_pwned",))


def test_cifar_pickles_naming_other_classes_are_refused(tmp_path, monkeypatch):
    folder, _ = write_cifar10(tmp_path)
    with open(folder / "test_batch", "wb") as handle:
        pickle.dump({b"data": np.zeros((1, 3072), np.uint8), b"labels": [Evil()]}, handle)
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    if os.path.exists("/tmp/pylearn2_pwned"):
        os.remove("/tmp/pylearn2_pwned")
    with pytest.raises(UnsafeObjectError, match="system"):
        CIFAR10("test")
    assert not os.path.exists("/tmp/pylearn2_pwned")
    shutil.rmtree(folder)
    with pytest.raises(DataNotFoundError, match="cifar.html"):
        CIFAR10("train")


def test_cifar100_fine_labels(tmp_path, monkeypatch):
    folder = tmp_path / "cifar100" / "cifar-100-python"
    folder.mkdir(parents=True)
    data = np.arange(4 * 3072, dtype=np.int64).reshape(4, 3072) % 256
    for name in ("train", "test"):
        with open(folder / name, "wb") as handle:
            pickle.dump({b"data": data.astype(np.uint8), b"fine_labels": [99, 0, 5, 42],
                         b"coarse_labels": [1, 2, 3, 4]}, handle, protocol=2)
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    ds = CIFAR100("train")
    assert ds.y[:, 0].tolist() == [99, 0, 5, 42] and ds.y_labels == 100


def test_generic_loaders(tmp_path):
    X = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    np.save(tmp_path / "x.npy", X)
    np.testing.assert_array_equal(NpyDataset(str(tmp_path / "x.npy")).X, X)
    np.savez(tmp_path / "d.npz", feats=X, labels=np.array([0, 1, 0, 1, 1]))
    npz = NpzDataset(str(tmp_path / "d.npz"), key="feats", target_key="labels", y_labels=2)
    assert npz.y[:, 0].tolist() == [0, 1, 0, 1, 1]
    csv = tmp_path / "train.csv"
    csv.write_text("label,a,b\n1,0.5,2\n0,1.5,3\n2,2.5,4\n")
    ds = CSVDataset(str(csv))
    assert ds.y[:, 0].tolist() == [1, 0, 2] and ds.X.tolist() == [[0.5, 2], [1.5, 3], [2.5, 4]]
    reg = CSVDataset(str(csv), task="regression", end_fraction=2 / 3)
    assert reg.y.dtype == np.float32 and len(reg.y) == 2
    with h5py.File(tmp_path / "d.h5", "w") as handle:
        handle["images"] = np.random.default_rng(1).uniform(size=(4, 5, 5, 1)).astype(np.float32)
        handle["y"] = np.array([[1], [0], [1], [1]])
    h5 = HDF5Dataset(str(tmp_path / "d.h5"), topo_view="images", y="y", y_labels=2)
    assert h5.X.shape == (4, 25) and h5.view_shape() == (5, 5, 1)


def test_transformer_dataset_and_binarizer():
    X = np.random.default_rng(2).uniform(size=(400, 4)).astype(np.float32)
    raw = DenseDesignMatrix(X=X, y=np.zeros((400, 1), np.int64), y_labels=2)
    block = ExamplewiseAddScaleTransform(add=1.0, multiply=2.0)
    ds = TransformerDataset(raw, block)
    Xb, yb = next(ds.iterator(batch_size=10))
    torch.testing.assert_close(Xb, (torch.from_numpy(X[:10]) + 1) * 2)
    assert yb.shape == (10, 1)  # raw labels, as the raw dataset provides them
    assert ds.get_data_specs()[0].components[0] == VectorSpace(4)
    binary = Binarizer(DenseDesignMatrix(X=X), seed=3)
    draws = torch.cat([b for b in binary.iterator(batch_size=100,
                                                  data_specs=(VectorSpace(4), "features"))])
    assert set(draws.unique().tolist()) <= {0.0, 1.0}
    np.testing.assert_allclose(draws.mean().item(), X.mean(), atol=4 * 0.5 / np.sqrt(1600))


def test_image_patches_fixed_and_endless():
    fixed = ImagePatches(patch_shape=(6, 6), num_patches=50)
    assert fixed.X.shape == (50, 108) and 0.0 <= fixed.X.min() and fixed.X.max() <= 1.0
    stream = RandomImagePatches(patch_shape=(4, 4), rgb=False)
    assert stream.get_num_examples() is None
    it = stream.iterator(batch_size=8)
    first = [next(it) for _ in range(3)]
    state = it.state_dict()
    expected = next(it)
    resumed = stream.iterator(batch_size=8)
    resumed.load_state_dict(state)
    torch.testing.assert_close(next(resumed), expected)
    assert first[0].shape == (8, 16)
    for _ in range(50):  # endless: keeps drawing
        next(it)


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    ranges = []

    def do_GET(self):
        path = self.translate_path(self.path)
        if not os.path.isfile(path):
            self.send_error(404)
            return
        data = open(path, "rb").read()
        start = 0
        header = self.headers.get("Range")
        if header:
            RangeHandler.ranges.append(header)
            start = int(header.split("=")[1].split("-")[0])
            self.send_response(206)
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        self.wfile.write(data[start:])

    def log_message(self, *args):
        pass


def test_mnist_download_from_loopback_server_resumes_and_verifies(tmp_path, monkeypatch,
                                                                  mnist_data_path):
    from pylearn2.datasets.mnist import MNIST
    from pylearn2.utils import mnist_ubyte

    source = mnist_data_path / "mnist"
    handler = lambda *a, **k: RangeHandler(*a, directory=str(source), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        target = tmp_path / "mnist"
        target.mkdir()
        partial = (source / "t10k-labels-idx1-ubyte.gz").read_bytes()[:1000]
        (target / "t10k-labels-idx1-ubyte.gz.part").write_bytes(partial)
        monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
        mnist_ubyte._cached.cache_clear()
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        test = MNIST("test", download=True, base_url=url)
        assert test.y[:3, 0].tolist() == [7, 2, 1]
        assert "bytes=1000-" in RangeHandler.ranges
        for name in ("train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
            assert (target / name).read_bytes() == (source / name).read_bytes()
        bad = tmp_path / "bad"
        bad.mkdir()
        (bad / "t10k-images-idx3-ubyte.gz").write_bytes(b"not mnist")
        from pylearn2.utils.download import download_file

        with pytest.raises(ModelFileError, match="checksum"):
            download_file(url + "t10k-labels-idx1-ubyte.gz", str(bad / "x.gz"), sha256="0" * 64)
        assert not (bad / "x.gz").exists() and not (bad / "x.gz.part").exists()
    finally:
        server.shutdown()
        mnist_ubyte._cached.cache_clear()


def test_cifar10_patches_example_tiny(tmp_path, monkeypatch):
    from pathlib import Path

    from pylearn2.config import yaml_parse
    from pylearn2.scripts import cli

    write_cifar10(tmp_path, n=10)
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    text = (Path(__file__).resolve().parents[1] / "examples" / "cifar10_patches.yaml").read_text()
    text = text.replace("num_patches: 200000", "num_patches: 400").replace("k: 400", "k: 4")
    (tmp_path / "cifar10_patches.yaml").write_text(text)
    job = yaml_parse.load_train_file(str(tmp_path / "cifar10_patches.yaml"))
    assert job.dataset.X.shape == (400, 108) and job.dataset.view_shape() == (6, 6, 3)
    job.main_loop()
    assert cli.main(["show-examples", str(tmp_path / "cifar10_patches.pkl"), "--rows", "4",
                     "--cols", "4", "--out", str(tmp_path / "p.png")]) == 0
