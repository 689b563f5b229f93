"""Conditional distributions of a VAE, each computed by an MLP plus an output layer."""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from pylearn2.models.mlp import Linear
from pylearn2.models.model import Model
from pylearn2.space import VectorSpace
from pylearn2.utils.exc import ConfigError


class Conditional(Model):
    """p(out | in): ``mlp`` maps the input to features; an added Linear layer maps them to
    the distribution's parameters. :meth:`initialize` is called by the VAE."""

    params_per_unit = 1

    def __init__(self, mlp: Any, name: str, output_layer_irange: float = 0.01,
                 output_layer_required: bool = True) -> None:
        super().__init__()
        self.mlp = mlp
        self.name = name
        self.output_layer_irange = output_layer_irange
        self.output_layer_required = output_layer_required

    def initialize(self, input_dim: int, output_dim: int) -> None:
        """Give the MLP its input; add the output layer unless the MLP's own last layer
        already gives the distribution's parameters (``output_layer_required=False``)."""
        self.output_dim = int(output_dim)
        self.mlp.set_input_space(VectorSpace(int(input_dim)))
        if not self.output_layer_required:
            got = self.mlp.get_output_space().get_total_dimension()
            if got != self.params_per_unit * self.output_dim:
                raise ConfigError(f"Conditional {self.name!r}: output_layer_required is false, "
                                  f"so the MLP must output {self.params_per_unit * self.output_dim}"
                                  f" parameters, but it outputs {got}.")
            return
        self.mlp.add_layers([Linear(dim=self.params_per_unit * self.output_dim,
                                    layer_name=f"{self.name}_params",
                                    irange=self.output_layer_irange)])

    def parameters_of(self, x: torch.Tensor) -> torch.Tensor:
        """Distribution parameters for inputs with any leading dimensions."""
        flat = self.mlp.fprop(x.reshape(-1, x.shape[-1]))
        return flat.reshape(tuple(x.shape[:-1]) + (flat.shape[-1],))


class BernoulliVector(Conditional):
    """Independent Bernoulli outputs with logits from the MLP."""

    def log_likelihood(self, target: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        target = target.expand_as(params)
        return -F.binary_cross_entropy_with_logits(params, target, reduction="none").sum(-1)

    def means(self, params: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(params)


class DiagonalGaussian(Conditional):
    """Independent Gaussian outputs: the MLP gives means and log standard deviations."""

    params_per_unit = 2

    def split(self, params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_sigma = params.chunk(2, dim=-1)
        return mean, log_sigma

    def log_likelihood(self, target: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        mean, log_sigma = self.split(params)
        z = (target - mean) / log_sigma.exp()
        return (-0.5 * z ** 2 - log_sigma - 0.5 * math.log(2 * math.pi)).sum(-1)

    def rsample(self, params: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        """Reparameterised samples ``mean + sigma * eps`` (differentiable in the params)."""
        mean, log_sigma = self.split(params)
        return mean + log_sigma.exp() * eps

    def means(self, params: torch.Tensor) -> torch.Tensor:
        return self.split(params)[0]
