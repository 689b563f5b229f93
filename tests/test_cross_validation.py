"""Cross-validation: fold assignment against scikit-learn, TrainCV on digits, fold files."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.model_selection import KFold, StratifiedKFold

from pylearn2.config import yaml_parse
from pylearn2.cross_validation import FOLD_ENV, TrainCV, load_models
from pylearn2.cross_validation.dataset_iterators import (
    DatasetKFold,
    DatasetShuffleSplit,
    DatasetValidationKFold,
    StratifiedDatasetKFold,
    StratifiedDatasetValidationShuffleSplit,
)
from pylearn2.cross_validation.subset_iterators import ValidationKFold
from pylearn2.datasets.digits import Digits
from pylearn2.scripts import print_monitor_cv
from pylearn2.testing.datasets import random_one_hot_dense_design_matrix
from pylearn2.utils.exc import ConfigError

CV_YAML = """
!obj:pylearn2.cross_validation.TrainCV {
    dataset_iterator: !obj:pylearn2.cross_validation.dataset_iterators.DatasetKFold {
        dataset: !obj:pylearn2.datasets.digits.Digits { which_set: 'train', stop: 250 },
        n_folds: 5, shuffle: True, random_state: 7,
    },
    model: !obj:pylearn2.models.mlp.MLP {
        nvis: 64, seed: 3,
        layers: [ !obj:pylearn2.models.mlp.Softmax { layer_name: 'y', n_classes: 10,
                                                      irange: 0.05 } ],
    },
    algorithm: !obj:pylearn2.training_algorithms.sgd.SGD {
        learning_rate: 0.1, batch_size: 25,
        termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 2 },
    },
    %(extra)s
}
"""


def _rows(a: np.ndarray) -> list[bytes]:
    return [row.tobytes() for row in np.asarray(a, dtype=np.float32)]


def _misclass(model, X: np.ndarray, y: np.ndarray) -> float:
    with torch.no_grad():
        out = model.fprop(torch.as_tensor(X, dtype=torch.float32)).numpy()
    return float(np.mean(out.argmax(axis=1) != y.reshape(-1)))


def test_traincv_digits_five_folds_match_sklearn_kfold(tmp_path):
    save = tmp_path / "cv.pkl"
    cv = yaml_parse.load(CV_YAML % {"extra": f"save_path: '{save}',"})
    assert isinstance(cv, TrainCV) and len(cv.trainers) == 5
    cv.main_loop()
    X = Digits(which_set="train", stop=250).X
    y = Digits(which_set="train", stop=250).y
    folds = list(KFold(5, shuffle=True, random_state=7).split(X))
    seen_test = []
    for trainer, (train_idx, test_idx) in zip(cv.trainers, folds):
        # the same examples, in the same order, as scikit-learn's KFold with the seed
        np.testing.assert_array_equal(trainer.dataset.X, X[train_idx])
        test_ds = trainer.algorithm.monitoring_dataset["test"]
        np.testing.assert_array_equal(test_ds.X, X[test_idx])
        seen_test += _rows(test_ds.X)
        monitor = trainer.model.monitor
        assert monitor.get_epochs_seen() == 2
        for name in ("train_objective", "test_objective", "test_y_misclass"):
            assert len(monitor.channels[name].val_record) == 3
        # the per-fold channel is the fold's own held-out error, recomputed independently
        assert monitor.last("test_y_misclass") == pytest.approx(
            _misclass(trainer.model, X[test_idx], y[test_idx]), abs=1e-6)
    assert sorted(seen_test) == sorted(_rows(X))  # every example held out exactly once
    params = [t.model.get_params()[0] for t in cv.trainers]
    assert params[0].data_ptr() != params[1].data_ptr()
    assert not torch.equal(params[0], params[1])  # each fold trains its own copy

    models = load_models(save)
    assert len(models) == 5
    for model, trainer in zip(models, cv.trainers):
        assert model.monitor.last("test_y_misclass") == trainer.model.monitor.last("test_y_misclass")


def test_print_monitor_cv_mean_and_std(tmp_path, capsys):
    save = tmp_path / "cv.pkl"
    cv = yaml_parse.load(CV_YAML % {"extra": f"save_path: '{save}',"})
    cv.main_loop()
    values = [t.model.monitor.last("test_y_misclass") for t in cv.trainers]
    assert print_monitor_cv.main([str(save)]) == 0
    out = capsys.readouterr().out
    assert "number of models: 5" in out
    line = next(x for x in out.splitlines() if x.startswith("test_y_misclass:"))
    mean, std = (float(v) for v in line.split(":")[1].split("+/-"))
    assert mean == pytest.approx(np.mean(values), rel=1e-8)
    assert std == pytest.approx(np.std(values), rel=1e-8, abs=1e-12)
    assert "epochs seen: 2 +/- 0" in out


def test_one_fold_per_process_via_env(tmp_path, monkeypatch):
    save = tmp_path / "cv.pkl"
    full = yaml_parse.load(CV_YAML % {"extra": ""})
    monkeypatch.setenv(FOLD_ENV, "3")
    one = yaml_parse.load(CV_YAML % {"extra": f"save_path: '{save}',"})
    assert len(one.trainers) == 1 and one.trainers[0].cv_fold == 3
    np.testing.assert_array_equal(one.trainers[0].dataset.X, full.trainers[3].dataset.X)
    one.main_loop()
    full.trainers[3].main_loop()
    written = tmp_path / "cv-3.pkl"
    assert written.exists() and not save.exists()
    (model,) = load_models(written)
    # the fold trained alone matches the same fold trained inside the full run
    for a, b in zip(model.get_params(), full.trainers[3].model.get_params()):
        torch.testing.assert_close(a, b)
    monkeypatch.setenv(FOLD_ENV, "9")
    with pytest.raises(ConfigError, match="fold=9"):
        yaml_parse.load(CV_YAML % {"extra": ""})


def test_monitor_based_save_best_cv_original_yaml(tmp_path):
    """The classic test file's experiment (autoencoder, BGD, random one-hot data)."""
    save = tmp_path / "best.pkl"
    text = f"""
!obj:pylearn2.cross_validation.TrainCV {{
    dataset_iterator: !obj:pylearn2.cross_validation.dataset_iterators.DatasetKFold {{
        dataset: !obj:pylearn2.testing.datasets.random_one_hot_dense_design_matrix {{
            rng: !obj:numpy.random.RandomState {{ seed: 1 }},
            num_examples: 100, dim: 10, num_classes: 2,
        }},
    }},
    model: !obj:pylearn2.models.autoencoder.Autoencoder {{
        nvis: 10, nhid: 8, act_enc: sigmoid, act_dec: linear
    }},
    algorithm: !obj:pylearn2.training_algorithms.bgd.BGD {{
        batch_size: 50, line_search_mode: exhaustive, conjugate: 1,
        termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter {{ max_epochs: 2 }},
        cost: !obj:pylearn2.costs.autoencoder.MeanSquaredReconstructionError {{}},
    }},
    cv_extensions: [
        !obj:pylearn2.cross_validation.train_cv_extensions.MonitorBasedSaveBestCV {{
            channel_name: train_objective, save_path: '{save}', save_folds: True,
        }},
    ],
}}
"""
    cv = yaml_parse.load(text)
    cv.main_loop()
    ext = cv.cv_extensions[0]
    best = load_models(save)
    assert len(best) == 3
    for k, (model, tracker, trainer) in enumerate(zip(best, ext.trackers, cv.trainers)):
        record = trainer.model.monitor.channels["train_objective"].val_record
        assert tracker.best_cost == min(record)
        assert model.monitor.last("train_objective") == pytest.approx(min(record))
        assert (tmp_path / f"best-{k}.pkl").exists()
    assert ext.best_cost == min(t.best_cost for t in ext.trackers)


def test_stratified_and_shuffle_split_match_sklearn():
    data = random_one_hot_dense_design_matrix(np.random.RandomState(0), 60, 3, 3)
    labels = data.y.argmax(axis=1)
    ours = list(StratifiedDatasetKFold(data, n_folds=4, shuffle=True, random_state=5))
    ref = StratifiedKFold(4, shuffle=True, random_state=5).split(data.X, labels)
    for fold, (tr, te) in zip(ours, ref):
        np.testing.assert_array_equal(fold["test"].X, data.X[te])
        np.testing.assert_array_equal(fold["train"].y, data.y[tr])
    split = DatasetShuffleSplit(data, n_iter=3, test_size=0.25, random_state=2)
    assert [f["test"].X.shape[0] for f in split] == [15, 15, 15]


def test_validation_variants_partition_the_data():
    data = random_one_hot_dense_design_matrix(np.random.RandomState(0), 60, 3, 3)
    for fold in DatasetValidationKFold(data, n_folds=3):
        assert set(fold) == {"train", "valid", "test"}
        sizes = [fold[k].X.shape[0] for k in ("train", "valid", "test")]
        assert sizes == [20, 20, 20]
        rows = sum((_rows(fold[k].X) for k in fold), [])
        assert sorted(rows) == sorted(_rows(data.X))
    # fold k validates on fold k+1's test part, as scikit-learn's KFold assigns them
    ref = [test for _, test in KFold(4, shuffle=True, random_state=3).split(np.zeros(12))]
    for k, (train, valid, test) in enumerate(ValidationKFold(12, 4, shuffle=True, random_state=3)):
        np.testing.assert_array_equal(test, ref[k])
        np.testing.assert_array_equal(valid, ref[(k + 1) % 4])
        assert sorted(np.concatenate([train, valid, test]).tolist()) == list(range(12))
    masks = list(ValidationKFold(12, n_folds=4, indices=False))
    for train, valid, test in masks:
        assert not (train & valid).any() and not (train & test).any() and not (valid & test).any()
        assert (train | valid | test).all()
    strat = StratifiedDatasetValidationShuffleSplit(data, n_iter=2, test_size=0.2,
                                                    valid_size=0.2, random_state=0)
    for fold in strat:
        assert fold["test"].X.shape[0] == 12 and fold["valid"].X.shape[0] == 12
    only = DatasetKFold(data, n_folds=3, which_set="test", return_dict=False)
    assert next(iter(only)).X.shape == (20, 3)
    with pytest.raises(ConfigError, match="n_folds >= 3"):
        ValidationKFold(10, n_folds=2)
    with pytest.raises(ConfigError, match="unknown subset"):
        DatasetKFold(data, which_set="validation")


def test_train_command_runs_traincv_and_cli_summarises(tmp_path, monkeypatch, capsys):
    from pylearn2.scripts import cli
    from pylearn2.scripts import train as train_script

    config = tmp_path / "cv.yaml"
    config.write_text(CV_YAML % {"extra": "save_path: '${PYLEARN2_TRAIN_DIR}cv.pkl',"})
    monkeypatch.chdir(tmp_path)
    assert train_script.main([str(config)]) == 0
    models = load_models(tmp_path / "cv.pkl")
    assert len(models) == 5
    capsys.readouterr()
    assert cli.main(["print-monitor-cv", "--all", str(tmp_path / "cv.pkl")]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("test_y_misclass:"))
    values = [m.monitor.last("test_y_misclass") for m in models]
    assert f"{values[0]:.6g}" in line and "+/-" in line


def test_save_subsets_folds_resume_exactly(tmp_path):
    save = tmp_path / "cv.pkl"
    text = CV_YAML % {"extra": f"save_path: '{save}', save_freq: 1, save_subsets: True,"}
    full = yaml_parse.load(text)
    full.main_loop()
    interrupted = yaml_parse.load(text.replace("max_epochs: 2", "max_epochs: 1"))
    interrupted.main_loop()
    assert (tmp_path / "cv-4.pkl.ckpt").exists()
    resumed = yaml_parse.load(text)
    resumed.main_loop(resume=True)
    for a, b in zip(resumed.models, full.models):
        assert a.monitor.get_epochs_seen() == 2
        for p, q in zip(a.get_params(), b.get_params()):
            torch.testing.assert_close(p, q)


_RANDOM = """!obj:pylearn2.testing.datasets.random_one_hot_dense_design_matrix {
                rng: !obj:numpy.random.RandomState { seed: 1 },
                num_examples: 120, dim: 16, num_classes: 2 }"""
_AE = """model: !obj:pylearn2.models.autoencoder.Autoencoder {
        nvis: %(nvis)d, nhid: %(nhid)d, act_enc: 'sigmoid', act_dec: null },
    algorithm: !obj:pylearn2.training_algorithms.bgd.BGD {
        batch_size: 40, line_search_mode: 'exhaustive', conjugate: 1,
        termination_criterion: !obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 1 },
        cost: !obj:pylearn2.costs.autoencoder.MeanSquaredReconstructionError {},
    },"""


def test_layerwise_pretraining_pipeline_of_the_classic_tests(tmp_path):
    """The classic test's pipeline: per-fold autoencoders, TransformerDatasetCV over them
    (read back with !pkl:), StackedBlocksCV, then PretrainedLayerCV in a supervised MLP."""
    kfold = ("!obj:pylearn2.cross_validation.dataset_iterators.DatasetKFold "
             f"{{ dataset: {_RANDOM} }}")
    l0, l1 = tmp_path / "l0.pkl", tmp_path / "l1.pkl"
    yaml_parse.load(f"!obj:pylearn2.cross_validation.TrainCV {{ dataset_iterator: {kfold}, "
                    f"{_AE % {'nvis': 16, 'nhid': 8}} save_path: '{l0}' }}").main_loop()
    stage1 = yaml_parse.load(
        "!obj:pylearn2.cross_validation.TrainCV { dataset_iterator: "
        "!obj:pylearn2.cross_validation.dataset_iterators.TransformerDatasetCV { "
        f"dataset_iterator: {kfold}, transformers: !pkl: '{l0}' }}, "
        f"{_AE % {'nvis': 8, 'nhid': 4}} save_path: '{l1}' }}")
    first = load_models(l0)
    # fold k's training data is fold k's examples encoded by fold k's first autoencoder
    fold_X = DatasetKFold(random_one_hot_dense_design_matrix(np.random.RandomState(1), 120, 16, 2))
    for k, trainer in enumerate(stage1.trainers):
        X = torch.as_tensor(fold_X.fold(k)["train"].X)
        batch = next(iter(trainer.dataset.iterator(mode="sequential", batch_size=80,
                                                   data_specs=(trainer.model.get_input_space(),
                                                               "features"))))
        torch.testing.assert_close(batch, first[k].encode(X).detach())
    stage1.main_loop()
    stacked = yaml_parse.load(
        "!obj:pylearn2.cross_validation.blocks.StackedBlocksCV { layers: "
        f"[ !pkl: '{l0}', !pkl: '{l1}' ] }}")
    assert stacked.select_fold(2).layers[1].get_input_space().get_total_dimension() == 8
    mlp_cv = yaml_parse.load(
        f"!obj:pylearn2.cross_validation.TrainCV {{ dataset_iterator: {kfold}, "
        "model: !obj:pylearn2.models.mlp.MLP { nvis: 16, layers: [ "
        "!obj:pylearn2.cross_validation.mlp.PretrainedLayerCV { layer_name: 'h0', "
        f"layer_content: !pkl: '{l0}' }}, "
        "!obj:pylearn2.cross_validation.mlp.PretrainedLayerCV { layer_name: 'h1', "
        f"layer_content: !pkl: '{l1}' }}, "
        "!obj:pylearn2.models.mlp.Softmax { layer_name: 'y', n_classes: 2, irange: 0. } ] }, "
        "algorithm: !obj:pylearn2.training_algorithms.bgd.BGD { batch_size: 40, "
        "line_search_mode: 'exhaustive', conjugate: 1, termination_criterion: "
        "!obj:pylearn2.termination_criteria.EpochCounter { max_epochs: 1 } } }")
    second = load_models(l1)
    for k, trainer in enumerate(mlp_cv.trainers):
        h0, h1 = trainer.model.layers[0], trainer.model.layers[1]
        torch.testing.assert_close(h0.layer_content.get_params()[0], first[k].get_params()[0])
        torch.testing.assert_close(h1.layer_content.get_params()[0], second[k].get_params()[0])
    mlp_cv.main_loop()
    assert all(np.isfinite(t.model.monitor.last("test_y_misclass")) for t in mlp_cv.trainers)


def test_old_module_name_and_store_best():
    from pylearn2.cross_validation.train_extensions import MonitorBasedStoreBest

    tracker = MonitorBasedStoreBest("valid_y_misclass")
    assert tracker.store_best_model and tracker.save_path is None
