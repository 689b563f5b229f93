"""ROC AUC of a classifier on each monitoring dataset, as monitor channels."""

from __future__ import annotations

import math

import numpy as np
from sklearn.metrics import roc_auc_score as _sk_roc_auc

from pylearn2.train_extensions.metric_channels import DatasetMetricChannel
from pylearn2.utils.exc import ConfigError


def roc_auc_score(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """scikit-learn's ROC AUC, or NaN when ``y_true`` holds only one class."""
    y_true = np.asarray(y_true)
    if np.unique(y_true).size < 2:
        return math.nan
    return float(_sk_roc_auc(y_true, y_score))


class RocAucScoreOp:
    """Callable form of :func:`roc_auc_score` (the classic name): ``op(y_true, y_score)``
    on numpy arrays or tensors."""

    def __call__(self, y_true: object, y_score: object) -> float:
        return roc_auc_score(_numpy(y_true), _numpy(y_score))


def _numpy(a: object) -> np.ndarray:
    detach = getattr(a, "detach", None)
    return detach().cpu().numpy() if callable(detach) else np.asarray(a)


class RocAucChannel(DatasetMetricChannel):
    """Adds ``<dataset>_<channel_name_suffix>`` (default ``valid_roc_auc`` etc.): the
    ROC AUC of the model's output for class ``positive_class_index``.

    The score is computed on each whole monitoring dataset, not averaged over batches,
    so the monitoring batch size does not change it. Targets are one-hot (or label
    indices, turned into one-hot). With ``negative_class_index`` only the examples of
    those two classes count (one class against another); otherwise it is the positive
    class against all others. NaN when a dataset holds only one of the two sides.

    Parameters
    ----------
    channel_name_suffix : name of the channel after the dataset prefix.
    positive_class_index : output column and class treated as positive.
    negative_class_index : optional class to compare against instead of all others.
    """

    def __init__(self, channel_name_suffix: str = "roc_auc", positive_class_index: int = 1,
                 negative_class_index: int | None = None) -> None:
        if negative_class_index is not None and negative_class_index == positive_class_index:
            raise ConfigError("RocAucChannel: negative_class_index must differ from "
                              "positive_class_index.")
        self.channel_name_suffix = channel_name_suffix
        self.positive_class_index = int(positive_class_index)
        self.negative_class_index = negative_class_index

    def metric(self, y_true: np.ndarray, y_pred: np.ndarray) -> float:
        n_classes = y_pred.shape[1]
        if y_true.ndim == 1 or y_true.shape[1] == 1:
            y_true = np.eye(n_classes)[y_true.reshape(-1).astype(int)]
        pos = self.positive_class_index
        if not 0 <= pos < n_classes:
            raise ConfigError(f"RocAucChannel: positive_class_index={pos} but the model has "
                              f"{n_classes} outputs.")
        score = y_pred[:, pos]
        is_pos = y_true[:, pos] > 0.5
        if self.negative_class_index is not None:
            keep = is_pos | (y_true[:, int(self.negative_class_index)] > 0.5)
            is_pos, score = is_pos[keep], score[keep]
        return roc_auc_score(is_pos.astype(int), score)
