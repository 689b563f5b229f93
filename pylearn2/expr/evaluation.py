"""Evaluation curves."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def all_pr(pos_scores: Sequence[float], neg_scores: Sequence[float]) -> tuple[list[float], list[float]]:
    """Every (precision, recall) point a threshold on the scores can give.

    Starting with nothing labelled positive (precision 1, recall 0), the threshold is
    lowered past each distinct score in turn (tied scores together), labelling every
    example with a score at or above it positive. Returns the two lists, point ``i`` of
    both coming from the same threshold.
    """
    pos = np.asarray(pos_scores, dtype=np.float64).ravel()
    neg = np.asarray(neg_scores, dtype=np.float64).ravel()
    scores = np.concatenate([pos, neg])
    labels = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])
    distinct, inverse = np.unique(-scores, return_inverse=True)  # ascending -score
    tp = np.cumsum(np.bincount(inverse, weights=labels, minlength=len(distinct)))
    labelled = np.cumsum(np.bincount(inverse, minlength=len(distinct)))
    precision = [1.0] + [float(t / a) if a else 1.0 for t, a in zip(tp, labelled)]
    recall = [0.0] + [float(t / len(pos)) for t in tp]
    return precision, recall
