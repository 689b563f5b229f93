"""Contract checks over every built-in Model, Layer, Cost and extension class.

The classes are discovered by walking the pylearn2 package, so a class added later is
checked without anyone listing it. A class that cannot be built without arguments needs an
entry in EXAMPLE_ARGS (a function returning its keyword arguments); a class that is only
a base for others goes in ABSTRACT. Checks, in the spirit of scikit-learn's check_estimator:

- constructor arguments are stored (``_init_args``) and rebuild an equal object;
- state survives a round trip: a Model through a model file (serial.save/load), a Cost or
  extension through the checkpoint's state tree (serial.to_jsonable/from_jsonable);
- ``has_constraints()`` is consistent: when it says no, ``enforce_constraints()`` leaves
  every parameter unchanged (and overriding ``enforce_constraints`` makes it say yes).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import pylearn2
from pylearn2.costs.cost import Cost
from pylearn2.models.mlp import MLP, Layer
from pylearn2.models.model import Model
from pylearn2.space import VectorSpace
from pylearn2.train_extensions.base import TrainExtension
from pylearn2.utils import serial
from pylearn2.utils.init_args import get_init_args

SKIP_PACKAGES = ("pylearn2.scripts",)


def _corruptor():
    from pylearn2.corruption import BinomialCorruptor

    return BinomialCorruptor(corruption_level=0.2)


def _gaussian_corruptor():
    from pylearn2.corruption import GaussianCorruptor

    return GaussianCorruptor(stdev=0.4)


def _ae(**extra):
    return {"nvis": 4, "nhid": 3, "act_enc": "sigmoid", "act_dec": None, **extra}


def _autoencoder(**extra):
    from pylearn2.models.autoencoder import Autoencoder

    return Autoencoder(**_ae(**extra))


def _mean_bce():
    from pylearn2.costs.autoencoder import MeanBinaryCrossEntropy

    return MeanBinaryCrossEntropy()


def _mlp(nvis=4):
    from pylearn2.models.mlp import MLP, Linear

    return MLP(nvis=nvis, layers=[Linear(dim=2, layer_name="out", irange=0.1)])


def _linear():
    from pylearn2.models.mlp import Linear

    return Linear(dim=3, layer_name="inner", irange=0.1)


def _rbm():
    from pylearn2.models.rbm import RBM

    return RBM(nvis=4, nhid=3)


def _vae_parts():
    from pylearn2.models.mlp import MLP, Linear
    from pylearn2.models.vae.conditional import BernoulliVector, DiagonalGaussian
    from pylearn2.models.vae.prior import DiagonalGaussianPrior

    return {"prior": DiagonalGaussianPrior(),
            "conditional": BernoulliVector(mlp=MLP(layers=[Linear(dim=4, layer_name="c",
                                                                 irange=0.1)]),
                                           name="conditional"),
            "posterior": DiagonalGaussian(mlp=MLP(layers=[Linear(dim=4, layer_name="p",
                                                               irange=0.1)]),
                                          name="posterior")}


def _vae_conditional():
    from pylearn2.models.mlp import MLP, Linear

    return {"mlp": MLP(layers=[Linear(dim=4, layer_name="h", irange=0.1)]), "name": "c"}


# Keyword arguments for the classes that need some; short names below pylearn2.
EXAMPLE_ARGS: dict[str, Callable[[], dict[str, Any]]] = {
    "costs.autoencoder.SampledMeanBinaryCrossEntropy": lambda: {"L1": 0.1, "ratio": 0.5},
    "costs.autoencoder.SampledMeanSquaredReconstructionError": lambda: {"L1": 0.1, "ratio": 0.5},
    "costs.autoencoder.SparseActivation": lambda: {"coeff": 0.1, "p": 0.05},
    "costs.cost.LpPenalty": lambda: {"variables": [], "p": 2},
    "costs.cost.MethodCost": lambda: {"method": "cost_from_X"},
    "costs.cost.SumOfCosts": lambda: {"costs": []},
    "costs.dbm.MF_L1_ActCost": lambda: {"targets": [0.1], "coeffs": [1.0]},
    "costs.dbm.MF_L2_ActCost": lambda: {"targets": [0.1], "coeffs": [1.0]},
    "costs.dbm.PCD": lambda: {"num_chains": 4, "num_gibbs_steps": 1},
    "costs.dbm.TorontoSparsity": lambda: {"targets": [0.1], "coeffs": [1.0]},
    "costs.dbm.VariationalCD": lambda: {"num_chains": 4, "num_gibbs_steps": 1},
    "costs.dbm.VariationalPCD": lambda: {"num_chains": 4, "num_gibbs_steps": 1},
    "costs.dbm.VariationalPCD_VarianceReduction": lambda: {"num_chains": 4,
                                                            "num_gibbs_steps": 1},
    "costs.dbm.WeightDecay": lambda: {"coeffs": [0.1]},
    "costs.ebm_estimation.CDk": lambda: {"nsteps": 1},
    "costs.ebm_estimation.NCE": lambda: {"noise": None, "noise_per_clean": 1},
    "costs.ebm_estimation.SMD": lambda: {"corruptor": _gaussian_corruptor()},
    "costs.ebm_estimation.SML": lambda: {"batch_size": 4, "nsteps": 1},
    "costs.gsn.GSNCost": lambda: {"costs": [[0, 1.0, _mean_bce()]]},
    "costs.mlp.L1WeightDecay": lambda: {"coeffs": [0.1]},
    "costs.mlp.WeightDecay": lambda: {"coeffs": [0.1]},
    "cross_validation.mlp.PretrainedLayerCV": lambda: {"layer_name": "p",
                                                       "layer_content": [_autoencoder()]},
    "cross_validation.train_cv_extensions.MonitorBasedStoreBest": lambda: {
        "channel_name": "valid_objective"},
    "models.autoencoder.Autoencoder": lambda: _ae(),
    "models.autoencoder.ContractiveAutoencoder": lambda: _ae(),
    "models.autoencoder.DeepComposedAutoencoder": lambda: {"autoencoders": [_autoencoder()]},
    "models.autoencoder.DenoisingAutoencoder": lambda: _ae(corruptor=_corruptor()),
    "models.autoencoder.HigherOrderContractiveAutoencoder": lambda: _ae(
        corruptor=_corruptor(), num_corruptions=2),
    "models.autoencoder.StackedDenoisingAutoencoder": lambda: {
        "autoencoders": [_autoencoder()], "corruptor": _corruptor()},
    "models.autoencoder.UntiedAutoencoder": lambda: {"base": _autoencoder(tied_weights=True)},
    "models.dbm.dbm.DBM": lambda: _dbm_args(),
    "models.dbm.ising.IsingHidden": lambda: {"dim": 3, "layer_name": "h", "irange": 0.1},
    "models.dbm.ising.IsingVisible": lambda: {"nvis": 4},
    "models.dbm.ising.BoltzmannIsingVisible": lambda: {"nvis": 4},
    "models.dbm.ising.BoltzmannIsingHidden": lambda: {"dim": 3, "layer_name": "h",
                                                      "layer_below": _boltzmann_visible(),
                                                      "irange": 0.1},
    "models.dbm.layer.BinaryVector": lambda: {"nvis": 4},
    "models.dbm.composite_layer.CompositeLayer": lambda: {
        "layer_name": "c", "components": [_bvmp("c0"), _bvmp("c1")]},
    "models.dbm.layer.BVMP_Gaussian": lambda: {
        "input_layer": _gaussian_vis(), "detector_layer_dim": 4, "pool_size": 2,
        "layer_name": "h", "irange": 0.1},
    "models.dbm.conv_layers.ConvMaxPool": lambda: {
        "output_channels": 2, "kernel_rows": 2, "kernel_cols": 2, "pool_rows": 2,
        "pool_cols": 2, "layer_name": "h", "irange": 0.1},
    "models.dbm.conv_layers.ConvC01B_MaxPool": lambda: {
        "output_channels": 2, "kernel_shape": [2, 2], "pool_rows": 2, "pool_cols": 2,
        "layer_name": "h", "irange": 0.1},
    "models.dbm.layer.BinaryVectorMaxPool": lambda: {"detector_layer_dim": 4, "pool_size": 2,
                                                     "layer_name": "h", "irange": 0.1},
    "models.dbm.layer.DenseMaxPool": lambda: {"detector_layer_dim": 4, "pool_size": 2,
                                              "layer_name": "h", "irange": 0.1},
    "models.dbm.layer.GaussianVisLayer": lambda: {"nvis": 4},
    "models.dbm.layer.Softmax": lambda: {"n_classes": 3, "layer_name": "y", "irange": 0.1},
    "models.gated_autoencoder.DenoisingFactoredGatedAutoencoder": lambda: {
        "corruptor": _corruptor(), "nfac": 3, "nmap": 2, "nvisx": 4, "nvisy": 4},
    "models.gated_autoencoder.FactoredGatedAutoencoder": lambda: {"nfac": 3, "nmap": 2,
                                                                  "nvisx": 4, "nvisy": 4},
    "models.gated_autoencoder.GatedAutoencoder": lambda: {"nmap": 2, "nvisx": 4, "nvisy": 4},
    "models.gaussian.GaussianDensity": lambda: {"nvis": 4},
    "models.gsn.GSN": lambda: {"autoencoders": [_autoencoder()]},
    "models.gsn.JointGSN": lambda: {"autoencoders": [_autoencoder()]},
    "models.kmeans.KMeans": lambda: {"k": 2, "nvis": 4},
    "models.lwta.LWTA": lambda: {"block_size": 2, "dim": 4, "layer_name": "l", "irange": 0.1},
    "models.mlp.conv.ConvElemwise": lambda: _conv(nonlinearity=_rectifier()),
    "models.mlp.conv.ConvRectifiedLinear": lambda: _conv(pool_shape=[1, 1], pool_stride=[1, 1]),
    "models.mlp.conv.MaxoutConvC01B": lambda: {"num_channels": 4, "num_pieces": 2,
                                               "kernel_shape": [2, 2], "pool_shape": [1, 1],
                                               "pool_stride": [1, 1], "layer_name": "c",
                                               "irange": 0.1},
    "models.mlp.dense.Linear": lambda: {"dim": 3, "layer_name": "l", "irange": 0.1},
    "models.mlp.dense.RectifiedLinear": lambda: {"dim": 3, "layer_name": "l", "irange": 0.1},
    "models.mlp.dense.Sigmoid": lambda: {"dim": 3, "layer_name": "l", "irange": 0.1},
    "models.mlp.dense.Softplus": lambda: {"dim": 3, "layer_name": "l", "irange": 0.1},
    "models.mlp.dense.Tanh": lambda: {"dim": 3, "layer_name": "l", "irange": 0.1},
    "models.mlp.extras.LinearGaussian": lambda: {"init_beta": 1.0, "min_beta": 0.1,
                                                 "max_beta": 10.0, "beta_lr_scale": 1.0,
                                                 "dim": 3, "layer_name": "g", "irange": 0.1},
    "models.mlp.extras.SoftmaxPool": lambda: {"detector_layer_dim": 4, "layer_name": "s",
                                              "pool_size": 2, "irange": 0.1},
    "models.mlp.extras.WindowLayer": lambda: {"layer_name": "w", "window": [0, 0, 1, 1]},
    "models.mlp.maxout.Maxout": lambda: {"layer_name": "m", "num_units": 2, "num_pieces": 2,
                                         "irange": 0.1},
    "models.mlp.maxout_local.MaxoutLocalC01B": lambda: {"num_channels": 2, "num_pieces": 2,
                                                        "kernel_shape": [2, 2],
                                                        "layer_name": "c", "irange": 0.1},
    "models.mlp.mlp.MLP": lambda: {"nvis": 4, "layers": [_linear()]},
    "models.mlp.softmax.Softmax": lambda: {"n_classes": 3, "layer_name": "y", "irange": 0.1},
    "models.mlp.structure.CompositeLayer": lambda: {"layer_name": "c", "layers": [_linear()]},
    "models.mlp.structure.FlattenerLayer": lambda: {"raw_layer": _composite()},
    "models.mlp.structure.PretrainedLayer": lambda: {"layer_name": "p",
                                                     "layer_content": _autoencoder()},
    "models.mlp.structure.SpaceConverter": lambda: {"layer_name": "s",
                                                    "output_space": _vector(4)},
    "models.mnd.DiagonalMND": lambda: {"nvis": 4, "init_beta": 1.0, "init_mu": 0.0,
                                       "min_beta": 0.1, "max_beta": 10.0},
    "models.normalized_ebm.NormalizedEBM": lambda: {"ebm": _rbm(), "init_logZ": 0.0,
                                                    "learn_logZ": True},
    "models.rbm.GaussianBinaryRBM": lambda: {"nvis": 4, "nhid": 3},
    "models.rbm.RBM": lambda: {"nvis": 4, "nhid": 3},
    "models.rbm_sampling.L1_ActivationCost": lambda: {"target": 0.1, "eps": 0.01, "coeff": 1.0},
    "models.s3c.S3C": lambda: {"nvis": 4, "nhid": 3, "irange": 0.1, "init_bias_hid": 0.0,
                               "init_B": 1.0, "min_B": 0.1, "max_B": 10.0, "init_alpha": 1.0,
                               "min_alpha": 0.1, "max_alpha": 10.0, "init_mu": 0.0,
                               "m_step": _s3c_m_step(), "e_step": _s3c_e_step()},
    "models.softmax_regression.SoftmaxRegression": lambda: {"n_classes": 3, "nvis": 4,
                                                            "irange": 0.1},
    "models.sparse_autoencoder.SparseDenoisingAutoencoder": lambda: _ae(corruptor=_corruptor()),
    "models.ssrbm.mu_pooled_ssRBM": lambda: {"nvis": 4, "nhid": 3, "n_s_per_h": 1,
                                             "batch_size": 4, "alpha0": 1.0,
                                             "alpha_irange": 0.0, "b0": 0.0, "B0": 1.0,
                                             "Lambda0": 1.0, "Lambda_irange": 0.0, "mu0": 0.0},
    "models.svm.LinearSVM": lambda: {"nvis": 4, "n_classes": 3},
    "models.torch_module.TorchModule": lambda: {"layers": [_torch_linear()], "nvis": 4},
    "models.vae.VAE": lambda: {"nvis": 4, "nhid": 2, **_vae_parts()},
    "models.vae.conditional.BernoulliVector": _vae_conditional,
    "models.vae.conditional.DiagonalGaussian": _vae_conditional,
    "models.vae.kl.ImpossiblePosterior": _vae_conditional,
    "testing.cost.CallbackCost": lambda: {"data_callbacks": [], "data_specs": None},
    "train_extensions.base.UpdateCallback": lambda: {"callback": print},
    "train_extensions.best_params.KeepBestParams": lambda: {"channel_name": "valid_objective"},
    "train_extensions.best_params.MonitorBasedSaveBest": lambda: {
        "channel_name": "valid_objective"},
    "train_extensions.channels.ChannelSmoother": lambda: {"channel_to_smooth": "a",
                                                          "channel_to_publish": "b"},
    "train_extensions.channels.SharedSetter": lambda: {
        "epoch_updates": [[1, "algorithm.learning_rate", 0.1]]},
    "train_extensions.plots.PlotManager": lambda: {"plots": [], "freq": 1},
    "train_extensions.polyak.PolyakAveraging": lambda: {"start": 1},
    "train_extensions.progress.CSVLogWriter": lambda: {"path": "log.csv"},
    "train_extensions.tensorboard.TensorBoard": lambda: {"log_dir": "tb"},
    "train_extensions.window_flip.WindowAndFlip": lambda: {"window_shape": [2, 2]},
    "training_algorithms.bgd_steps.BacktrackingStepShrinker": lambda: {
        "channel": "objective", "scale": 0.5, "giveup_after": 0.01},
    "training_algorithms.bgd_steps.ScaleStep": lambda: {"scale": 0.5, "min_value": 0.01},
    "training_algorithms.bgd_steps.StepShrinker": lambda: {"channel": "objective", "scale": 0.5,
                                                            "giveup_after": 0.01},
    "training_algorithms.learning_rule.MomentumAdjustor": lambda: {"final_momentum": 0.9,
                                                                   "start": 1, "saturate": 2},
    "training_algorithms.schedules.LinearDecayOverEpoch": lambda: {"start": 1, "saturate": 2,
                                                                   "decay_factor": 0.1},
    "training_algorithms.schedules.OneOverEpoch": lambda: {"start": 1},
}

# Bases that only subclasses instantiate.
ABSTRACT = {
    "costs.cost.StochasticCost", "costs.dbm.BaseCD", "models.vae.conditional.Conditional",
    "costs.dbm_multiprediction.MultiPrediction",  # needs a mask generator built for a DBM
    "models.dbm.layer.HiddenLayer",
}


def _vector(dim):
    from pylearn2.space import VectorSpace

    return VectorSpace(dim)


def _composite():
    from pylearn2.models.mlp.structure import CompositeLayer

    return CompositeLayer(layer_name="c", layers=[_linear()])


def _rectifier():
    from pylearn2.models.mlp.conv import RectifierConvNonlinearity

    return RectifierConvNonlinearity()


def _conv(**extra):
    return {"output_channels": 2, "kernel_shape": [2, 2], "layer_name": "c", "irange": 0.1,
            **extra}


def _torch_linear():
    return torch.nn.Linear(4, 2)


def _boltzmann_visible():
    from pylearn2.models.dbm.ising import BoltzmannIsingVisible

    return BoltzmannIsingVisible(nvis=4)


def _bvmp(name):
    from pylearn2.models.dbm.layer import BinaryVectorMaxPool

    return BinaryVectorMaxPool(detector_layer_dim=2, pool_size=1, layer_name=name, irange=0.1)


def _s3c_m_step():
    from pylearn2.models.s3c import Grad_M_Step

    return Grad_M_Step(learning_rate=0.1)


def _s3c_e_step():
    from pylearn2.models.s3c import E_Step

    return E_Step(h_new_coeff_schedule=[0.1, 0.2])


def _gaussian_vis():
    from pylearn2.models.dbm.layer import GaussianVisLayer
    return GaussianVisLayer(nvis=4)


def _dbm_args():
    from pylearn2.models.dbm.layer import BinaryVector, BinaryVectorMaxPool

    return {"batch_size": 4, "visible_layer": BinaryVector(nvis=4), "niter": 1,
            "hidden_layers": [BinaryVectorMaxPool(detector_layer_dim=3, pool_size=1,
                                                  layer_name="h", irange=0.1)]}


def discover() -> dict[str, type]:
    """Every public Model, Cost and TrainExtension subclass defined in pylearn2."""
    found = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for info in pkgutil.walk_packages(pylearn2.__path__, "pylearn2."):
            if info.name.startswith(SKIP_PACKAGES):
                continue
            module = importlib.import_module(info.name)
            for name, obj in vars(module).items():
                if (inspect.isclass(obj) and obj.__module__ == module.__name__
                        and not name.startswith("_")
                        and issubclass(obj, (Model, Cost, TrainExtension))):
                    found[f"{module.__name__.removeprefix('pylearn2.')}.{name}"] = obj
    return found


CLASSES = discover()


def build(name: str, cls: type) -> Any:
    if name in EXAMPLE_ARGS:
        return cls(**EXAMPLE_ARGS[name]())
    try:
        return cls()
    except TypeError as err:
        pytest.fail(f"{name} cannot be built without arguments ({err}). Add an entry to "
                    "EXAMPLE_ARGS in tests/test_contracts.py: "
                    f"'{name}': lambda: {{<the smallest keyword arguments that build it>}} "
                    "(or to ABSTRACT if only subclasses are instantiated).")


# Contract failures found by these checks and reported to the class's owner; strict, so
# the entry must go once the class is fixed.
KNOWN_BROKEN: dict[str, str] = {}


def _marked(names):
    return [pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN_BROKEN[n], strict=True))
            if n in KNOWN_BROKEN else n for n in names]


CHECKED = sorted(n for n in CLASSES if n not in ABSTRACT)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)
                and a.shape == b.shape and bool(torch.equal(a, b)))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    try:
        return bool(a == b)
    except Exception:
        return a is b


def test_the_example_table_names_only_existing_classes():
    stale = sorted((set(EXAMPLE_ARGS) | ABSTRACT | set(KNOWN_BROKEN)) - set(CLASSES))
    assert not stale, f"tests/test_contracts.py lists classes that no longer exist: {stale}"
    assert len(CLASSES) > 50  # discovery found the library


@pytest.mark.parametrize("name", _marked(CHECKED))
def test_constructor_arguments_are_stored_and_rebuild(name):
    cls = CLASSES[name]
    obj = build(name, cls)
    takes_arguments = bool(inspect.signature(cls).parameters)
    args = getattr(obj, "_init_args", None if takes_arguments else {})
    assert isinstance(args, dict), f"{name} does not store its constructor arguments"
    rebuilt = cls(**args)
    assert type(rebuilt) is cls and _same(get_init_args(rebuilt), args)


@pytest.mark.parametrize("name", _marked(CHECKED))
def test_state_survives_a_round_trip(name, tmp_path):
    cls = CLASSES[name]
    obj = build(name, cls)
    if isinstance(obj, Model):
        if not list(obj.parameters()) and not list(obj.buffers()):
            return  # nothing allocated before an input space is set
        path = tmp_path / "model.pkl"
        try:
            serial.save(path, obj)
        except Exception as err:  # noqa: BLE001
            pytest.fail(f"{name} cannot be written to a model file: {err}")
        loaded = serial.load(path)
        assert type(loaded) is cls
        assert _same(dict(loaded.state_dict()), dict(obj.state_dict()))
        return
    state_dict = getattr(obj, "state_dict", None)
    if not callable(state_dict):
        return
    state = state_dict()
    tree, tensors = serial.to_jsonable(state, where=name)
    restored = serial.from_jsonable(tree, tensors)
    fresh = cls(**getattr(obj, "_init_args", {}))
    fresh.load_state_dict(restored)
    assert _same(fresh.state_dict(), state)


MODELS = [n for n in CHECKED if issubclass(CLASSES[n], Model)]


@pytest.mark.parametrize("name", MODELS)
def test_has_constraints_is_consistent(name):
    cls = CLASSES[name]
    model = build(name, cls)
    if type(model).enforce_constraints is not Model.enforce_constraints \
            and type(model).has_constraints is Model.has_constraints:
        assert model.has_constraints()
    if isinstance(model, Layer) and not isinstance(model, MLP):
        try:  # give a layer its parameters where a vector input suits it
            model.set_input_space(VectorSpace(4))
        except Exception:  # noqa: BLE001  (convolutional and other non-vector layers)
            return
    if model.has_constraints() or not list(model.parameters()):
        return
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        model.enforce_constraints()
    after = model.state_dict()
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    assert not changed, (f"{name}.has_constraints() is False but enforce_constraints() "
                         f"changed {changed}")
