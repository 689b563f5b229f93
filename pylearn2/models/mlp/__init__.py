"""Multilayer perceptrons: the MLP container and its layers.

``!obj:pylearn2.models.mlp.MLP``, ``...mlp.Softmax``, ``...mlp.RectifiedLinear`` and the
other layer names resolve here; each family lives in its own module.
"""

from pylearn2.models.mlp.conv import (
    ConvElemwise,
    ConvRectifiedLinear,
    IdentityConvNonlinearity,
    MaxoutConvC01B,
    RectifierConvNonlinearity,
    SigmoidConvNonlinearity,
    TanhConvNonlinearity,
    max_pool,
    mean_pool,
)
from pylearn2.models.mlp.dense import (
    Linear,
    RectifiedLinear,
    Sigmoid,
    Softplus,
    Tanh,
)
from pylearn2.models.mlp.dropout_average import (  # noqa: F401,E501
    exhaustive_dropout_average,
    generate_dropout_mask,
    geometric_mean_prediction,
    sampled_dropout_average,
)
from pylearn2.models.mlp.extras import (  # noqa: F401,E501
    BadInputSpaceError,
    ConvNonlinearity,
    L1WeightDecay,
    LinearGaussian,
    SoftmaxPool,
    WeightDecay,
    WindowLayer,
    beta_from_design,
    beta_from_features,
    beta_from_targets,
    get_lr_scalers_from_layers,
    max_pool_c01b,
    mean_of_targets,
    pool_dnn,
)
from pylearn2.models.mlp.layer import Layer, apply_dropout
from pylearn2.models.mlp.maxout import Maxout
from pylearn2.models.mlp.mlp import MLP
from pylearn2.models.mlp.softmax import Softmax
from pylearn2.models.mlp.structure import (
    CompositeLayer,
    FlattenerLayer,
    PretrainedLayer,
    SpaceConverter,
)

__all__ = [
    "Layer", "MLP", "Linear", "Tanh", "Sigmoid", "RectifiedLinear", "Softplus", "Softmax",
    "apply_dropout", "Maxout", "ConvElemwise", "ConvRectifiedLinear", "MaxoutConvC01B",
    "IdentityConvNonlinearity", "RectifierConvNonlinearity", "SigmoidConvNonlinearity",
    "TanhConvNonlinearity", "max_pool", "mean_pool", "PretrainedLayer", "CompositeLayer",
    "FlattenerLayer", "SpaceConverter",
]
