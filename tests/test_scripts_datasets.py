"""The dataset-preparation commands (the original's scripts/datasets/make_*.py) on small
files in the real CIFAR and STL-10 formats, checked against float64 formulas."""

import numpy as np
import pytest
from test_cifar import make_batch, py2_pickle

from pylearn2.config import yaml_parse
from pylearn2.scripts.cli import main
from pylearn2.utils import serial


def gcn64(X, scale=1.0, sqrt_bias=0.0, use_std=False):
    """The classic library's global contrast normalisation (MATLAB-style ddof=1 std)."""
    X = np.asarray(X, np.float64)
    X = X - X.mean(axis=1, keepdims=True)
    spread = X.var(axis=1, ddof=1) if use_std else (X ** 2).sum(axis=1)
    norm = np.sqrt(sqrt_bias + spread) / scale
    norm[norm < 1e-8] = 1.0
    return X / norm[:, None]


def zca64(train, others=(), bias=0.1):
    """ZCA with filter bias, written through the SVD of the centred data (independent of the
    eigendecomposition of the covariance that the library uses): directions outside the
    data's span are scaled by 1/sqrt(bias)."""
    mean = train.mean(0)
    _, s, vt = np.linalg.svd(train - mean, full_matrices=False)
    scale = 1 / np.sqrt(s ** 2 / len(train) + bias) - 1 / np.sqrt(bias)

    def apply(X):
        centred = X - mean
        return centred / np.sqrt(bias) + (centred @ vt.T) * scale @ vt
    return [apply(X) for X in (train, *others)]


def stl_binary(folder, name, imgs, labels=None):
    """STL-10's binary release: per image 3 x 96 x 96 bytes, column-major."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}_X.bin").write_bytes(b"".join(i.transpose(2, 1, 0).tobytes() for i in imgs))
    if labels is not None:
        (folder / f"{name}_y.bin").write_bytes(bytes(labels))


@pytest.fixture
def stl10(tmp_path, monkeypatch):
    rng = np.random.default_rng(5)
    imgs = {k: rng.integers(0, 256, size=(n, 96, 96, 3), dtype=np.uint8)
            for k, n in (("unlabeled", 7), ("train", 4), ("test", 3))}
    folder = tmp_path / "stl10" / "stl10_binary"
    stl_binary(folder, "unlabeled", imgs["unlabeled"])
    stl_binary(folder, "train", imgs["train"], [1, 4, 10, 2])
    stl_binary(folder, "test", imgs["test"], [3, 3, 7])
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    return tmp_path, imgs


def shrunk(imgs):
    return imgs[:, ::3, ::3, :].astype(np.float64) - 127.5


def test_make_downsampled_stl10_then_patches(stl10, capsys):
    root, imgs = stl10
    assert main(["make-downsampled-stl10", "--chunk-size", "3"]) == 0  # chunks of 3, 3, 1
    out = root / "stl10" / "stl10_32x32"
    for name in ("unlabeled", "train", "test"):
        ds = serial.load(str(out / f"{name}.pkl"))
        np.testing.assert_allclose(ds.get_topological_view(), shrunk(imgs[name]))
    assert serial.load(str(out / "train.pkl")).y.ravel().tolist() == [1, 4, 10, 2]
    assert serial.load(str(out / "unlabeled.pkl")).y is None
    assert "make_downsampled_stl10.py" in (out / "README").read_text()

    assert main(["make-stl10-patches", "--num-patches", "40", "--seed", "3"]) == 0
    patch_dir = root / "stl10" / "stl10_patches"
    data = serial.load(str(patch_dir / "data.pkl"))
    pipeline = yaml_parse.load(f"!pkl: '{patch_dir / 'preprocessor.pkl'}'")
    assert data.X.shape == (40, 6 * 6 * 3) and data.y is None
    assert [type(p).__name__ for p in pipeline.items] == [
        "ExtractPatches", "GlobalContrastNormalization", "ZCA"]
    # every row is the whitened, contrast-normalised copy of a real 6x6 patch
    source = np.concatenate([shrunk(imgs["unlabeled"]), shrunk(imgs["train"])])
    views = np.lib.stride_tricks.sliding_window_view(source, (6, 6), axis=(1, 2))
    candidates = views.transpose(0, 1, 2, 4, 5, 3).reshape(-1, 6, 6, 3)
    from pylearn2.datasets.dense_design_matrix import DefaultViewConverter

    rows = DefaultViewConverter((6, 6, 3)).topo_view_to_design_mat(candidates)
    normalised = gcn64(rows, sqrt_bias=10.0, use_std=True)
    found = [np.argmin(((normalised - p) ** 2).sum(1))
             for p in pipeline.items[2].inverse(data.X).astype(np.float64)]
    expected = zca64(normalised[found])[0]
    np.testing.assert_allclose(data.X, expected, atol=2e-4)
    assert len(set(found)) > 30  # drawn at random, not one patch repeated


def test_preparation_errors_are_one_clear_line(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("PYLEARN2_DATA_PATH", raising=False)
    assert main(["make-cifar10-whitened"]) == 2
    assert "PYLEARN2_DATA_PATH" in capsys.readouterr().err
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    assert main(["make-stl10-whitened"]) == 2
    assert "run make_downsampled_stl10.py first" in capsys.readouterr().err
    assert main(["make-cifar10-gcn-whitened"]) == 2
    assert "cifar-10-python.tar.gz" in capsys.readouterr().err
    assert main(["make-stl10-patches", "--num-patches", "0"]) == 2
    assert "--num-patches must be positive" in capsys.readouterr().err


@pytest.fixture
def cifar10(tmp_path, monkeypatch):
    import pickle

    folder = tmp_path / "cifar10" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    batches = [make_batch(3, seed=i) for i in range(1, 6)]
    for i, batch in enumerate(batches, 1):
        (folder / f"data_batch_{i}").write_bytes(py2_pickle(batch))
    test = make_batch(4, seed=50)
    (folder / "test_batch").write_bytes(pickle.dumps(test, protocol=2))
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    train = np.concatenate([b[b"data"] for b in batches]).astype(np.float64)
    labels = np.concatenate([b[b"labels"] for b in batches])
    return tmp_path, train, labels, test[b"data"].astype(np.float64)


@pytest.mark.slow  # a 3072 x 3072 eigendecomposition
def test_make_cifar10_gcn_whitened_feeds_the_original_yaml(cifar10):
    root, train, labels, test = cifar10
    assert main(["make-cifar10-gcn-whitened"]) == 0
    out = root / "cifar10" / "pylearn2_gcn_whitened"
    assert sorted(p.name for p in out.iterdir()) == ["README", "preprocessor.pkl", "test.pkl",
                                                     "train.pkl"]
    want_train, want_test = zca64(gcn64(train, scale=55.0), [gcn64(test, scale=55.0)])
    got_train, got_test = serial.load(str(out / "train.pkl")), serial.load(str(out / "test.pkl"))
    np.testing.assert_allclose(got_train.X, want_train, atol=2e-4)
    np.testing.assert_allclose(got_test.X, want_test, atol=2e-4)
    assert got_train.y.ravel().tolist() == labels.tolist() and got_train.y_labels == 10
    # what the original maxout cifar10.yaml does with these files
    ds = yaml_parse.load("""!obj:pylearn2.datasets.zca_dataset.ZCA_Dataset {
        preprocessed_dataset: !pkl: "${PYLEARN2_DATA_PATH}/cifar10/pylearn2_gcn_whitened/train.pkl",
        preprocessor: !pkl: "${PYLEARN2_DATA_PATH}/cifar10/pylearn2_gcn_whitened/preprocessor.pkl",
        start: 0, stop: 12, axes: ['c', 0, 1, 'b']}""")
    assert ds.X.shape == (12, 3072) and ds.get_topological_view().shape == (12, 32, 32, 3)
    np.testing.assert_allclose(ds.mapback(ds.X), gcn64(train[:12], scale=55.0), atol=1e-3)


@pytest.mark.slow  # a 3072 x 3072 eigendecomposition
def test_make_cifar100_whitened(tmp_path, monkeypatch):
    import pickle

    folder = tmp_path / "cifar100" / "cifar-100-python"
    folder.mkdir(parents=True)
    train = make_batch(8, seed=3, label_key=b"fine_labels", classes=100)
    test = make_batch(3, seed=4, label_key=b"fine_labels", classes=100)
    (folder / "train").write_bytes(py2_pickle(train))
    (folder / "test").write_bytes(pickle.dumps(test, protocol=2))
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    assert main(["make-cifar100-whitened", "--out-dir", str(tmp_path / "w")]) == 0
    want_train, want_test = zca64(train[b"data"].astype(np.float64),
                                  [test[b"data"].astype(np.float64)])
    np.testing.assert_allclose(serial.load(str(tmp_path / "w" / "train.pkl")).X, want_train,
                               atol=2e-4)
    np.testing.assert_allclose(serial.load(str(tmp_path / "w" / "test.pkl")).X, want_test,
                               atol=2e-4)


@pytest.fixture
def http_folder(tmp_path):
    """A loopback HTTP server over a folder; yields (folder, base URL)."""
    import functools
    import http.server
    import threading

    folder = tmp_path / "served"
    folder.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


MNIST_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
               "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def test_download_mnist_from_a_mirror_checks_each_file(http_folder, tmp_path, monkeypatch,
                                                        capsys):
    import os
    import shutil

    source = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "mnist")
    if not all(os.path.exists(os.path.join(source, n)) for n in MNIST_FILES):
        pytest.skip("the MNIST files are not in ../shared/data/mnist")
    served, url = http_folder
    (served / MNIST_FILES[0]).write_bytes(b"not mnist")  # a bad mirror first
    data = tmp_path / "data"
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(data))
    assert main(["download-mnist", "--base-url", url]) == 2
    assert "checksum mismatch" in capsys.readouterr().err
    assert not (data / "mnist" / MNIST_FILES[0]).exists()
    for name in MNIST_FILES:
        shutil.copy(os.path.join(source, name), served / name)
    assert main(["download-mnist", "--base-url", url]) == 0
    from pylearn2.datasets.mnist import MNIST

    assert MNIST("test", start=0, stop=10).X.shape == (10, 784)
    assert main(["download-mnist", "--base-url", "http://127.0.0.1:9/"]) == 0  # nothing fetched
    assert "already in" in capsys.readouterr().out


def test_download_binarized_mnist_converts_amat_files(http_folder, tmp_path, monkeypatch,
                                                      capsys):
    served, url = http_folder
    rng = np.random.default_rng(1)
    sets = {k: rng.integers(0, 2, size=(n, 784)) for k, n in (("train", 5), ("valid", 2),
                                                               ("test", 3))}
    for k, X in sets.items():
        np.savetxt(served / f"binarized_mnist_{k}.amat", X, fmt="%d")
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path / "data"))
    from pylearn2.datasets import official_downloads

    monkeypatch.setattr(official_downloads, "BINARIZED_MNIST_ROWS",
                        {k: len(X) for k, X in sets.items()})  # the real sets are larger
    assert main(["download-binarized-mnist", "--base-url", url]) == 0
    from pylearn2.datasets.binarized_mnist import BinarizedMNIST

    for k, X in sets.items():
        np.testing.assert_array_equal(BinarizedMNIST(k).X, X)
    assert not list((tmp_path / "data" / "binarized_mnist").glob("*.amat"))
    (tmp_path / "data" / "binarized_mnist" / "binarized_mnist_test.npy").unlink()
    np.savetxt(served / "binarized_mnist_test.amat", np.full((3, 784), 0.5))
    assert main(["download-binarized-mnist", "--base-url", url]) == 2
    assert "only 0 and 1" in capsys.readouterr().err


def test_grbm_smd_make_dataset_writes_whitened_patches_here(cifar10, tmp_path, monkeypatch,
                                                            capsys):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert main(["grbm-smd-make-dataset", "--num-patches", "60", "--seed", "1"]) == 0
    assert sorted(p.name for p in work.iterdir()) == ["cifar10_preprocessed_train.pkl"]
    data = serial.load(str(work / "cifar10_preprocessed_train.pkl"))
    assert data.X.shape == (60, 8 * 8 * 3) and data.get_topological_view().shape[1:] == (8, 8, 3)
    assert data.y is None  # patches carry no labels
    np.testing.assert_allclose(data.X.mean(0), 0, atol=1e-4)  # ZCA centres every feature
    # whitening with filter bias 0.1 leaves the covariance C (C + 0.1 I)^-1: eigenvalues < 1
    cov = np.cov(data.X.astype(np.float64), rowvar=False, bias=True)
    eigs = np.linalg.eigvalsh(cov)
    assert eigs.max() < 1 and (eigs > 0.5).sum() >= 50


def test_lcc_tangents_make_dataset_projects_on_principal_components(cifar10, tmp_path):
    root, train, _, test = cifar10
    out = tmp_path / "lcc"
    assert main(["lcc-tangents-make-dataset", "--num-components", "4", "--out-dir",
                 str(out)]) == 0

    def normalise(X):
        X = X - 127.5  # centre=True, for both sets
        return X / X.std(axis=1, ddof=1, keepdims=True)

    a, b = normalise(train), normalise(test)
    mean = a.mean(0)
    _, _, vt = np.linalg.svd(a - mean, full_matrices=False)
    for name, X in (("train", a), ("test", b)):
        got = serial.load(str(out / f"cifar10_preprocessed_{name}.pkl")).X.astype(np.float64)
        want = (X - mean) @ vt[:4].T
        signs = np.sign((got * want).sum(0))  # a component's sign is arbitrary
        np.testing.assert_allclose(got * signs, want, atol=1e-3)


def test_dataset_files_refuse_crafted_sizes_before_allocating(tmp_path, monkeypatch):
    from pylearn2.datasets.dataset_file import DatasetFile, PreprocessorFile, save_dataset
    from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
    from pylearn2.datasets.preprocessing import ZCA
    from pylearn2.utils.exc import ModelFileError

    with pytest.raises(ModelFileError, match="more than"):
        DatasetFile(num_examples=10 ** 9, num_features=10 ** 6)
    with pytest.raises(ModelFileError, match="more than"):
        PreprocessorFile(ZCA(), state_tree={}, tensor_specs={"t0": ["float64", [10 ** 6] * 2]})
    with pytest.raises(ModelFileError, match="invalid dtype"):
        PreprocessorFile(ZCA(), state_tree={}, tensor_specs={"t0": ["os.system", [1]]})
    # a genuine file round-trips, labels and image layout included
    ds = DenseDesignMatrix(topo_view=np.arange(24, dtype=np.float32).reshape(2, 2, 3, 2),
                           y=np.array([[1], [0]]), y_labels=2)
    save_dataset(str(tmp_path / "d.pkl"), ds)
    back = serial.load(str(tmp_path / "d.pkl"))
    np.testing.assert_array_equal(back.get_topological_view(), ds.get_topological_view())
    assert back.y.ravel().tolist() == [1, 0] and back.y_labels == 2
    big = DenseDesignMatrix(X=np.zeros((40, 30), np.float32))  # 4800 bytes of arrays
    save_dataset(str(tmp_path / "big.pkl"), big)
    monkeypatch.setenv("PYLEARN2_MAX_MEMBER_BYTES", "2000")  # the manifest still fits
    with pytest.raises(ModelFileError, match="DatasetFile: its arrays would take more than 2000"):
        serial.load(str(tmp_path / "big.pkl"))


def test_download_option_fetches_the_raw_set_first(cifar10, monkeypatch, capsys):
    from pylearn2.datasets import official_downloads

    root = cifar10[0]
    fetched = []

    def fake_download(base_url=None):  # the real one is tested against a loopback mirror
        fetched.append(base_url)
        return str(root / "cifar10" / "cifar-10-batches-py")

    monkeypatch.setattr(official_downloads, "download_cifar10", fake_download)
    work = root / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert main(["grbm-smd-make-dataset", "--download", "--num-patches", "20"]) == 0
    assert fetched == [None] and "Raw data in" in capsys.readouterr().out
    assert (work / "cifar10_preprocessed_train.pkl").exists()
