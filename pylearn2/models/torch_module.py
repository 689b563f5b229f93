"""Bring your own ``torch.nn.Module``: any module as a pylearn2 Model.

``TorchModule(module, nvis=784)`` (or ``input_space=...``) wraps a module so Train, SGD,
the monitor and the analysis tools can use it. The output space is inferred by running
the module once; ``cost`` defaults to :class:`TorchClassificationCost` (cross-entropy of
the module's outputs read as logits), which also gives ``misclass`` and ``nll`` channels.
From YAML::

    model: !obj:pylearn2.models.torch_module.TorchModule {
        nvis: 64,
        layers: [!obj:torch.nn.Linear {in_features: 64, out_features: 32},
                 !obj:torch.nn.ReLU {}, !obj:torch.nn.Linear {in_features: 32, out_features: 10}],
    }

Modules built from YAML are saved as their YAML text (rebuilt through the same safe
loader and allowlist); a module built in Python is saved when it is given as
``module_yaml`` text, otherwise export its weights (``pylearn2 export --format state_dict``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from pylearn2.costs.cost import Cost
from pylearn2.models.model import Model
from pylearn2.space import Space, VectorSpace
from pylearn2.utils.exc import ConfigError

__all__ = ["TorchClassificationCost", "TorchModule", "wrap_hint"]


def wrap_hint(obj: Any) -> str:
    """The message for a plain module (or anything else) given where a Model is expected."""
    name = type(obj).__name__
    if isinstance(obj, torch.nn.Module):
        return (f"the model is a plain torch.nn.Module ({name}), not a pylearn2 Model; wrap it: "
                "in YAML, model: !obj:pylearn2.models.torch_module.TorchModule {module: <your "
                "module>, nvis: <inputs per example>} (or layers: [...]); in Python, "
                "TorchModule(module, nvis=...). The output space and a classification cost "
                "are inferred; give cost: to the algorithm for anything else.")
    return (f"the model is a {name}, not a pylearn2 Model; give a model such as "
            "!obj:pylearn2.models.mlp.MLP {...} or wrap a torch.nn.Module with "
            "!obj:pylearn2.models.torch_module.TorchModule {module: ..., nvis: ...}.")


class TorchModule(Model):
    """A ``torch.nn.Module`` as a Model.

    Parameters
    ----------
    module : torch.nn.Module, optional
        The network; its ``forward`` maps a batch in ``input_space`` to outputs.
    layers : list of torch.nn.Module, optional
        Instead of ``module``: modules applied in order (a ``torch.nn.Sequential``).
    nvis : int, optional
        Inputs per example (short for ``input_space: VectorSpace(nvis)``).
    input_space : Space, optional
        The space of the module's input (e.g. a Conv2DSpace with axes ('b', 'c', 0, 1)).
    output_space : Space, optional
        Inferred by running the module on a zero batch when not given.
    module_yaml : str, optional
        YAML text that builds the module (used by model files; set automatically for
        modules built from YAML).
    """

    def __init__(self, module: torch.nn.Module | None = None,
                 layers: Sequence[torch.nn.Module] | None = None, nvis: int | None = None,
                 input_space: Space | None = None, output_space: Space | None = None,
                 module_yaml: str | None = None) -> None:
        super().__init__()
        given = [a for a in (module, layers, module_yaml) if a is not None]
        if len(given) != 1:
            raise ConfigError("TorchModule needs exactly one of module, layers or module_yaml.")
        if module_yaml is not None:
            from pylearn2.config import yaml_parse

            module = yaml_parse.load(module_yaml, source="TorchModule.module_yaml")
        elif layers is not None:
            bad = [type(x).__name__ for x in layers if not isinstance(x, torch.nn.Module)]
            if bad:
                raise ConfigError(f"TorchModule: layers must be torch.nn.Module objects; got "
                                  f"{', '.join(bad)}.")
            module = torch.nn.Sequential(*layers)
            source = _yaml_of_list(layers)
            if source is not None:
                module.yaml_src = source
        if not isinstance(module, torch.nn.Module):
            raise ConfigError(f"TorchModule: module must be a torch.nn.Module, got "
                              f"{type(module).__name__}.")
        if (nvis is None) == (input_space is None):
            raise ConfigError("TorchModule needs exactly one of nvis or input_space.")
        self.module = module
        self.input_space = VectorSpace(int(nvis)) if nvis is not None else input_space
        self.output_space = output_space if output_space is not None else self._infer_output()
        self._record_structure(module_yaml or getattr(module, "yaml_src", None))

    def _record_structure(self, source: str | None) -> None:
        """Keep the module as YAML text in the constructor arguments the model file stores
        (written from the module itself when it is made of common torch.nn layers); other
        modules stay as given, which rebuilds in memory but cannot go into a model file."""
        source = source or describe_module(self.module)
        if source is None:
            return
        args = self._init_args
        for key in ("module", "layers"):
            args.pop(key, None)
        args["module_yaml"] = source

    def _infer_output(self) -> Space:
        probe = self.input_space.get_origin_batch(2) if hasattr(self.input_space,
                                                                "get_origin_batch") else None
        if probe is None:
            probe = torch.zeros(2, self.input_space.get_total_dimension())
        probe = torch.as_tensor(probe, dtype=torch.float32)
        try:
            with torch.no_grad():
                out = self.module(probe)
        except Exception as err:
            raise ConfigError(f"TorchModule: running the module on a batch from the input space "
                              f"{self.input_space} failed ({type(err).__name__}: {err}); check "
                              "nvis/input_space against the module's first layer.") from None
        if out.ndim != 2:
            raise ConfigError(f"TorchModule: the module returns outputs of shape "
                              f"{tuple(out.shape)}; give output_space for non-vector outputs.")
        return VectorSpace(int(out.shape[1]))

    def fprop(self, state_below: torch.Tensor) -> torch.Tensor:
        return self.module(state_below)

    def forward(self, state_below: torch.Tensor) -> torch.Tensor:
        return self.module(state_below)

    def get_default_cost(self) -> Cost:
        return TorchClassificationCost()

    def get_monitoring_data_specs(self) -> tuple[Space, Any]:
        return self.supervised_data_specs()

    def get_monitoring_channels(self, data: Any) -> dict[str, torch.Tensor]:
        X, Y = data
        logits = self.fprop(X)
        labels = _labels(Y, logits.shape[1])
        return {"misclass": (logits.argmax(1) != labels).float().mean(),
                "nll": F.cross_entropy(logits, labels)}

    def get_weights(self) -> Any:
        for param in self.module.parameters():
            if param.ndim == 2:  # torch Linear stores (out, in): one row per unit
                return param.detach().cpu().numpy()
        raise NotImplementedError("This module has no 2-d first-layer weight.")

    def get_weights_format(self) -> tuple[str, str]:
        return ("h", "v")


_DESCRIBED = {  # torch.nn class -> the attributes that are its constructor arguments
    "Linear": ("in_features", "out_features"), "ReLU": (), "Tanh": (), "Sigmoid": (),
    "Softplus": ("beta", "threshold"), "Dropout": ("p",), "Flatten": ("start_dim", "end_dim"),
    "LeakyReLU": ("negative_slope",), "Identity": (),
}


def describe_module(module: torch.nn.Module) -> str | None:
    """YAML text that rebuilds ``module`` when it is a common torch.nn layer or a Sequential
    of them (None otherwise). Weights are not part of it; they come from the model file."""
    name = type(module).__name__
    if type(module) is torch.nn.Sequential:
        parts = [describe_module(child) for child in module]
        if any(p is None for p in parts):
            return None
        return "!obj:pylearn2.models.torch_module.Sequential {modules: [" + ", ".join(parts) + "]}"
    if type(module).__module__.startswith("torch.nn") and name in _DESCRIBED:
        args = {a: getattr(module, a) for a in _DESCRIBED[name]}
        if name == "Linear":
            args["bias"] = module.bias is not None
        text = ", ".join(f"{k}: {v!r}".replace("True", "true").replace("False", "false")
                         for k, v in args.items())
        return f"!obj:torch.nn.{name} {{{text}}}"
    return None


def _yaml_of_list(layers: Sequence[torch.nn.Module]) -> str | None:
    sources = [getattr(layer, "yaml_src", None) for layer in layers]
    if any(s is None for s in sources):
        return None
    items = "\n".join("  - " + s.replace("\n", "\n    ") for s in sources)
    return f"!obj:pylearn2.models.torch_module.Sequential\n  modules:\n{items}"


def Sequential(modules: Sequence[torch.nn.Module]) -> torch.nn.Sequential:
    """``torch.nn.Sequential`` with its modules as one keyword argument (for YAML)."""
    return torch.nn.Sequential(*modules)


def _labels(Y: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Integer labels from one-hot rows or an (N, 1)/(N,) label column."""
    if Y.ndim == 2 and Y.shape[1] == n_classes and n_classes > 1:
        return Y.argmax(1)
    return Y.reshape(-1).long()


class TorchClassificationCost(Cost):
    """Mean cross-entropy of a model's outputs read as logits (targets one-hot or labels)."""

    supervised = True

    def expr(self, model: Any, data: Any, **kwargs: Any) -> torch.Tensor:
        X, Y = data
        logits = model.fprop(X)
        return F.cross_entropy(logits, _labels(Y, logits.shape[1]))

    def get_data_specs(self, model: Any) -> tuple[Space, Any]:
        return model.supervised_data_specs()


