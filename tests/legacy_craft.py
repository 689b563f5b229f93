"""Write pickles with the byte structure the original Pylearn2 (Theano era) wrote, for
testing the converter on files it has not seen.

Stand-in classes are registered under the original's module paths only while pickling
(the real modules are restored afterwards), so the file names exactly the globals an
original pickle names: the library's classes, ``theano.tensor.sharedvar.
TensorSharedVariable`` with its ``TensorType``/``Container``/``scratchpad``,
``theano.sandbox.cuda.var.CudaNdarraySharedVariable`` whose value is a ``CudaNdarray``
rebuilt through ``theano.sandbox.cuda.type.CudaNdarray_unpickler``, and
``numpy.random.__RandomState_ctor`` for the ``rng`` attributes. Instance states hold the
attributes the original's ``__init__``/``set_input_space`` stored (``self.__dict__.
update(locals())``, with the ``'__class__'`` entry Python 3 adds there).

Use as ``with Crafter(monkeypatch) as c: blob = c.dumps(c.obj('pylearn2.models.mlp.MLP',
...), protocol)``.
"""

from __future__ import annotations

import io
import pickle
import struct
import sys
import types
from typing import Any

import numpy as np
import torch

from pylearn2.utils.legacy.unpickler import KNOWN_STANDINS

_FUNCTIONS = {("theano.sandbox.cuda.type", "CudaNdarray_unpickler"),
              ("numpy.random", "__RandomState_ctor")}


class Crafter:
    """Registers the original's class paths as stand-ins while it is open."""

    def __init__(self, monkeypatch: Any, extra: tuple[str, ...] = ()) -> None:
        self.monkeypatch = monkeypatch
        self.extra = extra
        self.classes: dict[str, type] = {}
        self.functions: dict[str, Any] = {}
        self._auto = 0

    def __enter__(self) -> Crafter:
        import pylearn2.models.autoencoder  # noqa: F401  (real modules, restored on exit)
        import pylearn2.models.dbm  # noqa: F401
        import pylearn2.models.mlp  # noqa: F401

        self._context = self.monkeypatch.context()
        patch = self._context.__enter__()
        names = {f"{m}.{n}" for m, n in KNOWN_STANDINS} | set(self.extra)
        modules: dict[str, types.ModuleType] = {}

        def module(name: str) -> types.ModuleType:
            if name not in modules:
                parts = name.split(".")
                for depth in range(1, len(parts)):
                    parent = ".".join(parts[:depth])
                    if parent not in sys.modules and parent not in modules:
                        modules[parent] = types.ModuleType(parent)
                        patch.setitem(sys.modules, parent, modules[parent])
                modules[name] = types.ModuleType(name)
                patch.setitem(sys.modules, name, modules[name])
            return modules[name]

        for dotted in sorted(names):
            module_name, name = dotted.rsplit(".", 1)
            if module_name == "numpy.random":
                continue
            cls = type(name, (), {"__module__": module_name})
            cls.__qualname__ = name
            setattr(module(module_name), name, cls)
            self.classes[dotted] = cls
        for module_name, name in _FUNCTIONS:
            fn = _named_function(module_name, name)
            if module_name == "numpy.random":
                patch.setattr(np.random, name, fn, raising=False)
            else:
                setattr(module(module_name), name, fn)
            self.functions[f"{module_name}.{name}"] = fn
        return self

    def __exit__(self, *exc: Any) -> None:
        self._context.__exit__(*exc)

    # -- objects ------------------------------------------------------------------------
    def obj(self, dotted: str, own_class: bool = False, **state: Any) -> Any:
        """An instance of the stand-in for ``dotted`` with ``state`` as its __dict__
        (``own_class``: also the ``'__class__'`` entry zero-argument super() leaves)."""
        cls = self.classes[dotted]
        instance = cls.__new__(cls)
        if own_class:
            instance.__dict__["__class__"] = cls
        instance.__dict__.update(state)
        return instance

    def _tensor_type(self, value: np.ndarray, dotted: str) -> Any:
        if dotted.endswith("CudaNdarrayType"):
            return self.obj(dotted, dtype="float32", broadcastable=(False,) * value.ndim,
                            name=None)
        return self.obj(dotted, dtype=str(value.dtype), broadcastable=(False,) * value.ndim,
                        name=None, numpy_dtype=value.dtype, sparse_grad=False)

    def shared(self, value: Any, name: str | None = None, cuda: bool = False,
               old_theano: bool = False) -> Any:
        """A Theano shared variable as the original pickled it (float32 value);
        ``old_theano``: under the class paths of older Theano releases."""
        self._auto += 1
        value = np.asarray(value, dtype=np.float32)
        if cuda:
            var_cls, type_cls = ("theano.sandbox.cuda.var.CudaNdarraySharedVariable",
                                 "theano.sandbox.cuda.type.CudaNdarrayType")
            stored: Any = _CudaNdarray(value, self.functions[
                "theano.sandbox.cuda.type.CudaNdarray_unpickler"])
        elif old_theano:
            var_cls, type_cls = ("theano.compile.sharedvalue.SharedVariable",
                                 "theano.tensor.basic.TensorType")
            stored = value
        else:
            var_cls, type_cls = ("theano.tensor.sharedvar.TensorSharedVariable",
                                 "theano.tensor.type.TensorType")
            stored = value
        ttype = self._tensor_type(value, type_cls)
        container = self.obj("theano.gof.link.Container", type=ttype, name=name,
                             storage=[stored], readonly=False, strict=False, allow_downcast=None)
        return self.obj(var_cls, tag=self.obj("theano.gof.utils.scratchpad", trace=[]),
                        type=ttype, owner=None, index=None, name=name,
                        auto_name=f"auto_{self._auto}", container=container)

    def rng(self, seed: int = 0) -> Any:
        """A pickled ``numpy.random.RandomState`` (``__RandomState_ctor`` + its state)."""
        return _RandomState(np.random.RandomState(seed).get_state(),
                            self.functions["numpy.random.__RandomState_ctor"])

    def vector_space(self, dim: int) -> Any:
        return self.obj("pylearn2.space.VectorSpace", dim=dim, dtype="float32",
                        sparse=False)

    def conv_space(self, shape: tuple[int, int], channels: int, axes: tuple) -> Any:
        return self.obj("pylearn2.space.Conv2DSpace", shape=tuple(shape),
                        num_channels=channels, axes=tuple(axes), dtype="float32")

    def dumps(self, obj: Any, protocol: int, python2: bool = False) -> bytes:
        """Pickle ``obj``; ``python2`` writes strings and array bytes as Python 2's pickler
        did (STRING / BINSTRING opcodes, raw bytes instead of ``_codecs.encode``)."""
        if not python2:
            return pickle.dumps(obj, protocol=protocol)
        buffer = io.BytesIO()
        _Python2Pickler(buffer, protocol).dump(obj)
        return buffer.getvalue()


class _Python2Pickler(pickle._Pickler):
    """The pure-Python pickler, writing ``str`` and ``bytes`` the way Python 2 wrote its
    ``str``: one byte string opcode holding the raw (latin-1) bytes."""

    dispatch = pickle._Pickler.dispatch.copy()

    def _save_byte_string(self, obj: Any, data: bytes) -> None:
        if self.proto >= 1:
            if len(data) < 256:
                self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
            else:
                self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        else:
            self.write(pickle.STRING + repr(data)[1:].encode("ascii") + b"\n")
        self.memoize(obj)

    def save_str(self, obj: str) -> None:
        try:
            data = obj.encode("latin-1")
        except UnicodeEncodeError:
            return pickle._Pickler.save_str(self, obj)
        self._save_byte_string(obj, data)

    def save_bytes(self, obj: bytes) -> None:
        self._save_byte_string(obj, obj)

    dispatch[str] = save_str
    dispatch[bytes] = save_bytes


def _named_function(module: str, name: str) -> Any:
    def fn(*args: Any) -> Any:
        raise AssertionError("stand-in functions are only pickled, never called")
    fn.__module__, fn.__name__, fn.__qualname__ = module, name, name
    return fn


class _CudaNdarray:
    """Pickles as Theano's CudaNdarray did: ``CudaNdarray_unpickler(numpy copy)``."""

    def __init__(self, value: np.ndarray, unpickler: Any) -> None:
        self.value, self.unpickler = value, unpickler

    def __reduce__(self):
        return (self.unpickler, (self.value,))


class _RandomState:
    def __init__(self, state: tuple, ctor: Any) -> None:
        self.state, self.ctor = state, ctor

    def __reduce__(self):
        return (self.ctor, (), self.state)


def globals_of(blob: bytes) -> set[str]:
    """The ``module.name`` globals a pickle names (read with pickletools, never run)."""
    import pickletools

    found, strings = set(), []
    for op, arg, _ in pickletools.genops(blob):
        if op.name == "GLOBAL":
            found.add(arg.replace(" ", "."))
        elif op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "BINSTRING",
                         "SHORT_BINSTRING", "STRING"):
            strings.append(arg)
        elif op.name == "STACK_GLOBAL":
            found.add(f"{strings[-2]}.{strings[-1]}")
    return found


# -- small builders and references the legacy tests share --------------------------

def write_pickle(tmp_path, blob: bytes, name: str = "crafted.pkl") -> str:
    path = tmp_path / name
    path.write_bytes(blob)
    return str(path)


def as_f64(t) -> np.ndarray:
    return t.detach().numpy().astype(np.float64) if isinstance(t, torch.Tensor) else t


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(z):
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def f32(x):
    return np.asarray(x, np.float32).astype(np.float64)


def craft_mlp(c, layers, input_space, seed=3):
    """An original MLP around ``layers`` (each layer's ``mlp`` points back at it)."""
    for layer in layers:
        layer.__dict__.setdefault("mlp", None)
    mlp = c.obj("pylearn2.models.mlp.MLP", own_class=True, layers=layers, input_space=input_space,
                batch_size=None, layer_name=None, rng=c.rng(seed), seed=[2013, 1, 4],
                monitor_targets=True, freeze_set=set(), names_to_del=set(), extensions=[])
    for layer in layers:
        layer.__dict__["mlp"] = mlp
    return mlp


def dense_layer(c, kind, name, W, b, **extra):
    """A dense MLP layer; Sigmoid/Tanh/RectifiedLinear carry Linear's ``__class__``."""
    own = kind not in ("Tanh", "Sigmoid", "RectifiedLinear")
    return c.obj("pylearn2.models.mlp." + kind, own_class=own,
                 layer_name=name, dim=W.shape[1], irange=0.1, b=c.shared(b, name + "_b"),
                 transformer=c.obj("pylearn2.linear.matrixmul.MatrixMul",
                                   _W=c.shared(W, name + "_W")),
                 max_col_norm=None, max_row_norm=None, use_bias=True, **extra)


def elemwise(c, scalar: str, name: str):
    """A Theano Elemwise op as the original stored act_enc/act_dec."""
    return c.obj("theano.tensor.elemwise.Elemwise", name=name,
                 scalar_op=c.obj(scalar, name="scalar_" + name), destroy_map={},
                 nfunc_spec=None, openmp=False)


def autoencoder(c, kind, W, hb, vb, act_enc, act_dec, w_prime=None, **extra):
    return c.obj("pylearn2.models.autoencoder." + kind, own_class=True, nvis=W.shape[0],
                 nhid=W.shape[1], act_enc=act_enc, act_dec=act_dec,
                 tied_weights=w_prime is None, irange=0.1, weights=c.shared(W, "W"),
                 hidbias=c.shared(hb, "hb"), visbias=c.shared(vb, "vb"),
                 w_prime=None if w_prime is None else c.shared(w_prime, "Wprime"), **extra)


def bvmp_layer(c, name, W, b, pool, input_dim):
    det = W.shape[1]
    return c.obj("pylearn2.models.dbm.layer.BinaryVectorMaxPool", own_class=True,
                 detector_layer_dim=det, pool_size=pool, layer_name=name, irange=0.1,
                 sparse_init=None, sparse_stdev=1.0, include_prob=1.0, init_bias=0.0,
                 W_lr_scale=None, b_lr_scale=None, center=False, mask_weights=None,
                 max_col_norm=None, copies=1, b=c.shared(b, name + "_b"),
                 input_space=c.vector_space(input_dim), requires_reformat=False,
                 input_dim=input_dim, h_space=c.vector_space(det), pool_layer_dim=det // pool,
                 output_space=c.vector_space(det // pool),
                 transformer=c.obj("pylearn2.linear.matrixmul.MatrixMul",
                                   _W=c.shared(W, name + "_W")))


def craft_dbm(c, visible, hidden, niter, procedure="WeightDoubling"):
    """An original DBM (batch size 4) with its procedures; layers point back at it."""
    dbm = c.obj("pylearn2.models.dbm.dbm.DBM", own_class=True, batch_size=4,
                visible_layer=visible, hidden_layers=hidden, niter=niter,
                sampling_procedure=c.obj("pylearn2.models.dbm.sampling_procedure.GibbsEvenOdd"),
                inference_procedure=c.obj(
                    f"pylearn2.models.dbm.inference_procedure.{procedure}"),
                rng=c.rng(5), layer_names={layer.layer_name for layer in hidden},
                force_batch_size=4, freeze_set=set())
    for layer in [visible, *hidden]:
        layer.__dict__["dbm"] = dbm
    dbm.inference_procedure.__dict__["dbm"] = dbm
    dbm.sampling_procedure.__dict__["dbm"] = dbm
    return dbm
