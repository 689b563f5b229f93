"""Weighted mean absolute percentage error of a regression model, as monitor channels."""

from __future__ import annotations

import math

import numpy as np

from pylearn2.train_extensions.metric_channels import DatasetMetricChannel


def wmape(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """sum |y_true - y_pred| / sum |y_true| (NaN when every target is 0)."""
    denominator = np.abs(y_true).sum()
    if denominator == 0:
        return math.nan
    return float(np.abs(y_true - y_pred).sum() / denominator)


class WMapeChannel(DatasetMetricChannel):
    """Adds ``<dataset>_<channel_name_suffix>``: the WMAPE of the model's first output
    column against the first target column, over each whole monitoring dataset.

    Parameters
    ----------
    channel_name_suffix : name of the channel after the dataset prefix.
    """

    def __init__(self, channel_name_suffix: str = "wmape") -> None:
        self.channel_name_suffix = channel_name_suffix

    def metric(self, y_true: np.ndarray, y_pred: np.ndarray) -> float:
        return wmape(_first(y_true), _first(y_pred))


def _first(a: np.ndarray) -> np.ndarray:
    """The first column of a batch of values."""
    return a.reshape(len(a), -1)[:, 0]


class WMapeNumeratorChannel(WMapeChannel):
    """Adds ``<dataset>_<channel_name_suffix>``: sum |y_true - y_pred| over each whole
    monitoring dataset (first columns), the numerator of WMAPE."""

    def __init__(self, channel_name_suffix: str = "wmape_num") -> None:
        self.channel_name_suffix = channel_name_suffix

    def metric(self, y_true: np.ndarray, y_pred: np.ndarray) -> float:
        return float(np.abs(_first(y_true) - _first(y_pred)).sum())


class WMapeDenominatorChannel(WMapeChannel):
    """Adds ``<dataset>_<channel_name_suffix>``: sum |y_true| over each whole monitoring
    dataset (first column), the denominator of WMAPE."""

    def __init__(self, channel_name_suffix: str = "wmape_den") -> None:
        self.channel_name_suffix = channel_name_suffix

    def metric(self, y_true: np.ndarray, y_pred: np.ndarray) -> float:
        return float(np.abs(_first(y_true)).sum())
