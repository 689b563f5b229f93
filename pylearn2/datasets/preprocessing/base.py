"""The Preprocessor interface, Pipeline, BlockPreprocessor, and saving fitted statistics.

``preprocessor.apply(dataset, can_fit)`` changes a dataset in place (through its design
matrix or topological view). Statistics are fitted only when ``can_fit`` is True; applying
an unfitted preprocessor with ``can_fit=False`` is an error, so test data always gets the
training set's statistics. ``invert()`` prepares ``inverse(X)`` (mapping preprocessed
design rows back) where that is meaningful.

Fitted statistics are plain arrays: ``state_dict()`` returns them, and ``save(path)`` /
:func:`load_preprocessor` write and read an ``.npz`` file (constructor arguments as JSON
plus the arrays, ``allow_pickle=False``), so no pickle is ever needed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from pylearn2.utils.exc import ConfigError, DataNotFoundError, ModelFileError, ShapeError
from pylearn2.utils.init_args import InitArgsMixin

B01C = ("b", 0, 1, "c")
FILE_FORMAT = "pylearn2-preprocessor"
FILE_VERSION = 1


class Preprocessor(InitArgsMixin):
    """Base class. Fitted statistics are the attributes named in ``_fitted``."""

    _fitted: tuple[str, ...] = ()

    def __init__(self) -> None:
        """Argument-less preprocessors record empty constructor arguments (for saving)."""

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        """Transform ``dataset`` in place, fitting statistics first when ``can_fit``."""
        raise NotImplementedError

    def invert(self) -> None:
        """Prepare :meth:`inverse` (e.g. compute an inverse matrix). No-op by default."""

    def inverse(self, X: np.ndarray) -> np.ndarray:
        """Map preprocessed design rows back to the original space."""
        raise ConfigError(f"{type(self).__name__} cannot be inverted.")

    def is_fitted(self) -> bool:
        return all(getattr(self, name, None) is not None for name in self._fitted)

    def _require_fit(self, can_fit: bool) -> bool:
        """True when statistics must be fitted now; an error when they cannot be."""
        if can_fit:
            return True
        if not self.is_fitted():
            raise ConfigError(
                f"{type(self).__name__} has not been fitted: apply it with can_fit=True on the "
                "training set first (fit_preprocessor: True), then to other sets."
            )
        return False

    def _fitted_value(self, name: str) -> Any:
        if getattr(self, name, None) is None:
            raise ConfigError(f"{type(self).__name__} has not been fitted yet; apply it to the "
                              "training set with can_fit=True first.")
        return getattr(self, name)

    def state_dict(self) -> dict[str, Any]:
        """Fitted statistics (numpy arrays or None)."""
        return {name: getattr(self, name, None) for name in self._fitted}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for name in self._fitted:
            value = state.get(name)
            setattr(self, name, None if value is None else np.asarray(value))

    def save(self, path: str) -> None:
        """Write constructor arguments and fitted statistics to an ``.npz`` file (no pickle)."""
        save_preprocessor(self, path)

    @staticmethod
    def load(path: str) -> Preprocessor:
        """Rebuild a preprocessor written by :meth:`save`."""
        return load_preprocessor(path)


def save_preprocessor(preprocessor: Preprocessor, path: str) -> None:
    """Write ``preprocessor`` to ``path`` (exactly that name; ``.npz`` format, no pickle)."""
    from pylearn2.utils.serial import atomic_write, encode_args, to_jsonable

    tree, tensors = to_jsonable(preprocessor.state_dict())
    meta = {"format": FILE_FORMAT, "version": FILE_VERSION,
            "object": encode_args(preprocessor, type(preprocessor).__name__), "state": tree}
    arrays = {key: tensor.numpy() for key, tensor in tensors.items()}
    encoded = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    atomic_write(path, lambda handle: np.savez(handle, __meta__=encoded, **arrays),
                 on_overwrite="ignore")


def load_preprocessor(path: str) -> Preprocessor:
    """Rebuild a preprocessor written by :func:`save_preprocessor` (classes via the allowlist).

    Usable from YAML: ``!obj:pylearn2.datasets.preprocessing.load_preprocessor {path: ...}``.
    """
    import torch

    from pylearn2.utils.serial import decode_args, from_jsonable

    if not os.path.exists(path):
        raise DataNotFoundError(f"Preprocessor file {path} not found.")
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["__meta__"]).decode())
            tensors = {k: torch.from_numpy(np.array(data[k])) for k in data.files
                       if k != "__meta__"}
    except (ValueError, KeyError, OSError) as err:
        raise ModelFileError(f"{path} is not a saved preprocessor ({err}).") from err
    if meta.get("format") != FILE_FORMAT:
        raise ModelFileError(f"{path} is not a saved preprocessor (format {meta.get('format')!r}).")
    obj = decode_args(meta["object"])
    obj.load_state_dict(from_jsonable(meta["state"], tensors))
    return obj


# -- helpers shared by the preprocessors ---------------------------------------------------
def topo_b01c(dataset: Any) -> np.ndarray:
    """The dataset's topological view in ('b', 0, 1, 'c') order."""
    from pylearn2.space import Conv2DSpace

    if getattr(dataset, "view_converter", None) is None:
        raise ConfigError("This preprocessor needs a dataset with a topological view (images); "
                          "this one is a plain design matrix.")
    return Conv2DSpace.convert(dataset.get_topological_view(), dataset.view_converter.axes, B01C)


def set_topo_b01c(dataset: Any, view_b01c: np.ndarray) -> None:
    """Store a b01c view, keeping the dataset's own axes for later topological views."""
    axes = dataset.view_converter.axes
    dataset.set_topological_view(view_b01c, B01C)
    dataset.set_view_converter_axes(axes)


def design_float64(dataset: Any) -> np.ndarray:
    return np.asarray(dataset.get_design_matrix(), dtype=np.float64)


def replace_examples(dataset: Any, X: np.ndarray, y: Any) -> None:
    """Give ``dataset`` a new set of examples (a different count) with targets ``y``."""
    dataset.y = None
    dataset.set_design_matrix(X)
    dataset.y = y


class Pipeline(Preprocessor):
    """Apply ``items`` in order; ``inverse`` undoes them in reverse order."""

    def __init__(self, items: Sequence[Preprocessor] | None = None) -> None:
        self.items = list(items or [])

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        for item in self.items:
            item.apply(dataset, can_fit)

    def invert(self) -> None:
        for item in self.items:
            item.invert()

    def inverse(self, X: np.ndarray) -> np.ndarray:
        for item in reversed(self.items):
            X = item.inverse(X)
        return X

    def is_fitted(self) -> bool:
        return all(item.is_fitted() for item in self.items)

    def state_dict(self) -> dict[str, Any]:
        return {"items": [item.state_dict() for item in self.items]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        states = list(state.get("items", []))
        if len(states) != len(self.items):
            raise ShapeError(f"Pipeline has {len(self.items)} items but the saved state has "
                             f"{len(states)}.")
        for item, item_state in zip(self.items, states):
            item.load_state_dict(item_state)


class ExamplewisePreprocessor(Preprocessor):
    """A preprocessor that acts on each example independently (needs no fitting)."""


class BlockPreprocessor(ExamplewisePreprocessor):
    """Map a Block (anything with ``perform`` on torch batches) over the whole dataset."""

    def __init__(self, block: Any, batch_size: int = 1000) -> None:
        self.block = block
        self.batch_size = int(batch_size)

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        import torch

        from pylearn2.blocks import apply_transformer

        X = dataset.get_design_matrix()
        out = []
        with torch.no_grad():
            for start in range(0, X.shape[0], self.batch_size):
                chunk = torch.from_numpy(np.ascontiguousarray(X[start:start + self.batch_size]))
                out.append(apply_transformer(self.block, chunk).detach().cpu().numpy())
        dataset.set_design_matrix(np.concatenate(out).astype(np.float32))

    def state_dict(self) -> dict[str, Any]:
        state = getattr(self.block, "state_dict", None)
        return {"block": state() if callable(state) else {}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        load = getattr(self.block, "load_state_dict", None)
        if callable(load) and state.get("block"):
            load(state["block"])
