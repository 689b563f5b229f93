"""Cross-validation: one Train object per fold, run one after another or one per process.

``TrainCV`` takes a dataset iterator (see :mod:`pylearn2.cross_validation.dataset_iterators`)
yielding ``{'train': ..., 'valid': ..., 'test': ...}`` per fold. Each fold gets its own
copy of the model, algorithm and extensions, trains on ``'train'``, and monitors every
subset under its name (``train_objective``, ``test_y_misclass``, ...). ``save_path``
receives all folds' models in one collection file (read it with
:func:`~pylearn2.cross_validation.model_collection.load_models` or ``print_monitor_cv``).

To spread folds over processes, give ``fold`` (or set the environment variable
``PYLEARN2_CV_FOLD``) in each process: it builds and trains that fold only and writes it
to ``<save_path stem>-<fold><ext>``; ``print_monitor_cv`` takes those files together.
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Sequence
from typing import Any

from pylearn2.cross_validation.mlp import PretrainedLayerCV
from pylearn2.cross_validation.model_collection import load_models, save_models
from pylearn2.cross_validation.train_cv_extensions import fold_path
from pylearn2.train import Train
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.init_args import InitArgsMixin

log = logging.getLogger(__name__)

FOLD_ENV = "PYLEARN2_CV_FOLD"

__all__ = ["FOLD_ENV", "PretrainedLayerCV", "TrainCV", "load_models", "save_models"]


def _select_pretrained(model: Any, k: int) -> Any:
    """A copy of ``model`` with each PretrainedLayerCV replaced by its fold-``k`` layer."""
    layers = getattr(model, "layers", None)
    if layers is None or not any(isinstance(layer, PretrainedLayerCV) for layer in layers):
        return model
    model = copy.deepcopy(model)
    for i, layer in enumerate(model.layers):
        if isinstance(layer, PretrainedLayerCV):
            chosen = layer.select_fold(k)
            chosen.set_mlp(model)
            model.layers[i] = chosen
    saved_layers = getattr(model, "_init_args", {}).get("layers")
    if saved_layers is not None:
        model._init_args["layers"] = list(model.layers)
    return model


def _env_fold() -> int | None:
    raw = os.environ.get(FOLD_ENV)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{FOLD_ENV}={raw!r} must be a fold index (0, 1, ...).") from exc


class TrainCV(InitArgsMixin):
    """Train one model per cross-validation fold.

    Parameters
    ----------
    dataset_iterator : yields a dict of datasets per fold, 'train' among them.
    model, algorithm, save_freq, extensions, allow_overwrite : as for Train; every fold
        gets its own deep copy.
    save_path : collection file for all folds' models (one fold's model file when only
        one fold runs, see ``fold``).
    save_subsets : also save each fold as ``<save_path stem>-<k><ext>`` every
        ``save_freq`` epochs, with its resume checkpoint.
    cv_extensions : TrainCVExtension objects (e.g. MonitorBasedSaveBestCV).
    fold : run only this fold (default: the ``PYLEARN2_CV_FOLD`` environment variable,
        else all folds one after another).
    """

    def __init__(self, dataset_iterator: Any, model: Any, algorithm: Any = None,
                 save_path: str | None = None, save_freq: int = 0,
                 extensions: Sequence[Any] | None = None, allow_overwrite: bool = True,
                 save_subsets: bool = False, cv_extensions: Sequence[Any] | None = None,
                 fold: int | None = None) -> None:
        if save_subsets and save_path is None:
            raise ConfigError("TrainCV: save_subsets needs a save_path to name the fold files.")
        self.dataset_iterator = dataset_iterator
        self.save_path = save_path
        self.save_freq = int(save_freq)
        self.allow_overwrite = allow_overwrite
        self.save_subsets = save_subsets
        self.cv_extensions = list(cv_extensions or [])
        self.fold = fold if fold is not None else _env_fold()
        n_folds = len(dataset_iterator) if hasattr(dataset_iterator, "__len__") else None
        if self.fold is not None and n_folds is not None and not 0 <= self.fold < n_folds:
            raise ConfigError(f"TrainCV fold={self.fold}: the dataset iterator has {n_folds} "
                              f"folds (0..{n_folds - 1}).")
        self.trainers: list[Train] = []
        for k, datasets in self._folds():
            if not isinstance(datasets, dict) or "train" not in datasets:
                raise ConfigError("TrainCV: the dataset iterator must yield a dict of datasets "
                                  "with a 'train' entry (use return_dict: True).")
            this_path = fold_path(save_path, k) if save_subsets else None
            trainer = Train(datasets["train"], _select_pretrained(model, k), algorithm,
                            this_path, self.save_freq if save_subsets else 0, extensions,
                            allow_overwrite)
            trainer = copy.deepcopy(trainer)  # no state shared between folds
            if trainer.algorithm is not None and hasattr(trainer.algorithm, "monitoring_dataset"):
                trainer.algorithm.monitoring_dataset = datasets
            trainer.cv_fold = k
            self.trainers.append(trainer)
        if not self.trainers:
            raise ConfigError("TrainCV: the dataset iterator yielded no folds.")

    def _folds(self):
        if self.fold is None:
            yield from enumerate(self.dataset_iterator)
        elif hasattr(self.dataset_iterator, "fold"):
            yield self.fold, self.dataset_iterator.fold(self.fold)
        else:
            for k, datasets in enumerate(self.dataset_iterator):
                if k == self.fold:
                    yield k, datasets
                    return
            raise ConfigError(f"TrainCV fold={self.fold}: the dataset iterator has fewer folds.")

    @property
    def models(self) -> list[Any]:
        return [trainer.model for trainer in self.trainers]

    # The first fold stands for the run in checks made before training (pylearn2 train
    # checks shapes, batch sizes and outputs on ``model``/``algorithm``/``dataset``).
    checkpoint = False
    csv_log = False

    @property
    def model(self) -> Any:
        return self.trainers[0].model

    @property
    def algorithm(self) -> Any:
        return self.trainers[0].algorithm

    @property
    def dataset(self) -> Any:
        return self.trainers[0].dataset

    @property
    def extensions(self) -> list[Any]:
        return self.cv_extensions

    def _default_save_path(self) -> None:
        return None

    def main_loop(self, time_budget: float | None = None, resume: bool = False) -> None:
        """Train each fold (``time_budget`` seconds per fold), then save. ``resume``
        continues each fold from its checkpoint (kept with ``save_subsets``)."""
        for extension in self.cv_extensions:
            extension.setup(self.trainers)
        for trainer in self.trainers:
            log.info("Cross-validation fold %d", trainer.cv_fold)
            trainer.main_loop(time_budget, resume=resume)
        self.save()

    def save(self) -> None:
        """Run the CV extensions' on_save, then write the models (when there is a save_path)."""
        for extension in self.cv_extensions:
            extension.on_save(self.trainers)
        if self.save_path is None:
            return
        path = self.save_path if self.fold is None else fold_path(self.save_path, self.fold)
        if not self.allow_overwrite and os.path.exists(path):
            raise ConfigError(f"{path} exists and allow_overwrite is False; choose another "
                              "save_path or set allow_overwrite: True.")
        if self.fold is None:
            save_models(path, self.models)
        else:
            from pylearn2.utils import serial

            serial.save(path, self.trainers[0].model, on_overwrite="backup")
