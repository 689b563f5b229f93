"""The data path: digits read without importing scikit-learn, MNIST read with one float32
copy, batches served from CPU tensors and prefetched through pinned memory."""

import subprocess
import sys

import numpy as np
import pytest


def test_digits_read_from_the_bundled_csv_equal_sklearns_loader():
    from sklearn.datasets import load_digits

    from pylearn2.datasets.digits import _bundled_digits

    images, target = _bundled_digits()
    reference = load_digits()
    np.testing.assert_array_equal(images, reference.images)
    np.testing.assert_array_equal(target, reference.target)


@pytest.mark.slow  # subprocess
def test_digits_dataset_does_not_import_sklearn():
    code = ("import sys; from pylearn2.datasets.digits import Digits; Digits('valid'); "
            "print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _sgd_job(path=None, epochs=2):
    from helpers import classification_data, classifier

    from pylearn2.termination_criteria import EpochCounter
    from pylearn2.train import Train
    from pylearn2.training_algorithms.learning_rule import Momentum
    from pylearn2.training_algorithms.sgd import SGD

    algorithm = SGD(learning_rate=0.1, batch_size=6, device="cpu", learning_rule=Momentum(0.5),
                    monitoring_dataset={"valid": classification_data(n=20, seed=1)},
                    termination_criterion=EpochCounter(epochs))
    return Train(dataset=classification_data(n=57), model=classifier(), algorithm=algorithm,
                 save_path=None if path is None else str(path),
                 save_freq=1 if path is not None else 0)


def test_in_memory_batches_need_no_numpy_to_tensor_conversion_per_batch(monkeypatch):
    import torch

    job = _sgd_job()
    job.setup()
    conversions = []
    for name in ("from_numpy", "as_tensor", "tensor"):
        original = getattr(torch, name)
        monkeypatch.setattr(torch, name, lambda *a, _f=original, _n=name, **k: (
            conversions.append(_n), _f(*a, **k))[1])
    for _ in range(2):
        job.algorithm.train(job.dataset)  # 10 batches per epoch
    # per epoch (not per batch): the design matrix's tensor view and the epoch's
    # permutation, and once the targets' formatted tensor (cached by the dataset)
    assert conversions == ["from_numpy"] * 5, conversions


def test_prefetched_training_is_bit_identical_and_resumes_exactly(monkeypatch, check_resume):
    from conftest import assert_same_training

    from pylearn2.training_algorithms import resident_data

    used = []
    original = resident_data.BatchPrefetcher.__iter__
    monkeypatch.setattr(resident_data.BatchPrefetcher, "__iter__",
                        lambda self: (used.append(1), original(self))[1])
    monkeypatch.setenv("PYLEARN2_PREFETCH", "0")
    direct = _sgd_job(epochs=3)
    direct.main_loop()
    assert not used
    monkeypatch.setenv("PYLEARN2_PREFETCH", "1")
    prefetched = _sgd_job(epochs=3)
    prefetched.main_loop()
    assert len(used) == 3  # one prefetching iterator per epoch
    assert_same_training(direct, prefetched)
    check_resume(_sgd_job, epochs=4, stop_at=2)


def test_prefetcher_raises_the_iterators_error_and_ends_its_thread_when_left_early():
    import threading

    import torch

    from pylearn2.training_algorithms.resident_data import BatchPrefetcher

    def failing():
        yield (torch.zeros(2),)
        raise ValueError("bad batch 2")

    batches = iter(BatchPrefetcher(failing(), pin=False))
    assert torch.equal(next(batches)[0], torch.zeros(2))
    with pytest.raises(ValueError, match="bad batch 2"):
        next(batches)
    many = BatchPrefetcher(((torch.full((1,), float(i)),) for i in range(100)), pin=False)
    for i, (t,) in enumerate(many):
        assert t.item() == i
        if i == 3:
            break
    assert not [t for t in threading.enumerate() if t.name == "pylearn2-prefetch"]
