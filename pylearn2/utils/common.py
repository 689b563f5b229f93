"""The small helpers experiment code commonly imports from ``pylearn2.utils``.

Re-exported by :mod:`pylearn2.utils`, so ``from pylearn2.utils import safe_zip, sharedX``
works as it always did; the tensor helpers return torch tensors.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from typing import Any

import numpy as np
import torch

py_integer_types = (int, np.integer)
py_float_types = (float, np.floating)
py_complex_types = (complex, np.complexfloating)
py_number_types = (numbers.Number, np.number)

FLOATX = torch.float32


def safe_zip(*args: Sequence[Any]) -> list[tuple[Any, ...]]:
    """``zip`` that refuses sequences of different lengths (naming the lengths)."""
    lengths = [len(a) for a in args]
    if len(set(lengths)) > 1:
        raise ValueError(f"safe_zip: arguments have different lengths {lengths}.")
    return list(zip(*args))


def safe_izip(*args: Iterable[Any]) -> Iterator[tuple[Any, ...]]:
    """Lazy ``zip`` that raises ValueError when the iterables end at different points."""
    return zip(*args, strict=True)


def safe_union(a: list[Any], b: list[Any]) -> list[Any]:
    """Union of two lists keeping first-seen order (deterministic, unlike a set)."""
    if not isinstance(a, list) or not isinstance(b, list):
        raise TypeError(f"safe_union expects two lists, got {type(a).__name__} and "
                        f"{type(b).__name__}.")
    out: list[Any] = []
    for x in a + b:
        if x not in out:
            out.append(x)
    return out


def safe_update(dict_to: MutableMapping[Any, Any], dict_from: Mapping[Any, Any]) -> MutableMapping:
    """``dict_to.update(dict_from)`` that refuses to overwrite an existing key."""
    clash = [k for k in dict_from if k in dict_to]
    if clash:
        raise KeyError(f"safe_update: keys already present: {clash}.")
    dict_to.update(dict_from)
    return dict_to


def subdict(d: Mapping[Any, Any], keys: Iterable[Any]) -> dict[Any, Any]:
    """The entries of ``d`` whose keys are in ``keys`` (missing keys are skipped)."""
    return {k: d[k] for k in keys if k in d}


def is_iterable(obj: Any) -> bool:
    """True when ``iter(obj)`` works."""
    try:
        iter(obj)
    except TypeError:
        return False
    return True


def as_floatX(variable: Any) -> Any:  # noqa: N802 - the classic name
    """``variable`` as float32: a tensor is cast, a Python/numpy number or array
    becomes a float32 numpy value."""
    if isinstance(variable, torch.Tensor):
        return variable.to(FLOATX)
    if isinstance(variable, py_number_types):
        return np.float32(variable)
    return np.asarray(variable, dtype=np.float32)


def constantX(value: Any) -> torch.Tensor:  # noqa: N802
    """A float32 tensor holding ``value`` (not trained)."""
    return torch.as_tensor(np.asarray(value, dtype=np.float32))


def sharedX(value: Any, name: str | None = None, borrow: bool = False,  # noqa: N802
            dtype: Any = None) -> torch.nn.Parameter:
    """A float32 (or ``dtype``) trainable tensor initialised to ``value`` (a copy unless
    ``borrow``), with its ``name`` kept as an attribute; the counterpart of the classic
    shared variable. ``.get_value()``/``.set_value()`` read and write it in numpy."""
    dtype = FLOATX if dtype is None else (dtype if isinstance(dtype, torch.dtype)
                                          else getattr(torch, np.dtype(dtype).name))
    data = torch.as_tensor(np.asarray(value)).to(dtype)
    if not borrow:
        data = data.clone()
    param = SharedParameter(data, requires_grad=dtype.is_floating_point)
    param.name = name
    return param


class SharedParameter(torch.nn.Parameter):
    """A Parameter with the classic ``name`` and ``get_value`` / ``set_value`` accessors
    (``name`` here is a plain label, not a named-tensor dimension name)."""

    @property  # type: ignore[override]
    def name(self) -> str | None:
        return self.__dict__.get("_label")

    @name.setter
    def name(self, value: str | None) -> None:
        self.__dict__["_label"] = value

    def __deepcopy__(self, memo: dict) -> SharedParameter:
        out = super().__deepcopy__(memo)
        out.name = self.name
        return out

    def get_value(self, borrow: bool = False) -> np.ndarray:
        value = self.detach().cpu().numpy()
        return value if borrow else value.copy()

    def set_value(self, value: Any, borrow: bool = False) -> None:
        with torch.no_grad():
            new = torch.as_tensor(np.asarray(value), dtype=self.dtype)
            if new.shape != self.shape:
                self.data = new.to(self.device)
            else:
                self.copy_(new)


def make_name(variable: Any, anon: str = "anonymous_variable") -> str:
    """``variable.name`` when it has one, else ``anon``."""
    name = getattr(variable, "name", None)
    return name if name else anon


def contains_nan(arr: Any) -> bool:
    """True when any element is NaN."""
    return bool(np.isnan(np.asarray(_numpy(arr), dtype=np.float64)).any())


def contains_inf(arr: Any) -> bool:
    """True when any element is +inf or -inf."""
    return bool(np.isinf(np.asarray(_numpy(arr), dtype=np.float64)).any())


def isfinite(arr: Any) -> bool:
    """True when every element is finite."""
    return bool(np.isfinite(np.asarray(_numpy(arr), dtype=np.float64)).all())


def _numpy(arr: Any) -> Any:
    return arr.detach().cpu().numpy() if isinstance(arr, torch.Tensor) else arr


def block_gradient(x: torch.Tensor) -> torch.Tensor:
    """A copy of ``x`` through which no gradient flows."""
    return x.detach()


def update_wrapper(wrapper: Callable, wrapped: Callable, append_docstring: str | None = None,
                   prepend_docstring: str | None = None) -> Callable:
    """:func:`functools.update_wrapper` that also lets the wrapper extend the docstring
    (``prepend_docstring`` + wrapped's doc + ``append_docstring``) and keeps the
    wrapper's own docstring when the wrapped function has none."""
    own_doc = wrapper.__doc__
    functools.update_wrapper(wrapper, wrapped)
    doc = wrapped.__doc__ or own_doc or ""
    wrapper.__doc__ = (prepend_docstring or "") + doc + (append_docstring or "")
    return wrapper


def wraps(wrapped: Callable, append_docstring: str | None = None,
          prepend_docstring: str | None = None) -> Callable[[Callable], Callable]:
    """Decorator form of :func:`update_wrapper` (docstring inheritance for overrides)."""
    return functools.partial(update_wrapper, wrapped=wrapped, append_docstring=append_docstring,
                             prepend_docstring=prepend_docstring)


def float32_floatX(f: Callable) -> Callable:  # noqa: N802
    """Decorator kept for old code: floatX is always float32 here, so it returns ``f``."""
    return f


class CallbackOp:
    """``CallbackOp(callback)(x)`` calls ``callback`` with a numpy copy of ``x`` and
    returns ``x`` unchanged (gradients flow through), to watch values inside a
    computation."""

    def __init__(self, callback: Callable[[np.ndarray], Any]) -> None:
        self.callback = callback

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        self.callback(x.detach().cpu().numpy())
        return x


def grad(cost: torch.Tensor, wrt: Any, **kwargs: Any) -> Any:
    """d cost / d wrt for one tensor or a list of tensors (a list for a list);
    ``kwargs`` go to :func:`torch.autograd.grad` (e.g. ``allow_unused``)."""
    single = isinstance(wrt, torch.Tensor)
    grads = torch.autograd.grad(cost, [wrt] if single else list(wrt), **kwargs)
    return grads[0] if single else list(grads)


def get_choice(choice_to_explanation: Mapping[str, str], ask: Callable[[str], str] = input) -> str:
    """Ask (with ``ask``, default :func:`input`) until the answer is one of the keys of
    ``choice_to_explanation``; the prompt lists each key with its explanation."""
    prompt = "\n".join(f"{key}: {text}" for key, text in choice_to_explanation.items()) + "\n"
    while True:
        answer = ask(prompt).strip()
        if answer in choice_to_explanation:
            return answer
        prompt = f"{answer!r} is not one of {list(choice_to_explanation)}; try again: "


def gpu_mem_free() -> float:
    """Free memory of the current CUDA device in megabytes."""
    if not torch.cuda.is_available():
        raise RuntimeError("gpu_mem_free: no CUDA device is available.")
    free, _ = torch.cuda.mem_get_info()
    return free / 1024.0 / 1024.0
