"""Spaces: what a batch of data looks like.

A Space describes one batch: a matrix of feature vectors (:class:`VectorSpace`), images
with named axes (:class:`Conv2DSpace`), integer labels (:class:`IndexSpace`), a tuple of
other spaces (:class:`CompositeSpace`) or no data at all (:class:`NullSpace`).
``space.format_as(batch, other)`` converts a torch batch between compatible spaces and
``np_format_as`` does the same for numpy arrays. Conversions follow the original rules:
Conv2D -> Vector flattens in ('b', 0, 1, 'c') order; Index -> Vector is one-hot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from pylearn2.utils.exc import ShapeError
from pylearn2.utils.init_args import InitArgsMixin

_TORCH_DTYPES = {
    "float32": torch.float32, "floatX": torch.float32, "float64": torch.float64,
    "float16": torch.float16, "bfloat16": torch.bfloat16, "int64": torch.int64,
    "int32": torch.int32, "int16": torch.int16, "int8": torch.int8, "uint8": torch.uint8,
    "bool": torch.bool,
}


def torch_dtype(dtype: str | torch.dtype | None) -> torch.dtype:
    """Map a dtype name ('floatX' means float32) to a torch dtype."""
    if dtype is None:
        return torch.float32
    if isinstance(dtype, torch.dtype):
        return dtype
    name = np.dtype(dtype).name if dtype != "floatX" else "floatX"
    if name not in _TORCH_DTYPES:
        raise ValueError(f"Unsupported dtype {dtype!r}; use one of {sorted(_TORCH_DTYPES)}")
    return _TORCH_DTYPES[name]


class SpaceConversionError(ShapeError, TypeError):
    """Raised when a batch cannot be formatted from one space into another."""


class Space(InitArgsMixin):
    """Base class: a description of the shape and type of one batch.

    Every space takes the original's ``validate_callbacks`` and ``np_validate_callbacks``:
    callables run with the batch after :meth:`validate` / :meth:`np_validate` have
    checked it (e.g. to assert a value range).
    """

    dtype: str = "float32"
    validate_callbacks: tuple = ()
    np_validate_callbacks: tuple = ()

    def __init__(self, validate_callbacks: Sequence[Any] | None = None,
                 np_validate_callbacks: Sequence[Any] | None = None) -> None:
        self._set_callbacks(validate_callbacks, np_validate_callbacks)

    def _set_callbacks(self, validate_callbacks: Any, np_validate_callbacks: Any) -> None:
        for name, given in (("validate_callbacks", validate_callbacks),
                            ("np_validate_callbacks", np_validate_callbacks)):
            callbacks = tuple(given or ())
            if not all(callable(c) for c in callbacks):
                raise ValueError(f"{type(self).__name__} {name} must be a list of callables")
            if callbacks:
                setattr(self, name, callbacks)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "validate" in cls.__dict__:
            cls.validate = _with_callbacks(cls.__dict__["validate"], "validate_callbacks")

    def get_total_dimension(self) -> int:
        raise NotImplementedError

    def get_origin_batch(self, batch_size: int, dtype: Any = None) -> torch.Tensor:
        raise NotImplementedError

    def get_origin(self) -> np.ndarray:
        return self.get_origin_batch(1).numpy()[0]

    def batch_size(self, batch: Any) -> int:
        return int(batch.shape[self.get_batch_axis()])

    np_batch_size = batch_size

    def get_batch_axis(self) -> int:
        return 0

    def validate(self, batch: Any) -> None:
        """Raise :class:`ShapeError` if ``batch`` is not a batch of this space."""
        raise NotImplementedError

    def np_validate(self, batch: Any) -> None:
        """:meth:`validate` for numpy batches, then the ``np_validate_callbacks``."""
        self._checks_only(batch)
        for callback in self.np_validate_callbacks:
            callback(batch)

    def _checks_only(self, batch: Any) -> None:
        saved = self.__dict__.get("validate_callbacks")
        self.validate_callbacks = ()
        try:
            self.validate(batch)
        finally:
            if saved is None:
                del self.validate_callbacks
            else:
                self.validate_callbacks = saved

    def format_as(self, batch: Any, space: Space) -> Any:
        """Convert a (torch) batch of this space into a batch of ``space``."""
        if space == self:
            return batch
        return self._format_as(batch, space)

    def np_format_as(self, batch: Any, space: Space) -> Any:
        """Like :meth:`format_as` for numpy arrays; returns numpy arrays."""
        tensors = _to_torch(batch)
        return _to_numpy(self.format_as(tensors, space))

    def undo_format_as(self, batch: Any, space: Space) -> Any:
        return space.format_as(batch, self)

    def undo_np_format_as(self, batch: Any, space: Space) -> Any:
        return space.np_format_as(batch, self)

    def _format_as(self, batch: Any, space: Space) -> Any:
        raise SpaceConversionError(f"Cannot format a batch of {self} as {space}.")

    def _params(self) -> dict[str, Any]:
        return dict(getattr(self, "_init_args", {}))

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._key() == other._key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))

    def _key(self) -> tuple:
        return ()

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._key_items())
        return f"{type(self).__name__}({args})"

    def _key_items(self) -> list[tuple[str, Any]]:
        return []


def _with_callbacks(validate: Any, attribute: str) -> Any:
    """Wrap a subclass's ``validate`` so the space's callbacks run once, after it."""
    if getattr(validate, "_runs_callbacks", False):
        return validate

    def checked(self: Space, batch: Any) -> None:
        outermost = not self.__dict__.get("_validating", False)
        self.__dict__["_validating"] = True
        try:
            validate(self, batch)
        finally:
            if outermost:
                self.__dict__.pop("_validating", None)
        if outermost:
            for callback in getattr(self, attribute):
                callback(batch)

    checked._runs_callbacks = True  # type: ignore[attr-defined]
    checked.__doc__, checked.__name__ = validate.__doc__, validate.__name__
    return checked


def _to_torch(batch: Any) -> Any:
    if isinstance(batch, tuple):
        return tuple(_to_torch(b) for b in batch)
    if batch is None or isinstance(batch, torch.Tensor):
        return batch
    return torch.from_numpy(np.ascontiguousarray(batch))


def _to_numpy(batch: Any) -> Any:
    if isinstance(batch, tuple):
        return tuple(_to_numpy(b) for b in batch)
    if isinstance(batch, torch.Tensor):
        return batch.detach().cpu().numpy()
    return batch


class VectorSpace(Space):
    """A batch is a matrix of shape (batch, dim)."""

    def __init__(self, dim: int, sparse: bool = False, dtype: str = "float32",
                 validate_callbacks: Sequence[Any] | None = None,
                 np_validate_callbacks: Sequence[Any] | None = None):
        self._set_callbacks(validate_callbacks, np_validate_callbacks)
        if int(dim) != dim or dim < 0:
            raise ValueError(f"VectorSpace dim must be a non-negative integer, got {dim!r}")
        self.dim = int(dim)
        self.sparse = sparse
        self.dtype = "float32" if dtype == "floatX" else dtype

    def _key(self) -> tuple:
        return (self.dim, self.sparse, self.dtype)

    def _key_items(self) -> list[tuple[str, Any]]:
        return [("dim", self.dim)] + ([("sparse", True)] if self.sparse else []) + (
            [("dtype", self.dtype)] if self.dtype != "float32" else [])

    def get_total_dimension(self) -> int:
        return self.dim

    def get_origin_batch(self, batch_size: int, dtype: Any = None) -> torch.Tensor:
        return torch.zeros(batch_size, self.dim, dtype=torch_dtype(dtype or self.dtype))

    def validate(self, batch: Any) -> None:
        if batch.ndim != 2 or batch.shape[1] != self.dim:
            raise ShapeError(
                f"{self} expects a batch of shape (batch, {self.dim}), got {tuple(batch.shape)}"
            )

    def _format_as(self, batch: Any, space: Space) -> Any:
        if isinstance(space, VectorSpace):
            if space.dim != self.dim:
                raise SpaceConversionError(f"Cannot format {self} as {space}: dims differ.")
            return batch.to(torch_dtype(space.dtype))
        if isinstance(space, Conv2DSpace):
            if space.get_total_dimension() != self.dim:
                raise SpaceConversionError(
                    f"Cannot format {self} as {space}: {self.dim} != "
                    f"{space.get_total_dimension()} values per example."
                )
            rows, cols = space.shape
            b01c = batch.reshape(batch.shape[0], rows, cols, space.num_channels)
            out = Conv2DSpace.convert(b01c, ("b", 0, 1, "c"), space.axes)
            return out.to(torch_dtype(space.dtype))
        if isinstance(space, CompositeSpace):
            dims = [c.get_total_dimension() for c in space.components]
            if sum(dims) != self.dim:
                raise SpaceConversionError(f"Cannot format {self} as {space}: total dims differ.")
            pieces = torch.split(batch, dims, dim=1)
            return tuple(
                VectorSpace(d).format_as(p, c) for p, d, c in zip(pieces, dims, space.components)
            )
        return super()._format_as(batch, space)


class Conv2DSpace(Space):
    """A batch of images with axes that are a permutation of ('b', 0, 1, 'c')."""

    default_axes = ("b", 0, 1, "c")

    def __init__(
        self,
        shape: Sequence[int],
        channels: int | None = None,
        num_channels: int | None = None,
        axes: Sequence[Any] | None = None,
        dtype: str = "float32",
        validate_callbacks: Sequence[Any] | None = None,
        np_validate_callbacks: Sequence[Any] | None = None,
    ):
        self._set_callbacks(validate_callbacks, np_validate_callbacks)
        if channels is not None and num_channels is not None and channels != num_channels:
            raise ValueError("Conv2DSpace: give either channels or num_channels, not both")
        nch = num_channels if num_channels is not None else channels
        if nch is None:
            raise ValueError("Conv2DSpace needs num_channels (e.g. 1 for grey images, 3 for RGB)")
        shape = tuple(int(s) for s in shape)
        if len(shape) != 2:
            raise ValueError(f"Conv2DSpace shape must be (rows, cols), got {shape}")
        axes = tuple(axes) if axes is not None else self.default_axes
        if sorted(map(str, axes)) != sorted(map(str, self.default_axes)) or len(axes) != 4:
            raise ValueError(f"Conv2DSpace axes must be a permutation of ('b', 0, 1, 'c'), got {axes}")
        self.shape = shape
        self.num_channels = int(nch)
        self.axes = tuple(a if a in ("b", "c") else int(a) for a in axes)
        self.dtype = "float32" if dtype == "floatX" else dtype

    @property
    def channels(self) -> int:
        return self.num_channels

    def _key(self) -> tuple:
        return (self.shape, self.num_channels, self.axes, self.dtype)

    def _key_items(self) -> list[tuple[str, Any]]:
        return [("shape", self.shape), ("num_channels", self.num_channels), ("axes", self.axes)]

    def get_total_dimension(self) -> int:
        return self.shape[0] * self.shape[1] * self.num_channels

    def get_batch_axis(self) -> int:
        return self.axes.index("b")

    def _sizes(self, batch_size: int) -> list[int]:
        size = {"b": batch_size, 0: self.shape[0], 1: self.shape[1], "c": self.num_channels}
        return [size[a] for a in self.axes]

    def get_origin_batch(self, batch_size: int, dtype: Any = None) -> torch.Tensor:
        return torch.zeros(self._sizes(batch_size), dtype=torch_dtype(dtype or self.dtype))

    def validate(self, batch: Any) -> None:
        if batch.ndim != 4:
            raise ShapeError(f"{self} expects a 4-d batch, got shape {tuple(batch.shape)}")
        expected = self._sizes(batch.shape[self.get_batch_axis()])
        if list(batch.shape) != expected:
            raise ShapeError(
                f"{self} expects a batch of shape {tuple(expected)} (axes {self.axes}), "
                f"got {tuple(batch.shape)}"
            )

    @staticmethod
    def convert(tensor: Any, src_axes: Sequence[Any], dst_axes: Sequence[Any]) -> Any:
        """Permute ``tensor`` from ``src_axes`` order to ``dst_axes`` order."""
        src, dst = list(src_axes), list(dst_axes)
        if src == dst:
            return tensor
        perm = [src.index(a) for a in dst]
        if isinstance(tensor, np.ndarray):
            return tensor.transpose(perm)
        return tensor.permute(*perm)

    def _format_as(self, batch: Any, space: Space) -> Any:
        if isinstance(space, Conv2DSpace):
            if (space.shape, space.num_channels) != (self.shape, self.num_channels):
                raise SpaceConversionError(f"Cannot format {self} as {space}: shapes differ.")
            return Conv2DSpace.convert(batch, self.axes, space.axes).to(torch_dtype(space.dtype))
        if isinstance(space, VectorSpace):
            if space.dim != self.get_total_dimension():
                raise SpaceConversionError(
                    f"Cannot format {self} as {space}: {self.get_total_dimension()} != {space.dim}"
                )
            b01c = Conv2DSpace.convert(batch, self.axes, ("b", 0, 1, "c"))
            return b01c.reshape(b01c.shape[0], -1).to(torch_dtype(space.dtype))
        return super()._format_as(batch, space)


class IndexSpace(Space):
    """A batch of integer labels of shape (batch, dim), each in [0, max_labels)."""

    def __init__(self, max_labels: int, dim: int, dtype: str = "int64",
                 validate_callbacks: Sequence[Any] | None = None,
                 np_validate_callbacks: Sequence[Any] | None = None):
        self._set_callbacks(validate_callbacks, np_validate_callbacks)
        if not np.issubdtype(np.dtype(dtype), np.integer):
            raise ValueError(f"IndexSpace needs an integer dtype, got {dtype!r}")
        self.max_labels = int(max_labels)
        self.dim = int(dim)
        self.dtype = dtype

    def _key(self) -> tuple:
        return (self.max_labels, self.dim, self.dtype)

    def _key_items(self) -> list[tuple[str, Any]]:
        return [("max_labels", self.max_labels), ("dim", self.dim)]

    def get_total_dimension(self) -> int:
        return self.dim

    def get_origin_batch(self, batch_size: int, dtype: Any = None) -> torch.Tensor:
        return torch.zeros(batch_size, self.dim, dtype=torch_dtype(dtype or self.dtype))

    def validate(self, batch: Any) -> None:
        if batch.ndim != 2 or batch.shape[1] != self.dim:
            raise ShapeError(f"{self} expects shape (batch, {self.dim}), got {tuple(batch.shape)}")
        if batch.numel() and (int(batch.min()) < 0 or int(batch.max()) >= self.max_labels):
            raise ShapeError(f"{self}: labels must lie in [0, {self.max_labels})")

    def _format_as(self, batch: Any, space: Space) -> Any:
        if isinstance(space, IndexSpace) and (space.max_labels, space.dim) == self._key()[:2]:
            return batch.to(torch_dtype(space.dtype))
        if isinstance(space, VectorSpace):
            labels = batch.long()
            if labels.ndim == 1:
                labels = labels[:, None]
            if space.dim == self.dim * self.max_labels:  # one one-hot block per label
                one_hot = torch.nn.functional.one_hot(labels, self.max_labels)
                return one_hot.reshape(labels.shape[0], -1).to(torch_dtype(space.dtype))
            if space.dim == self.max_labels:  # bag of labels
                out = torch.zeros(labels.shape[0], self.max_labels, dtype=torch_dtype(space.dtype))
                return out.scatter_(1, labels, 1.0)
            raise SpaceConversionError(
                f"Cannot format {self} as {space}: the vector dim must be max_labels "
                f"({self.max_labels}) or dim*max_labels ({self.dim * self.max_labels})."
            )
        return super()._format_as(batch, space)


class CompositeSpace(Space):
    """A tuple of spaces; a batch is a tuple of their batches."""

    def __init__(self, components: Sequence[Space],
                 validate_callbacks: Sequence[Any] | None = None,
                 np_validate_callbacks: Sequence[Any] | None = None):
        self._set_callbacks(validate_callbacks, np_validate_callbacks)
        if isinstance(components, Space):
            components = [components]
        self.components = list(components)
        for c in self.components:
            if not isinstance(c, Space):
                raise TypeError(f"CompositeSpace components must be Spaces, got {c!r}")

    def _key(self) -> tuple:
        return tuple(self.components)

    def _key_items(self) -> list[tuple[str, Any]]:
        return [("components", self.components)]

    def get_total_dimension(self) -> int:
        return sum(c.get_total_dimension() for c in self.components)

    def get_origin_batch(self, batch_size: int, dtype: Any = None) -> tuple:
        return tuple(c.get_origin_batch(batch_size, dtype) for c in self.components)

    def batch_size(self, batch: Any) -> int:
        sizes = {c.batch_size(b) for c, b in zip(self.components, batch) if b is not None}
        if len(sizes) != 1:
            raise ShapeError(f"{self}: components have different batch sizes {sorted(sizes)}")
        return sizes.pop()

    def validate(self, batch: Any) -> None:
        if not isinstance(batch, tuple) or len(batch) != len(self.components):
            raise ShapeError(f"{self} expects a tuple of {len(self.components)} batches")
        for c, b in zip(self.components, batch):
            c.validate(b)

    def restrict(self, subset: Sequence[int]) -> CompositeSpace:
        return CompositeSpace([self.components[i] for i in subset])

    def _format_as(self, batch: Any, space: Space) -> Any:
        if isinstance(space, CompositeSpace) and len(space.components) == len(self.components):
            return tuple(c.format_as(b, s) for c, b, s in zip(self.components, batch, space.components))
        if isinstance(space, VectorSpace):
            parts = [c.format_as(b, VectorSpace(c.get_total_dimension()))
                     for c, b in zip(self.components, batch)]
            return torch.cat(parts, dim=1).to(torch_dtype(space.dtype))
        return super()._format_as(batch, space)


class NullSpace(Space):
    """No data: the batch is ``None`` and the source is ''."""

    def get_total_dimension(self) -> int:
        return 0

    def get_origin_batch(self, batch_size: int, dtype: Any = None) -> None:
        return None

    def validate(self, batch: Any) -> None:
        if batch is not None:
            raise ShapeError("NullSpace batches must be None")

    def batch_size(self, batch: Any) -> int:
        raise ValueError("A NullSpace batch has no size")

    def _format_as(self, batch: Any, space: Space) -> Any:
        if isinstance(space, NullSpace):
            return None
        return super()._format_as(batch, space)


def prod(shape: Sequence[int]) -> int:
    return int(math.prod(shape))
