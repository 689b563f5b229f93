"""Deep Boltzmann machines (``!obj:pylearn2.models.dbm.DBM`` and its layers).

Energy ``E = sum_layers expected_energy_term``: ``-b_v.v`` for binary visible units and
``-b.d - u_below W d`` for each hidden layer (``u``: upward state of the layer below,
``d``: this layer's downward state). Inference procedures (``inference_procedure``) run
mean field; sampling procedures (``sampling_procedure``) run block Gibbs; ``dbm.ais``
estimates log Z. A one-hidden-layer DBM with pool size 1 is an RBM (``stitch_rbms``
builds a DBM from RBMs).
"""

from __future__ import annotations

from pylearn2.models.dbm.dbm import DBM
from pylearn2.models.dbm.inference_procedure import (
    BiasInit,
    InferenceProcedure,
    MoreConsistent,
    MoreConsistent2,
    SuperWeightDoubling,
    UpDown,
    WeightDoubling,
    block,
    flatten,
)
from pylearn2.models.dbm.layer import (
    BinaryVector,
    BinaryVectorMaxPool,
    CompositeLayer,
    GaussianVisLayer,
    HiddenLayer,
    Layer,
    Softmax,
    VisibleLayer,
    init_sigmoid_bias_from_array,
    init_sigmoid_bias_from_marginals,
    init_tanh_bias_from_marginals,
)
from pylearn2.models.dbm.sampling_procedure import GibbsEvenOdd, SamplingProcedure
from pylearn2.models.dbm.tools import DBMSampler, stitch_rbms

__all__ = ["DBM", "BinaryVector", "BinaryVectorMaxPool", "Softmax", "GaussianVisLayer",
           "CompositeLayer",
           "Layer", "VisibleLayer", "HiddenLayer", "InferenceProcedure", "WeightDoubling",
           "SuperWeightDoubling", "MoreConsistent", "MoreConsistent2", "BiasInit", "UpDown",
           "SamplingProcedure", "GibbsEvenOdd", "block", "flatten", "stitch_rbms", "DBMSampler",
           "init_sigmoid_bias_from_marginals", "init_sigmoid_bias_from_array",
           "init_tanh_bias_from_marginals"]
