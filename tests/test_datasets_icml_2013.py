"""The ICML 2013 contest datasets on CSV files in the contests' layouts."""

import numpy as np
import pytest

from pylearn2.datasets.icml_2013 import BlackBoxDataset, EmotionsDataset
from pylearn2.scripts.icml_2013_wrepl.emotions.emotions_dataset import EmotionsDataset as Orig
from pylearn2.utils.exc import ConfigError

rng = np.random.default_rng(0)


def test_emotions_csv_and_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    folder = tmp_path / "icml_2013_emotions"
    folder.mkdir()
    faces = rng.integers(0, 256, size=(4, 2304))
    labels = [3, 0, 6, 2]
    rows = [f'{lab},"{" ".join(map(str, f))}"' for lab, f in zip(labels, faces)]
    (folder / "train.csv").write_text("Emotion,Pixels\n" + "\n".join(rows) + "\n")
    (folder / "test.csv").write_text("Pixels\n" + "\n".join(f'"{" ".join(map(str, f))}"'
                                                           for f in faces[:2]) + "\n")
    ds = EmotionsDataset("train", start=1, stop=4)
    np.testing.assert_array_equal(ds.X, faces[1:4])
    np.testing.assert_array_equal(ds.y.argmax(1), labels[1:])
    assert ds.get_topological_view().shape == (3, 48, 48, 1)
    assert (folder / "train.X.npy").exists() and (folder / "train.Y.npy").exists()
    assert ds.get_test_set().X.shape == (2, 2304) and ds.get_test_set().y is None
    assert Orig is EmotionsDataset
    (folder / "test.X.npy").unlink()
    (folder / "test.csv").write_text("Pixels\n\"1 2 3\"\n")
    with pytest.raises(ConfigError, match="2304"):
        EmotionsDataset("public_test")


def test_black_box_csv_extra_and_damaged(tmp_path, monkeypatch):
    monkeypatch.setenv("PYLEARN2_DATA_PATH", str(tmp_path))
    folder = tmp_path / "icml_2013_black_box"
    folder.mkdir()
    X = rng.normal(size=(3, 5)).round(3)
    labels = [1, 9, 4]
    (folder / "train.csv").write_text("Id,f1,f2,f3,f4,f5\n" + "\n".join(
        f"{lab}.0," + ",".join(map(str, x)) for lab, x in zip(labels, X)) + "\n")
    ds = BlackBoxDataset("train")
    np.testing.assert_allclose(ds.X, X, rtol=1e-6)
    np.testing.assert_array_equal(ds.y.argmax(1), [0, 8, 3])
    np.save(folder / "extra_unsupervised_data.npy", X.T)
    np.testing.assert_allclose(BlackBoxDataset("extra").X, X, rtol=1e-6)
    (folder / "test.csv").write_text("f1,f2\n1,2\n3\n")
    with pytest.raises(ConfigError, match="test.csv"):
        BlackBoxDataset("public_test")
    with pytest.raises(ConfigError, match="which_set"):
        BlackBoxDataset("valid")
