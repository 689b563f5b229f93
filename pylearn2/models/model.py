"""The Model base class: parameters plus the spaces they read and write.

A Model is a ``torch.nn.Module`` that also says which Space its input and output live
in, which monitoring channels it offers and which Cost trains it by default. Models
either train themselves (``train_all(dataset)`` while ``continue_learning()``, e.g.
k-means) or are trained by a TrainingAlgorithm with a Cost. Models hold little logic of
their own: the loop, the update rule and the objective live elsewhere.
"""

from __future__ import annotations

from typing import Any

import torch

from pylearn2.space import CompositeSpace, NullSpace, Space
from pylearn2.utils.init_args import InitArgsMixin


class Model(InitArgsMixin, torch.nn.Module):
    """Base class for everything with parameters that pylearn2 can train or load."""

    _input_source = "features"
    _target_source = "targets"
    input_space: Space
    output_space: Space

    def __init__(self, extensions: list[Any] | None = None) -> None:
        """``extensions``: the original's model extensions, objects with
        ``post_modify_updates(updates, model)``, run after every update on the proposed
        new parameter values (``{param: tensor}``; changes are written back)."""
        torch.nn.Module.__init__(self)
        self.extensions = list(extensions or [])
        self.monitor = None
        self.dataset_yaml_src: str | None = None
        self.tag: dict[str, Any] = {}
        self.force_batch_size: int | None = None

    # -- spaces and sources -------------------------------------------------------------
    def get_input_space(self) -> Space:
        """The Space the model reads (extension point: set ``self.input_space``)."""
        return self.input_space

    def get_output_space(self) -> Space:
        """The Space the model writes."""
        return self.output_space

    def get_target_space(self) -> Space:
        """The Space of the targets (the output space unless overridden)."""
        return self.get_output_space()

    def get_input_source(self) -> str:
        """The dataset source the model reads (``'features'``)."""
        return self._input_source

    def get_target_source(self) -> str:
        """The dataset source of the targets (``'targets'``)."""
        return self._target_source

    # -- parameters -------------------------------------------------------------------
    def get_params(self) -> list[torch.nn.Parameter]:
        """The trainable parameters (those with ``requires_grad``)."""
        return [p for p in self.parameters() if p.requires_grad]

    def get_param_values(self) -> list[Any]:
        """The trainable parameters as numpy copies, in :meth:`get_params` order."""
        return [p.detach().cpu().numpy().copy() for p in self.get_params()]

    def set_param_values(self, values: list[Any]) -> None:
        """Copy numpy values into the trainable parameters (same order and shapes)."""
        with torch.no_grad():
            for p, v in zip(self.get_params(), values, strict=True):
                p.copy_(torch.as_tensor(v, dtype=p.dtype))

    def get_lr_scalers(self) -> dict[torch.nn.Parameter, float]:
        """Per-parameter learning-rate multipliers (missing parameters use 1)."""
        scalers: dict[torch.nn.Parameter, float] = {}
        for child in self.submodels():
            scalers.update(child.get_lr_scalers())
        return scalers

    def enforce_constraints(self) -> None:
        """Apply norm constraints and the like to the parameters, in place."""
        for child in self.submodels():
            child.enforce_constraints()

    def has_constraints(self) -> bool:
        """Whether :meth:`enforce_constraints` does anything (lets the hot path skip it).

        True whenever the class overrides ``enforce_constraints``, so a model that writes
        one gets it applied after every update without anything else to set; a class that
        can tell it has nothing to do (e.g. no max norm given) overrides this too."""
        if type(self).enforce_constraints is not Model.enforce_constraints:
            return True
        return any(child.has_constraints() for child in self.submodels())

    def constraint_targets(self) -> list[Model]:
        """The models whose own ``enforce_constraints`` does the work, found once so the
        training step calls them directly instead of walking the module tree per step
        (a model that overrides ``enforce_constraints`` is taken whole, its children
        left to it; the rest are looked through). Empty when nothing is constrained."""
        if not self.has_constraints():
            return []
        if type(self).enforce_constraints is not Model.enforce_constraints:
            return [self]
        return [target for child in self.submodels() for target in child.constraint_targets()]

    def submodels(self) -> list[Model]:
        """The nearest Model descendants (looking through ModuleLists and plain Modules)."""
        found: list[Model] = []
        stack = list(self.children())[::-1]
        while stack:
            module = stack.pop()
            if isinstance(module, Model):
                found.append(module)
            else:
                stack.extend(list(module.children())[::-1])
        return found

    # -- training interface ---------------------------------------------------------------
    def get_default_cost(self):
        """Extension point: the Cost that trains this model when none is given."""
        raise NotImplementedError(
            f"{type(self).__name__} has no default cost; give the algorithm a `cost:`."
        )

    def train_all(self, dataset) -> None:
        """One round of self-training on ``dataset`` (models trained without an algorithm)."""
        raise NotImplementedError(
            f"{type(self).__name__} does not train itself; give Train an `algorithm:` "
            "(e.g. !obj:pylearn2.training_algorithms.sgd.SGD)."
        )

    def continue_learning(self) -> bool:
        """Whether self-training should go on (models trained without an algorithm)."""
        raise NotImplementedError(f"{type(self).__name__} does not train itself.")

    def set_batch_size(self, batch_size: int) -> None:
        """Resize a model that needs a fixed batch size (``force_batch_size``).

        Models without a fixed size accept any batch and ignore the call; models whose
        buffers depend on the size override this and call it.
        """
        if self.force_batch_size is not None:
            self.force_batch_size = int(batch_size)

    # -- monitoring -----------------------------------------------------------------------
    def get_monitoring_data_specs(self) -> tuple[Space, Any]:
        """The (space, source) that :meth:`get_monitoring_channels` reads."""
        return (NullSpace(), "")

    def get_monitoring_channels(self, data: Any) -> dict[str, torch.Tensor]:
        """Named 0-d tensors computed on one batch; the monitor averages them."""
        return {}

    def get_param_monitoring_channels(self) -> dict[str, torch.Tensor]:
        """Extension point: channels that depend on the parameters alone (weight norms).

        The monitor records them once per monitor call under unprefixed names
        (``h0_col_norms_max``); the per-dataset names the original used
        (``valid_h0_col_norms_max``) resolve to them (see :class:`pylearn2.monitor.Monitor`).
        Per-batch channel functions leave them out while the monitor records them."""
        return {}

    # -- weights for viewers ---------------------------------------------------------------
    def get_weights(self) -> Any:
        """The first layer's weights as a numpy array (for the weight viewers)."""
        raise NotImplementedError(f"{type(self).__name__} does not expose first-layer weights.")

    def get_weights_format(self) -> tuple[str, str]:
        """How :meth:`get_weights` lays out its axes, e.g. ``('v', 'h')``."""
        return ("v", "h")

    def get_weights_topo(self) -> Any:
        """The weights as images ``(n, rows, cols, channels)`` (topological inputs)."""
        raise NotImplementedError(
            f"{type(self).__name__} does not expose topological first-layer weights."
        )

    def supervised_data_specs(self) -> tuple[Space, tuple[str, str]]:
        """(input, target) data specs for supervised costs and channels."""
        space = CompositeSpace([self.get_input_space(), self.get_target_space()])
        return (space, (self.get_input_source(), self.get_target_source()))

    def device(self) -> torch.device:
        """The device of the first parameter or buffer (CPU when there are none)."""
        for tensor in self.parameters():
            return tensor.device
        for buffer in self.buffers():
            return buffer.device
        return torch.device("cpu")
