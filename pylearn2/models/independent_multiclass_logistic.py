"""Multiclass classification by independent one-vs-rest logistic regressions."""

from __future__ import annotations

import numpy as np

from pylearn2.utils.exc import ConfigError
from pylearn2.utils.init_args import InitArgsMixin


class IndependentMulticlassLogistic(InitArgsMixin):
    """Fits one L2-regularised logistic regression per class (scikit-learn), each class
    against the rest; ``fit`` returns the :class:`Classifier` they make.

    Parameters
    ----------
    C : inverse regularisation strength of each logistic regression.
    """

    def __init__(self, C: float) -> None:  # noqa: N803
        self.C = float(C)

    def fit(self, X: np.ndarray, y: np.ndarray) -> Classifier:
        from sklearn.linear_model import LogisticRegression

        X, y = np.asarray(X), np.asarray(y).reshape(-1)
        if y.min() != 0:
            raise ConfigError(f"IndependentMulticlassLogistic.fit: labels must start at 0, "
                              f"the smallest is {y.min()}.")
        num_classes = int(y.max()) + 1
        W = np.zeros((num_classes, X.shape[1]))
        b = np.zeros(num_classes)
        for c in range(num_classes):
            model = LogisticRegression(C=self.C).fit(X, (y == c).astype(int))
            W[c], b[c] = model.coef_[0], model.intercept_[0]
        return Classifier(W, b)


class Classifier(InitArgsMixin):
    """Predicts ``argmax_c (b_c + X W_c)`` from per-class weights ``W`` (classes, features)
    and biases ``b``, or, as the original took them, from ``logistics``: one fitted binary
    logistic regression per class (objects with ``coef_`` and ``intercept_``)."""

    def __init__(self, W: np.ndarray | None = None, b: np.ndarray | None = None,  # noqa: N803
                 logistics: list | None = None) -> None:
        if logistics is not None:
            if W is not None or b is not None:
                raise ConfigError("Classifier: give logistics or W and b, not both.")
            if len(logistics) < 2:
                raise ConfigError(f"Classifier needs one logistic regression per class (at "
                                  f"least 2), got {len(logistics)}.")
            W = np.stack([np.asarray(m.coef_, dtype=np.float64).reshape(-1) for m in logistics])
            b = np.array([float(np.asarray(m.intercept_).reshape(-1)[0]) for m in logistics])
        if W is None or b is None:
            raise ConfigError("Classifier needs W and b (or logistics).")
        self.W, self.b = np.asarray(W), np.asarray(b)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.argmax(self.b + np.asarray(X) @ self.W.T, axis=1)


__all__ = ["Classifier", "IndependentMulticlassLogistic"]
