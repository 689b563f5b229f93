"""CosDataset's density and stream, DebugDataset, SparseDataset (scipy save_npz files,
gzipped or not, damaged)."""

import gzip

import numpy as np
import pytest
import scipy.sparse
import torch
from scipy import integrate

from pylearn2.datasets.cos_dataset import CosDataset
from pylearn2.datasets.debug import DebugDataset
from pylearn2.datasets.sparse_dataset import SparseDataset
from pylearn2.utils.exc import ConfigError


def test_cos_dataset_density_integrates_to_one_and_stream_restarts():
    ds = CosDataset(min_x=-1.0, max_x=2.0, std=0.3, rng=4)
    total, _ = integrate.dblquad(lambda y, x: ds.pdf_func(np.array([[x, y]]))[0],
                                 -1.0, 2.0, -4.0, 4.0)
    assert total == pytest.approx(1.0, abs=1e-6)
    a = ds.get_batch_design(5)
    assert a.shape == (5, 2) and np.all((a[:, 0] > -1) & (a[:, 0] < 2))
    ds.restart_stream()
    np.testing.assert_array_equal(ds.get_batch_design(5), a)
    big = ds.get_batch_design(4000)
    assert abs(np.std(big[:, 1] - np.cos(big[:, 0])) - 0.3) < 0.02
    X = torch.tensor([[0.0, 1.0], [5.0, 0.0]], dtype=torch.float64)
    fe = ds.free_energy(X)
    assert float(fe[0]) == pytest.approx(0.0) and float(fe[1]) == 1e30


def test_debug_dataset():
    np.testing.assert_array_equal(DebugDataset().X, np.eye(2))


def test_sparse_dataset_files_and_iteration(tmp_path):
    M = scipy.sparse.random(7, 5, density=0.3, random_state=0, format="csr")
    scipy.sparse.save_npz(tmp_path / "m.npz", M)
    with open(tmp_path / "m.npz", "rb") as f, gzip.open(tmp_path / "m.npz.gz", "wb") as g:
        g.write(f.read())
    plain = SparseDataset(load_path=str(tmp_path / "m.npz"), zipped_npy=False)
    zipped = SparseDataset(load_path=str(tmp_path / "m.npz.gz"))
    np.testing.assert_allclose(plain.X.toarray(), M.toarray(), rtol=1e-6)
    np.testing.assert_allclose(zipped.X.toarray(), M.toarray(), rtol=1e-6)
    batches = list(SparseDataset(from_scipy_sparse_dataset=M).iterator(batch_size=3))
    np.testing.assert_allclose(torch.cat(batches).numpy(), M.toarray(), rtol=1e-6)
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(ConfigError, match="bad.npz"):
        SparseDataset(load_path=str(tmp_path / "bad.npz"), zipped_npy=False)
    with pytest.raises(ConfigError, match="scipy.sparse"):
        SparseDataset(from_scipy_sparse_dataset=np.eye(2))
