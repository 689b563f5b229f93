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
