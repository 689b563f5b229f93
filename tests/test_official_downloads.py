"""download=True for CIFAR-10, CIFAR-100, SVHN, STL-10 and binarized MNIST, against a
loopback HTTP server (the MNIST download test's range-capable handler) serving small files
in the real formats: verified checksums, a wrong checksum (clear error, nothing left
behind), a transfer that ends early (clear error, resumed on the next try) and, for the
set without a published checksum, the format check."""

import hashlib
import http.server
import pickle
import tarfile
import threading

import numpy as np
import pytest
from test_datasets_more import RangeHandler, write_cifar10
from test_datasets_svhn import fake_mat

from pylearn2.datasets import official_downloads as od
from pylearn2.datasets.binarized_mnist import BinarizedMNIST
from pylearn2.datasets.cifar10 import CIFAR10
from pylearn2.datasets.cifar100 import CIFAR100
from pylearn2.datasets.stl10 import STL10
from pylearn2.datasets.svhn import SVHN, SVHN_On_Memory
from pylearn2.utils.exc import ConfigError, DataNotFoundError, ModelFileError


class CountingHandler(RangeHandler):
    requests = []
    truncate = set()  # file names served with only half their bytes

    def do_GET(self):
        CountingHandler.requests.append(self.path)
        name = self.path.rsplit("/", 1)[-1]
        if name in CountingHandler.truncate and "Range" not in self.headers:
            data = open(self.translate_path(self.path), "rb").read()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.close_connection = True
            return
        super().do_GET()


@pytest.fixture
def server(tmp_path, monkeypatch):
    served = tmp_path / "served"
    served.mkdir()
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(data))
    CountingHandler.requests, CountingHandler.truncate = [], set()
    RangeHandler.ranges.clear()
    handler = lambda *a, **k: CountingHandler(*a, directory=str(served), **k)  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield served, data, f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


def md5(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


def make_tarball(path, folder, arcname):
    with tarfile.open(path, "w:gz") as tar:
        tar.add(folder, arcname=arcname)
    return path


def test_published_checksums_are_the_documented_ones():
    # the MD5 values torchvision's dataset code publishes for these files
    assert od.CIFAR10_ARCHIVE[2] == "c58f30108f718f92721af3b95e74349a"
    assert od.CIFAR100_ARCHIVE[2] == "eb9058c3a382ffc7106e4002c42a8d85"
    assert od.STL10_ARCHIVE[2] == "91f7769df0f17e558f3565bffb0c7dfb"
    assert od.SVHN_MD5 == {"train": "e26dedcc434d2e4c54c9b2d4a06d8373",
                           "test": "eb5a983be6a315427106f1b164d9cef3",
                           "extra": "a93ce644f1a588dc4d68dda5feec44a7"}


def test_cifar10_download_verifies_unpacks_and_is_not_repeated(tmp_path, server, monkeypatch):
    served, data, url = server
    folder, batches = write_cifar10(tmp_path / "src")
    archive = make_tarball(served / "cifar-10-python.tar.gz", folder, "cifar-10-batches-py")
    monkeypatch.setattr(od, "CIFAR10_ARCHIVE", ("unused", archive.name, md5(archive)))
    train = CIFAR10("train", download=True, base_url=url)
    np.testing.assert_array_equal(train.X[:6], batches["data_batch_1"][b"data"])
    assert not (data / "cifar10" / "cifar-10-python.tar.gz").exists()  # removed once unpacked
    CIFAR10("test", download=True, base_url=url)
    assert CountingHandler.requests == ["/cifar-10-python.tar.gz"]


def test_a_wrong_checksum_is_refused_and_leaves_nothing(tmp_path, server):
    served, data, url = server
    folder, _ = write_cifar10(tmp_path / "src")
    make_tarball(served / "cifar-10-python.tar.gz", folder, "cifar-10-batches-py")
    # the published MD5 is the real archive's, so this small archive must be refused
    with pytest.raises(ModelFileError, match="checksum mismatch.*c58f30108f718f92721af3b95e74349a"):
        CIFAR10("train", download=True, base_url=url)
    assert list((data / "cifar10").iterdir()) == []


def test_a_transfer_that_ends_early_is_an_error_and_resumes(tmp_path, server, monkeypatch):
    served, data, url = server
    folder, batches = write_cifar10(tmp_path / "src")
    archive = make_tarball(served / "cifar-10-python.tar.gz", folder, "cifar-10-batches-py")
    monkeypatch.setattr(od, "CIFAR10_ARCHIVE", ("unused", archive.name, md5(archive)))
    CountingHandler.truncate = {archive.name}
    with pytest.raises(DataNotFoundError, match="ended early.*Run again to resume"):
        CIFAR10("test", download=True, base_url=url)
    target = data / "cifar10" / "cifar-10-python.tar.gz"
    assert not target.exists() and (target.parent / (target.name + ".part")).exists()
    assert not (data / "cifar10" / "cifar-10-batches-py").exists()
    test = CIFAR10("test", download=True, base_url=url)  # the second try resumes
    np.testing.assert_array_equal(test.X, batches["test_batch"][b"data"])
    assert any(r.startswith("bytes=") and r != "bytes=0-" for r in RangeHandler.ranges)


def test_cifar100_download(tmp_path, server, monkeypatch):
    served, _, url = server
    src = tmp_path / "src" / "cifar-100-python"
    src.mkdir(parents=True)
    rng = np.random.default_rng(5)
    written = {}
    for name in ("train", "test"):
        batch = {b"data": rng.integers(0, 256, size=(4, 3072), dtype=np.uint8),
                 b"fine_labels": rng.integers(0, 100, size=4).tolist(),
                 b"coarse_labels": rng.integers(0, 20, size=4).tolist()}
        (src / name).write_bytes(pickle.dumps(batch, protocol=2))
        written[name] = batch
    archive = make_tarball(served / "cifar-100-python.tar.gz", src, "cifar-100-python")
    monkeypatch.setattr(od, "CIFAR100_ARCHIVE", ("unused", archive.name, md5(archive)))
    test = CIFAR100("test", download=True, base_url=url)
    np.testing.assert_array_equal(test.X, written["test"][b"data"])
    assert test.y[:, 0].tolist() == written["test"][b"fine_labels"]


def test_svhn_downloads_the_mat_files_it_is_made_from(tmp_path, server, monkeypatch):
    served, data, url = server
    X, y = fake_mat(served / "test_32x32.mat", 5, seed=4)
    monkeypatch.setitem(od.SVHN_MD5, "test", md5(served / "test_32x32.mat"))
    folder = data / "SVHN" / "format2"
    memory = SVHN_On_Memory("test", download=True, base_url=url)
    np.testing.assert_array_equal(memory.get_topological_view(),
                                  X.transpose(3, 0, 1, 2).astype(np.float32))
    h5 = SVHN("test", download=True, base_url=url)  # made from the downloaded file
    assert h5.X.shape == (5, 3072) and (folder / "h5" / "test_32x32.h5").exists()
    assert CountingHandler.requests == ["/test_32x32.mat"]
    fake_mat(served / "train_32x32.mat", 5, seed=6)  # not the published file
    with pytest.raises(ModelFileError, match="e26dedcc434d2e4c54c9b2d4a06d8373"):
        SVHN_On_Memory("train", download=True, base_url=url)
    assert not (folder / "train_32x32.mat").exists()
    assert not (folder / "train_32x32.mat.part").exists()


def test_stl10_download_of_the_binary_release(tmp_path, server, monkeypatch):
    served, _, url = server
    src = tmp_path / "src" / "stl10_binary"
    src.mkdir(parents=True)
    rng = np.random.default_rng(7)
    images = rng.integers(0, 256, size=(3, 96 * 96 * 3), dtype=np.uint8)
    labels = np.array([1, 10, 4], dtype=np.uint8)
    images.tofile(src / "test_X.bin")
    labels.tofile(src / "test_y.bin")
    archive = make_tarball(served / "stl10_binary.tar.gz", src, "stl10_binary")
    monkeypatch.setattr(od, "STL10_ARCHIVE", ("unused", archive.name, md5(archive)))
    test = STL10("test", download=True, base_url=url)
    assert test.y[:, 0].tolist() == [1, 10, 4]
    # each image is stored channel by channel, column-major (rows vary fastest)
    np.testing.assert_array_equal(test.get_topological_view()[1, 5, 2, 1],
                                  images[1][1 * 96 * 96 + 2 * 96 + 5])


def test_an_archive_with_a_member_outside_the_folder_is_refused(tmp_path, server, monkeypatch):
    served, data, url = server
    evil = tmp_path / "evil.txt"
    evil.write_text("x")
    archive = served / "stl10_binary.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(evil, arcname="../outside.txt")
    monkeypatch.setattr(od, "STL10_ARCHIVE", ("unused", archive.name, md5(archive)))
    with pytest.raises(ConfigError, match="refusing member '../outside.txt'"):
        STL10("test", download=True, base_url=url)
    assert not (data / "outside.txt").exists()


def write_amat(path, X):
    path.write_text("".join(" ".join(str(int(v)) for v in row) + "\n" for row in X))


def test_binarized_mnist_has_no_published_checksum_so_the_format_is_checked(server,
                                                                          monkeypatch):
    served, data, url = server
    rng = np.random.default_rng(8)
    X = rng.integers(0, 2, size=(6, 784))
    write_amat(served / "binarized_mnist_valid.amat", X)
    monkeypatch.setitem(od.BINARIZED_MNIST_ROWS, "valid", 6)
    valid = BinarizedMNIST("valid", download=True, base_url=url)
    np.testing.assert_array_equal(valid.X, X.astype(np.float32))
    folder = data / "binarized_mnist"
    assert sorted(p.name for p in folder.iterdir()) == ["binarized_mnist_valid.npy"]
    bad = X.copy()
    bad[2, 3] = 2
    write_amat(served / "binarized_mnist_test.amat", bad)
    monkeypatch.setitem(od.BINARIZED_MNIST_ROWS, "test", 6)
    with pytest.raises(ConfigError, match="only 0 and 1"):
        BinarizedMNIST("test", download=True, base_url=url)
    write_amat(served / "binarized_mnist_test.amat", X[:4])  # a short (incomplete) file
    with pytest.raises(ConfigError, match="expected 6 rows of 784 values, got 4"):
        BinarizedMNIST("test", download=True, base_url=url)
    assert sorted(p.name for p in folder.iterdir()) == ["binarized_mnist_valid.npy"]
