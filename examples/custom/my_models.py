"""Tutorial code: a model of your own that trains itself, and a cost of your own.

Use them from YAML after allowing this module:
    PYTHONPATH=examples/custom pylearn2 train --allow my_models examples/custom/running_mean.yaml
"""

from __future__ import annotations

import torch

from pylearn2.costs.cost import Cost
from pylearn2.models.model import Model
from pylearn2.space import VectorSpace


class PrototypeModel(Model):
    """Learns one prototype per class: the class means, updated a little on each pass.

    It trains itself: Train calls ``train_all(dataset)`` while ``continue_learning()``.
    """

    def __init__(self, nvis: int, n_classes: int, step: float = 0.5, passes: int = 5) -> None:
        super().__init__()
        self.nvis, self.n_classes, self.step, self.passes = nvis, n_classes, step, passes
        self.input_space = VectorSpace(nvis)
        self.output_space = VectorSpace(n_classes)
        self.register_buffer("prototypes", torch.zeros(n_classes, nvis))
        self.register_buffer("passes_done", torch.zeros((), dtype=torch.int64))

    def train_all(self, dataset) -> None:
        X = torch.as_tensor(dataset.get_design_matrix())
        y = torch.as_tensor(dataset.get_targets()).reshape(-1)
        means = torch.stack([X[y == k].mean(0) for k in range(self.n_classes)])
        self.prototypes += self.step * (means - self.prototypes)
        self.passes_done += 1

    def continue_learning(self) -> bool:
        return int(self.passes_done) < self.passes

    def fprop(self, X: torch.Tensor) -> torch.Tensor:
        """Class scores: minus the squared distance to each prototype."""
        return -torch.cdist(X, self.prototypes) ** 2

    def training_channels(self) -> dict[str, float]:
        return {"prototype_norm": float(self.prototypes.norm())}


class MulticlassHinge(Cost):
    """A cost of your own: the multiclass hinge loss of an MLP's output scores.

    ``supervised = True`` makes the data (features, targets); ``expr`` returns a 0-d tensor
    and autodiff provides the gradients. Extra monitor channels come from
    ``get_monitoring_channels``.
    """

    supervised = True

    def __init__(self, margin: float = 1.0) -> None:
        self.margin = margin

    def scores(self, model, X: torch.Tensor) -> torch.Tensor:
        for layer in model.layers[:-1]:
            X = layer.fprop(X)
        return model.layers[-1].logits(X)  # the Softmax layer's affine scores

    def expr(self, model, data, **kwargs) -> torch.Tensor:
        X, Y = data
        scores = self.scores(model, X)
        correct = (scores * Y).sum(1, keepdim=True)
        violations = (scores - correct + self.margin).clamp_min(0) * (1 - Y)
        return violations.sum(1).mean()

    def get_monitoring_channels(self, model, data, **kwargs) -> dict[str, torch.Tensor]:
        X, Y = data
        wrong = self.scores(model, X).argmax(1) != Y.argmax(1)
        return {"hinge_misclass": wrong.float().mean()}
