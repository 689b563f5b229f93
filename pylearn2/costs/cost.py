"""Costs: the objective a training algorithm minimises, plus its gradients.

``expr(model, data)`` returns a 0-d tensor (or None when the value is intractable).
``get_gradients(model, data)`` returns ``(grads, updates)``: by default the autodiff
gradients of ``expr``; costs whose value is intractable (e.g. contrastive divergence)
override it and return any estimate they like. ``updates`` maps tensors to new values
applied in place after the step (e.g. persistent Markov chains).

Gradients that are not the derivative of the value: override :meth:`Cost.get_gradients`
and return ``({param: tensor}, updates)`` for the parameters the cost moves (missing
parameters get no update from this cost). ``expr`` may still return a value to monitor,
or None. SGD follows the returned gradients; :class:`SumOfCosts` adds them with its
coefficients; BGD uses them for its search directions and ``expr`` for its line search.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import torch

from pylearn2.costs.fixed_var import FixedVarDescr, FixedVarDescrDataSpecsError, merge  # noqa: F401,E501
from pylearn2.space import CompositeSpace, NullSpace, Space
from pylearn2.utils.data_specs_util import merge_data_specs, select_from_flat
from pylearn2.utils.exc import ConfigError, did_you_mean
from pylearn2.utils.init_args import InitArgsMixin
from pylearn2.utils.rng import DeviceGenerator

Gradients = dict[torch.nn.Parameter, torch.Tensor]


class Cost(InitArgsMixin):
    """Base class for objectives. Subclasses implement :meth:`expr` or :meth:`get_gradients`."""

    supervised = False

    def expr(self, model, data: Any, **kwargs: Any) -> torch.Tensor | None:
        """Extension point: the objective on one batch ``data`` (laid out as
        :meth:`get_data_specs` asks) as a 0-d tensor, or None when it has no value."""
        raise NotImplementedError(f"{type(self).__name__} does not implement expr().")

    def get_gradients(self, model, data: Any, **kwargs: Any) -> tuple[Gradients, dict]:
        """Gradients of :meth:`expr` w.r.t. the model's trainable parameters."""
        value = self.expr(model, data, **kwargs)
        self.last_batch_value = None if value is None else value.detach()  # progress display
        if value is None:
            raise NotImplementedError(
                f"{type(self).__name__}.expr() returned None (intractable value), so the cost "
                "must override get_gradients() to supply its own gradient estimate."
            )
        params = model.get_params()
        grads = torch.autograd.grad(value, params, allow_unused=True)
        return {p: (g if g is not None else torch.zeros_like(p)) for p, g in zip(params, grads)}, {}

    def has_custom_gradients(self) -> bool:
        """True when :meth:`get_gradients` is not plain autodiff of :meth:`expr`."""
        return type(self).get_gradients is not Cost.get_gradients

    def get_monitoring_channels(self, model, data: Any, **kwargs: Any) -> dict[str, torch.Tensor]:
        """Extension point: extra channels (name -> 0-d tensor) for one batch."""
        return {}

    def monitoring_expr(self, model, data: Any, **kwargs: Any) -> torch.Tensor | None:
        """The value the monitor records as ``objective`` (stochastic costs drop their noise)."""
        return self.expr(model, data, **kwargs)

    def get_data_specs(self, model) -> tuple[Space, Any]:
        """Extension point: ``(space, source)`` of the data :meth:`expr` wants."""
        if self.supervised:
            return model.supervised_data_specs()
        return (model.get_input_space(), model.get_input_source())

    def is_stochastic(self) -> bool:
        """Whether the cost draws random numbers (BGD refuses stochastic costs)."""
        return False

    def state_dict(self) -> dict[str, Any]:
        """Random generators and counters needed for exact resume (default: none)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`'s output."""
        pass


class StochasticCost(Cost):
    """A cost that draws random numbers from its own seeded generator, which lives on the
    data's device and whose state is saved for exact resume."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._rng = DeviceGenerator(self.seed)

    def generator(self, device: torch.device) -> torch.Generator:
        return self._rng.get(device)

    def is_stochastic(self) -> bool:
        return True

    def state_dict(self) -> dict[str, Any]:
        return self._rng.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._rng.load_state_dict(state)


class DefaultDataSpecsMixin:
    """Marker kept for compatibility: :class:`Cost` already provides these data specs."""


class NullDataSpecsMixin:
    """A cost that reads no data (e.g. a weight penalty)."""

    def get_data_specs(self, model) -> tuple[Space, Any]:
        return (NullSpace(), "")


class SumOfCosts(Cost):
    """A weighted sum of costs: ``costs`` holds Cost objects or ``[coeff, Cost]`` pairs."""

    def __init__(self, costs: Sequence[Any]) -> None:
        if isinstance(costs, Cost):
            raise ConfigError("SumOfCosts expects a list of costs, got a single Cost.")
        self.costs: list[Cost] = []
        self.coeffs: list[float] = []
        for item in costs:
            if isinstance(item, (list, tuple)):
                if len(item) != 2 or not isinstance(item[1], Cost):
                    raise ConfigError(f"SumOfCosts items are Cost or [coeff, Cost], got {item!r}.")
                coeff, cost = item
            else:
                coeff, cost = 1.0, item
            if not isinstance(cost, Cost):
                raise ConfigError(f"SumOfCosts items must be Costs, got {cost!r}.")
            self.costs.append(cost)
            self.coeffs.append(float(coeff))
        self.supervised = any(c.supervised for c in self.costs)

    def get_data_specs(self, model) -> tuple[Space, Any]:
        return merge_data_specs([c.get_data_specs(model) for c in self.costs])

    def _split(self, model, data: Any) -> list[Any]:
        space, source = self.get_data_specs(model)
        return [select_from_flat((space, source), data, c.get_data_specs(model)) for c in self.costs]

    def expr(self, model, data: Any, **kwargs: Any) -> torch.Tensor | None:
        return self._combine("expr", model, data, **kwargs)

    def monitoring_expr(self, model, data: Any, **kwargs: Any) -> torch.Tensor | None:
        return self._combine("monitoring_expr", model, data, **kwargs)

    def _combine(self, method: str, model, data: Any, **kwargs: Any) -> torch.Tensor | None:
        parts = zip(self.costs, self._split(model, data))
        values = [getattr(c, method)(model, d, **kwargs) for c, d in parts]
        if any(v is None for v in values):
            return None
        return sum(coeff * v for coeff, v in zip(self.coeffs, values))

    def has_custom_gradients(self) -> bool:
        return any(c.has_custom_gradients() for c in self.costs)

    def get_gradients(self, model, data: Any, **kwargs: Any) -> tuple[Gradients, dict]:
        if not self.has_custom_gradients():
            return super().get_gradients(model, data, **kwargs)
        total: Gradients = {}
        updates: dict = {}
        for coeff, cost, d in zip(self.coeffs, self.costs, self._split(model, data)):
            grads, ups = cost.get_gradients(model, d, **kwargs)
            updates.update(ups)
            for p, g in grads.items():
                total[p] = total[p] + coeff * g if p in total else coeff * g
        return total, updates

    def get_monitoring_channels(self, model, data: Any, **kwargs: Any) -> dict[str, torch.Tensor]:
        channels: dict[str, torch.Tensor] = {}
        for i, (cost, d) in enumerate(zip(self.costs, self._split(model, data))):
            channels.update(cost.get_monitoring_channels(model, d, **kwargs))
            value = cost.monitoring_expr(model, d, **kwargs)
            if value is not None:
                name = getattr(cost, "name", None)
                channels[f"term_{i}" + (f"_{name}" if name else "")] = value.detach()
        return channels

    def is_stochastic(self) -> bool:
        return any(c.is_stochastic() for c in self.costs)

    def state_dict(self) -> dict[str, Any]:
        return {str(i): c.state_dict() for i, c in enumerate(self.costs)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for i, c in enumerate(self.costs):
            c.load_state_dict(state.get(str(i), {}))


class MethodCost(Cost):
    """Calls ``getattr(model, method)(data)``; data specs from ``model.<method>_data_specs``."""

    def __init__(self, method: str, data_specs: str | None = None) -> None:
        self.method = method
        self.data_specs = data_specs

    def _method(self, model):
        if not hasattr(model, self.method):
            raise ConfigError(f"MethodCost: {type(model).__name__} has no method {self.method!r}.")
        return getattr(model, self.method)

    def expr(self, model, data: Any, **kwargs: Any) -> torch.Tensor:
        return self._method(model)(data)

    def get_data_specs(self, model) -> tuple[Space, Any]:
        name = self.data_specs or f"{self.method}_data_specs"
        specs = getattr(model, name, None)
        if specs is None:
            raise ConfigError(
                f"MethodCost({self.method!r}): {type(model).__name__} has no attribute {name!r} "
                "giving the data specs; pass data_specs: '<attribute name>'."
            )
        return specs() if callable(specs) else specs


class LpPenalty(NullDataSpecsMixin, Cost):
    """``sum_v sum(|v|^p)`` over ``variables``: tensors, or names of the model's parameters
    (``'layers.0.W'``, as listed by ``model.named_parameters()``) for use from YAML."""

    def __init__(self, variables: Sequence[torch.Tensor | str], p: float) -> None:
        if isinstance(variables, (str, torch.Tensor)):
            variables = [variables]
        if not float(p) > 0:
            raise ConfigError(f"LpPenalty: p must be positive, got {p}.")
        self.variables = list(variables)
        self.p = p

    def _tensors(self, model) -> list[torch.Tensor]:
        named = dict(model.named_parameters()) if model is not None else {}
        out = []
        for v in self.variables:
            if isinstance(v, str):
                if v not in named:
                    raise ConfigError(f"LpPenalty: the model has no parameter {v!r}."
                                      f"{did_you_mean(v, named)} Parameters: "
                                      f"{', '.join(named) or '(none)'}.")
                out.append(named[v])
            else:
                out.append(v)
        return out

    def expr(self, model, data: Any = None, **kwargs: Any) -> torch.Tensor:
        return cast(torch.Tensor, sum(v.abs().pow(self.p).sum() for v in self._tensors(model)))


__all__ = ["Cost", "StochasticCost", "SumOfCosts", "MethodCost", "LpPenalty", "DefaultDataSpecsMixin",
           "NullDataSpecsMixin", "CompositeSpace"]
