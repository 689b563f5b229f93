"""Extensions of a whole cross-validation run: they see every fold's Train object."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from pylearn2.train_extensions.best_params import MonitorBasedSaveBest
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.init_args import InitArgsMixin


def fold_path(path: str, k: int) -> str:
    """``model.pkl`` -> ``model-<k>.pkl``: the file of fold ``k``."""
    import os

    stem, ext = os.path.splitext(path)
    return f"{stem}-{k}{ext}"


class TrainCVExtension(InitArgsMixin):
    """Base class: ``setup(trainers)`` before the folds train, ``on_save(trainers)`` when
    TrainCV saves (``trainers`` lists the Train object of each fold that runs here)."""

    def setup(self, trainers: Sequence[Any]) -> None:
        """Before the first fold trains."""

    def on_save(self, trainers: Sequence[Any]) -> None:
        """Just before TrainCV writes its models."""


class MonitorBasedSaveBestCV(TrainCVExtension):
    """Keep, for every fold, the model with the best value of ``channel_name``.

    Parameters
    ----------
    channel_name : the channel to judge by (lower is better unless ``higher_is_better``).
    save_path : collection file for the best model of each fold (written at on_save).
    store_best_model : keep the best models in memory (each fold's MonitorBasedSaveBest
        holds its own in ``best_model``); needed when there is no ``save_path``.
    higher_is_better : larger channel values are better.
    save_folds : also write each fold's best model to ``<save_path stem>-<k><ext>`` as
        soon as it improves.
    """

    def __init__(self, channel_name: str, save_path: str | None = None,
                 store_best_model: bool = False, higher_is_better: bool = False,
                 save_folds: bool = False) -> None:
        if save_path is None and not store_best_model:
            raise ConfigError("MonitorBasedSaveBestCV: give save_path, or set "
                              "store_best_model: True (or both).")
        self.channel_name = channel_name
        self.save_path = save_path
        self.store_best_model = store_best_model
        self.higher_is_better = higher_is_better
        self.save_folds = save_folds
        self.best_cost = -math.inf if higher_is_better else math.inf
        self.best_model = None
        self.trackers: list[MonitorBasedSaveBest] = []

    def setup(self, trainers: Sequence[Any]) -> None:
        self.trackers = []
        for trainer in trainers:
            k = getattr(trainer, "cv_fold", len(self.trackers))
            path = fold_path(self.save_path, k) if self.save_path and self.save_folds else None
            tracker = MonitorBasedSaveBest(self.channel_name, save_path=path,
                                           store_best_model=True,
                                           higher_is_better=self.higher_is_better)
            trainer.extensions.append(tracker)
            self.trackers.append(tracker)

    def best_models(self) -> list[Any]:
        """The best model of each fold, in fold order."""
        return [tracker.best_model for tracker in self.trackers]

    def on_save(self, trainers: Sequence[Any]) -> None:
        if self.trackers:
            values = [t.best_cost for t in self.trackers]
            self.best_cost = max(values) if self.higher_is_better else min(values)
            self.best_model = self.trackers[values.index(self.best_cost)].best_model
        if self.save_path is None:
            return
        models = self.best_models()
        if any(m is None for m in models):
            raise ConfigError(f"MonitorBasedSaveBestCV: channel {self.channel_name!r} never "
                              "gave a finite value in some fold, so there is no best model.")
        from pylearn2.cross_validation.model_collection import save_models

        save_models(self.save_path, models)


class MonitorBasedStoreBest(MonitorBasedSaveBest):
    """Per-fold tracker of the best model (kept in ``best_model``; also written to
    ``save_path`` when given): MonitorBasedSaveBest with ``store_best_model`` on."""

    def __init__(self, channel_name: str, save_path: str | None = None,
                 higher_is_better: bool = False) -> None:
        super().__init__(channel_name, save_path=save_path, store_best_model=True,
                         higher_is_better=higher_is_better)
