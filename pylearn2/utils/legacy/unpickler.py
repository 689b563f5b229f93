"""A restricted unpickler for model files written by the original Pylearn2 (Theano era).

Nothing in the file can run code: ``find_class`` answers only from a fixed table of
known globals. Numpy arrays are rebuilt by numpy's own array reconstruction (pure data);
every other known global (Theano shared variables and graphs, the original's models,
layers, spaces, monitor objects, ...) becomes a :class:`Recorded` stand-in whose
``__setstate__`` only stores the state it is given. Any global outside the table is
refused with an :class:`~pylearn2.utils.exc.UnsafeObjectError` naming it, before it is
imported. :func:`load_legacy` returns the recorded object graph; the family converters
in :mod:`pylearn2.scripts.legacy_models` turn it into this library's models.
"""

from __future__ import annotations

import collections
import io
import pickle
from typing import Any

import numpy as np

from pylearn2.utils.exc import ModelFileError, UnsafeObjectError

# Globals rebuilt by real, data-only callables.
_DATA_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): np.ndarray.__new__,
    ("numpy._core.multiarray", "_reconstruct"): np.ndarray.__new__,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("__builtin__", "set"): set, ("builtins", "set"): set,
    ("__builtin__", "frozenset"): frozenset, ("builtins", "frozenset"): frozenset,
    ("__builtin__", "object"): object, ("builtins", "object"): object,
    ("__builtin__", "list"): list, ("__builtin__", "dict"): dict,
    ("__builtin__", "tuple"): tuple,
}

# Modules whose classes may appear as recorded stand-ins (the original library and the
# Theano objects a saved model drags along). Only the names listed are accepted.
KNOWN_STANDINS: frozenset[tuple[str, str]] = frozenset(
    (module, name) for module, names in {
        "pylearn2.models.mlp": (
            "MLP", "Linear", "Sigmoid", "Tanh", "RectifiedLinear", "Softmax", "Softplus",
            "SoftmaxPool", "ConvElemwise", "ConvRectifiedLinear", "ConvNonlinearity",
            "RectifierConvNonlinearity", "SigmoidConvNonlinearity", "TanhConvNonlinearity",
            "IdentityConvNonlinearity", "CompositeLayer", "FlattenerLayer", "SpaceConverter",
            "LinearGaussian", "PretrainedLayer", "WindowLayer", "Layer"),
        "pylearn2.models.maxout": ("Maxout", "MaxoutConvC01B", "MaxoutLocalC01B"),
        "pylearn2.models.model": ("Model",),
        "pylearn2.models.softmax_regression": ("SoftmaxRegression",),
        "pylearn2.models.autoencoder": (
            "Autoencoder", "DenoisingAutoencoder", "ContractiveAutoencoder",
            "HigherOrderContractiveAutoencoder", "DeepComposedAutoencoder",
            "UntiedAutoencoder", "StackedDenoisingAutoencoder"),
        "pylearn2.models.rbm": ("RBM", "GaussianBinaryRBM", "BlockGibbsSampler"),
        "pylearn2.models.kmeans": ("KMeans",),
        "pylearn2.models.dbm.dbm": ("DBM",),
        "pylearn2.models.dbm.layer": (
            "BinaryVector", "BinaryVectorMaxPool", "Softmax", "GaussianVisLayer",
            "ConvMaxPool", "ConvC01B_MaxPool", "CompositeLayer", "BVMP_Gaussian"),
        "pylearn2.models.dbm.inference_procedure": (
            "WeightDoubling", "SuperWeightDoubling", "MoreConsistent", "MoreConsistent2",
            "BiasInit", "UpDown"),
        "pylearn2.models.dbm.sampling_procedure": ("GibbsEvenOdd",),
        "pylearn2.energy_functions.rbm_energy": ("GRBM_Type_1", "grbm_type_1"),
        "pylearn2.corruption": ("BinomialCorruptor", "GaussianCorruptor", "DropoutCorruptor",
                                "SaltPepperCorruptor", "ComposedCorruptor"),
        "pylearn2.linear.matrixmul": ("MatrixMul",),
        "pylearn2.linear.conv2d": ("Conv2D",),
        "pylearn2.linear.conv2d_c01b": ("Conv2D",),
        "pylearn2.linear.cudnn2d": ("Cudnn2D",),
        "pylearn2.linear.local_c01b": ("Local",),
        "pylearn2.blocks": ("StackedBlocks",),
        "pylearn2.model_extensions.norm_constraint": ("MaxL2FilterNorm", "ConstrainFilterL2Norm"),
        "pylearn2.space": ("VectorSpace", "Conv2DSpace", "CompositeSpace", "NullSpace",
                           "IndexSpace"),
        "pylearn2.monitor": ("Monitor", "MonitorChannel"),
        "pylearn2.utils.data_specs": ("DataSpecsMapping",),
        "numpy.random": ("__RandomState_ctor",),
        "theano.tensor.sharedvar": ("TensorSharedVariable", "ScalarSharedVariable"),
        "theano.sandbox.cuda.var": ("CudaNdarraySharedVariable",),
        "theano.sandbox.cuda.type": ("CudaNdarrayType",),
        "theano.tensor.type": ("TensorType",),
        # where older Theano releases kept the same classes
        "theano.tensor.basic": ("TensorType", "TensorConstant", "TensorVariable"),
        "theano.compile.sharedvalue": ("SharedVariable",),
        "theano.gof.link": ("Container",),
        "theano.gof.utils": ("scratchpad",),
        "theano.gof.graph": ("Apply",),
        "theano.compile.ops": ("Shape",),
        "theano.misc.frozendict": ("frozendict",),
        "theano.sandbox.rng_mrg": ("MRG_RandomStreams", "mrg_uniform"),
        "theano.scalar.basic": ("Mul", "Add", "Tanh", "upcast_out", "upgrade_to_float",
                                "transfer_type", "same_out", "float_out"),
        "theano.tensor.elemwise": ("Elemwise", "DimShuffle"),
        "theano.tensor.nnet.sigm": ("ScalarSigmoid", "ScalarSoftplus"),
        "theano.tensor.var": ("TensorConstant", "TensorVariable"),
    }.items() for name in names
)


class Recorded:
    """Stand-in for an object of the original library: it only records what it is given."""

    legacy_module: str = ""
    legacy_name: str = ""

    def __init__(self, *args: Any) -> None:
        self.args = args
        self.state: Any = {}

    def __setstate__(self, state: Any) -> None:
        self.state = state

    @property
    def legacy_global(self) -> str:
        return f"{self.legacy_module}.{self.legacy_name}"

    def get(self, key: str, default: Any = None) -> Any:
        return self.state.get(key, default) if isinstance(self.state, dict) else default

    def __repr__(self) -> str:
        return f"<recorded {self.legacy_global}>"


class CudaNdarrayStandIn(Recorded):
    """``cuda_ndarray.cuda_ndarray.CudaNdarray`` values rebuild from their numpy copy."""


_STANDIN_CLASSES: dict[tuple[str, str], type] = {}


def standin_class(module: str, name: str) -> type:
    """The (cached) stand-in class recorded under ``module.name``."""
    key = (module, name)
    if key not in _STANDIN_CLASSES:
        _STANDIN_CLASSES[key] = type(name, (Recorded,), {"legacy_module": module,
                                                         "legacy_name": name})
    return _STANDIN_CLASSES[key]


def _reconstructor(cls: Any, base: Any, state: Any) -> Any:
    """``copy_reg._reconstructor`` for stand-ins only: no foreign ``__new__`` runs."""
    if not (isinstance(cls, type) and issubclass(cls, Recorded)):
        raise UnsafeObjectError(f"the pickle rebuilds {cls!r} through copy_reg, which is "
                                "not a known Pylearn2 class; refusing it.")
    return cls.__new__(cls)


def _codecs_encode(text: str, encoding: str = "utf-8") -> bytes:
    if encoding not in ("latin1", "latin-1"):
        raise UnsafeObjectError(f"_codecs.encode with encoding {encoding!r} is not expected "
                                "in a Pylearn2 model file.")
    return text.encode("latin-1")


def _numpy_scalar(dtype: Any, data: Any = None) -> Any:
    """``numpy.core.multiarray.scalar``: a numpy scalar from its dtype and raw bytes (Python
    2 pickles give the bytes as latin-1 text); object scalars are refused."""
    dtype = np.dtype(dtype)
    if dtype.hasobject:
        raise UnsafeObjectError("the pickle rebuilds a numpy object scalar; refusing it.")
    if isinstance(data, str):
        data = data.encode("latin-1")
    if not isinstance(data, bytes) or len(data) != dtype.itemsize:
        raise ModelFileError(f"a pickled numpy {dtype} scalar holds {data!r}, not "
                             f"{dtype.itemsize} bytes.")
    return np.frombuffer(data, dtype=dtype)[0].copy()


def _cuda_from_numpy(array: Any) -> np.ndarray:
    return np.asarray(array)


class LegacyUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` that resolves only :data:`KNOWN_STANDINS` and data globals."""

    def __init__(self, handle: Any, source: str) -> None:
        super().__init__(handle, encoding="latin1")
        self.source = source

    def find_class(self, module: str, name: str) -> Any:
        key = (module, name)
        if key in _DATA_GLOBALS:
            return _DATA_GLOBALS[key]
        if key in (("copy_reg", "_reconstructor"), ("copyreg", "_reconstructor")):
            return _reconstructor
        if key == ("_codecs", "encode"):
            return _codecs_encode
        if key in (("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar")):
            return _numpy_scalar
        if key == ("cuda_ndarray.cuda_ndarray", "cuda_ndarray_unpickler") or key == (
                "theano.sandbox.cuda.type", "CudaNdarray_unpickler"):
            return _cuda_from_numpy
        if key in KNOWN_STANDINS:
            return standin_class(module, name)
        raise UnsafeObjectError(
            f"{self.source}: the pickle names the global {module}.{name}, which is not a "
            "known Pylearn2/Theano class; refusing the file without running it.")

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafeObjectError(f"{self.source}: the pickle refers to a persistent object "
                                f"{pid!r}; refusing it.")


def load_legacy(path: str) -> Any:
    """Read an original Pylearn2 pickle into a graph of :class:`Recorded` stand-ins."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError as err:
        raise ModelFileError(f"{path} not found.") from err
    try:
        return LegacyUnpickler(io.BytesIO(data), path).load()
    except UnsafeObjectError:
        raise
    except Exception as err:
        raise ModelFileError(f"{path}: not a readable Pylearn2 pickle ({err}).") from err


def shared_value(obj: Any) -> np.ndarray:
    """The array held by a recorded Theano shared variable (or the array itself)."""
    if isinstance(obj, np.ndarray):
        return obj
    if isinstance(obj, Recorded):
        container = obj.get("container")
        if container is not None:
            storage = container.get("storage")
            if storage:
                return np.asarray(shared_value(storage[0]))
    raise ModelFileError(f"expected a shared variable holding an array, found {obj!r}.")

