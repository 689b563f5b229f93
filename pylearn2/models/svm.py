"""A linear support vector machine trained by gradient descent on the hinge loss."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from pylearn2.costs.cost import Cost
from pylearn2.models.model import Model
from pylearn2.space import VectorSpace
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.init_args import InitArgsMixin


class LinearSVM(Model):
    """One-vs-rest linear SVM: scores ``X W + b``, class = argmax.

    The default cost :class:`HingeLoss` is the mean over examples of
    ``sum_k max(0, 1 - t_k s_k)`` with ``t_k = +1`` for the true class and -1 otherwise,
    plus ``||W||^2 / (2 C)``.
    """

    def __init__(self, nvis: int, n_classes: int, C: float = 1.0, irange: float = 0.0,
                 seed: Any = (2014, 2, 2)) -> None:
        super().__init__()
        self.nvis, self.n_classes, self.C = int(nvis), int(n_classes), float(C)
        rng = np.random.default_rng([int(s) for s in np.atleast_1d(seed)])
        self.W = torch.nn.Parameter(torch.as_tensor(
            rng.uniform(-irange, irange, (self.nvis, self.n_classes)), dtype=torch.float32))
        self.b = torch.nn.Parameter(torch.zeros(self.n_classes))
        self.input_space = VectorSpace(self.nvis)
        self.output_space = VectorSpace(self.n_classes)

    def fprop(self, X: torch.Tensor) -> torch.Tensor:
        return torch.addmm(self.b, X, self.W)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.fprop(X)

    def get_default_cost(self) -> Cost:
        return HingeLoss()

    def get_monitoring_data_specs(self):
        return self.supervised_data_specs()

    def get_monitoring_channels(self, data: Any) -> dict[str, torch.Tensor]:
        X, Y = data
        return {"misclass": (self.fprop(X).argmax(1) != Y.argmax(1)).float().mean()}

    def get_weights(self) -> np.ndarray:
        return self.W.detach().cpu().numpy()


class HingeLoss(Cost):
    """One-vs-rest hinge loss plus the margin regulariser ``||W||^2 / (2 C)``."""

    supervised = True

    def expr(self, model: Any, data: Any, **kwargs: Any) -> torch.Tensor:
        X, Y = data
        signs = 2 * Y - 1
        hinge = (1 - signs * model.fprop(X)).clamp_min(0).sum(1).mean()
        return hinge + model.W.pow(2).sum() / (2 * model.C)


class DenseMulticlassSVM(InitArgsMixin):
    """One-vs-rest kernel SVMs on dense data (scikit-learn's SVC, one per class).

    Parameters
    ----------
    C : the SVMs' penalty parameter.
    kernel : 'linear', 'rbf', 'poly' or 'sigmoid'.
    tol : stopping tolerance of the solver.
    gamma, coef0, degree : the kernel's parameters (as scikit-learn's SVC).
    """

    def __init__(self, C: float, kernel: str = "linear", tol: float = 1e-3,  # noqa: N803
                 gamma: Any = 1.0, coef0: float = 1.0, degree: int = 3) -> None:
        self.C, self.kernel, self.tol = float(C), kernel, float(tol)
        self.gamma, self.coef0, self.degree = gamma, float(coef0), int(degree)
        self.classes_: np.ndarray | None = None
        self.estimators_: list[Any] = []

    def fit(self, X: np.ndarray, y: np.ndarray) -> DenseMulticlassSVM:
        """Train one binary SVM per class of the integer labels ``y``."""
        from sklearn.svm import SVC

        X, y = np.asarray(X), np.asarray(y).reshape(-1)
        if X.shape[0] != y.shape[0]:
            raise ConfigError(f"DenseMulticlassSVM.fit: {X.shape[0]} examples but "
                              f"{y.shape[0]} labels.")
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ConfigError("DenseMulticlassSVM.fit needs at least two classes.")
        self.estimators_ = [
            SVC(C=self.C, kernel=self.kernel, tol=self.tol, gamma=self.gamma, coef0=self.coef0,
                degree=self.degree).fit(X, (y == c).astype(int))
            for c in self.classes_]
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """(examples, classes) margins of the one-vs-rest SVMs."""
        if not self.estimators_:
            raise ConfigError("DenseMulticlassSVM: call fit before predicting.")
        return np.stack([est.decision_function(np.asarray(X)) for est in self.estimators_], 1)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[self.decision_function(X).argmax(1)]
