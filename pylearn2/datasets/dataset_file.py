"""Preprocessed datasets and fitted preprocessors as model files (no pickle).

The dataset-preparation commands (``make_cifar10_gcn_whitened.py`` and the others) write
``train.pkl``, ``test.pkl`` and ``preprocessor.pkl`` that experiment files read back with
``!pkl:``, e.g. ``ZCA_Dataset {preprocessed_dataset: !pkl: 'train.pkl', preprocessor:
!pkl: 'preprocessor.pkl'}``. Here those files are ordinary model files
(:mod:`pylearn2.utils.serial`): the manifest holds shapes and constructor arguments, the
arrays go to ``weights.safetensors``, and loading never unpickles.

- :class:`DatasetFile` is a :class:`DenseDesignMatrix` (design matrix, targets, image
  shape and axes) that is also a parameter-free torch module, so ``serial.save`` can write
  it; :func:`save_dataset` turns any dense dataset into one.
- :class:`PreprocessorFile` holds a fitted preprocessor (ZCA, a Pipeline, ...) with its
  statistics; it behaves as that preprocessor (``apply``, ``invert``, ``inverse`` and its
  attributes). :func:`save_fitted_preprocessor` writes one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from pylearn2.datasets.dense_design_matrix import DefaultViewConverter, DenseDesignMatrix
from pylearn2.datasets.preprocessing.base import Preprocessor
from pylearn2.utils.exc import ConfigError, ModelFileError


def _placeholders(specs: Mapping[str, tuple[Sequence[int], str]], owner: str
                  ) -> dict[str, torch.Tensor]:
    """Uninitialised tensors (no memory touched) standing in until the file's arrays load.

    Their total size is capped by PYLEARN2_MAX_MEMBER_BYTES: the arrays all come from one
    archive member, so a file asking for more is damaged or crafted.
    """
    from pylearn2.utils.limits import max_member_bytes

    out, total = {}, 0
    for key, (shape, dtype) in specs.items():
        kind = getattr(torch, str(dtype), None)
        if not isinstance(kind, torch.dtype) or any(int(n) < 0 for n in shape):
            raise ModelFileError(f"{owner}: array {key!r} has an invalid dtype {dtype!r} or "
                                 f"shape {list(shape)}.")
        size = tuple(int(n) for n in shape)
        total += int(np.prod(size, dtype=object)) * torch.empty(0, dtype=kind).element_size()
        if total > max_member_bytes():
            raise ModelFileError(f"{owner}: its arrays would take more than "
                                 f"{max_member_bytes()} bytes, more than a model file may "
                                 "hold; the file is damaged or crafted (raise "
                                 "PYLEARN2_MAX_MEMBER_BYTES only for a file you trust).")
        out[key] = torch.empty(size, dtype=kind)
    return out


def _dtype_name(array: np.ndarray) -> str:
    return str(torch.from_numpy(np.zeros(0, dtype=array.dtype)).dtype).removeprefix("torch.")


class DatasetFile(DenseDesignMatrix, torch.nn.Module):
    """A dense dataset as stored in a model file; see the module docstring.

    Parameters
    ----------
    num_examples, num_features : shape of the design matrix (float32).
    target_shape, target_dtype : shape and dtype of ``y`` (None: no targets).
    view_shape, axes : image shape (rows, cols, channels) and axes of the topological view.
    y_labels, X_labels : as for :class:`DenseDesignMatrix`.
    description : free text (what the data are and how they were made).
    """

    def __init__(self, num_examples: int, num_features: int,
                 target_shape: Sequence[int] | None = None, target_dtype: str = "int64",
                 view_shape: Sequence[int] | None = None,
                 axes: Sequence[Any] = ("b", 0, 1, "c"), y_labels: int | None = None,
                 X_labels: int | None = None, description: str = "") -> None:
        torch.nn.Module.__init__(self)
        converter = None if view_shape is None else DefaultViewConverter(tuple(view_shape), axes)
        specs = {"X": ((num_examples, num_features), "float32")}
        if target_shape is not None:
            specs["y"] = (target_shape, target_dtype)
        arrays = _placeholders(specs, "DatasetFile")
        DenseDesignMatrix.__init__(self, X=arrays["X"].numpy(), view_converter=converter,
                                   axes=axes, y_labels=y_labels, X_labels=X_labels)
        self.y = arrays["y"].numpy() if "y" in arrays else None  # filled when the file loads
        self.description = description

    @classmethod
    def from_dataset(cls, dataset: Any, description: str = "") -> DatasetFile:
        """A DatasetFile holding ``dataset``'s design matrix, targets and image layout."""
        X = np.asarray(dataset.get_design_matrix(), dtype=np.float32)
        y = dataset.get_targets() if hasattr(dataset, "get_targets") else None
        converter = getattr(dataset, "view_converter", None)
        shape = None if converter is None else [int(s) for s in converter.shape]
        axes = tuple(converter.axes) if converter is not None else ("b", 0, 1, "c")
        y = None if y is None else np.asarray(y)
        out = cls(num_examples=len(X), num_features=X.shape[1],
                  target_shape=None if y is None else list(y.shape),
                  target_dtype="int64" if y is None else _dtype_name(y), view_shape=shape,
                  axes=axes, y_labels=getattr(dataset, "y_labels", None),
                  X_labels=getattr(dataset, "X_labels", None), description=description)
        out.load_state_dict({"X": torch.from_numpy(np.ascontiguousarray(X)),
                             **({} if y is None else {"y": torch.from_numpy(y.copy())})})
        return out

    def state_dict(self, *args: Any, **kwargs: Any) -> dict[str, torch.Tensor]:
        state = {"X": torch.from_numpy(self.X)}
        if self.y is not None:
            state["y"] = torch.from_numpy(np.ascontiguousarray(self.y))
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True,
                        assign: bool = False) -> Any:
        converter = self.view_converter
        self.set_design_matrix(np.asarray(state_dict["X"].numpy(), dtype=np.float32))
        self.view_converter = converter
        if "y" in state_dict:
            self.y = self._check_targets(state_dict["y"].numpy())
        return torch.nn.modules.module._IncompatibleKeys([], [])


class PreprocessorFile(Preprocessor, torch.nn.Module):
    """A fitted preprocessor with its statistics, storable as a model file.

    Parameters
    ----------
    preprocessor : the preprocessor (its constructor arguments are stored).
    state_tree : its ``state_dict()`` as JSON with ``{"__tensor__": key}`` references.
    tensor_specs : ``{key: [dtype, shape]}`` of the arrays the tree refers to.

    Build one with :meth:`wrap` (or :func:`save_fitted_preprocessor`); loading the file
    gives it back fitted.
    """

    def __init__(self, preprocessor: Preprocessor, state_tree: Any = None,
                 tensor_specs: Mapping[str, Sequence[Any]] | None = None) -> None:
        torch.nn.Module.__init__(self)
        if not isinstance(preprocessor, Preprocessor):
            raise ConfigError(f"PreprocessorFile needs a Preprocessor, got "
                              f"{type(preprocessor).__name__}.")
        self.preprocessor = preprocessor
        self.state_tree = state_tree
        self.tensor_specs = {str(k): (str(v[0]), [int(s) for s in v[1]])
                             for k, v in (tensor_specs or {}).items()}
        self._tensors = _placeholders({k: (shape, dtype) for k, (dtype, shape)
                                       in self.tensor_specs.items()}, "PreprocessorFile")

    @classmethod
    def wrap(cls, preprocessor: Preprocessor) -> PreprocessorFile:
        """The file form of a fitted ``preprocessor`` (its statistics included)."""
        from pylearn2.utils.serial import to_jsonable

        if not preprocessor.is_fitted():
            raise ConfigError(f"{type(preprocessor).__name__} has not been fitted; apply it to "
                              "the training set with can_fit=True before saving it.")
        tree, tensors = to_jsonable(preprocessor.state_dict())
        specs = {k: [str(t.dtype).removeprefix("torch."), list(t.shape)]
                 for k, t in tensors.items()}
        out = cls(preprocessor=preprocessor, state_tree=tree, tensor_specs=specs)
        out._tensors = dict(tensors)
        return out

    def state_dict(self, *args: Any, **kwargs: Any) -> dict[str, torch.Tensor]:
        return dict(self._tensors)

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True,
                        assign: bool = False) -> Any:
        from pylearn2.utils.serial import from_jsonable

        if set(state_dict) != set(self.tensor_specs):
            raise ModelFileError(f"PreprocessorFile: the arrays {sorted(state_dict)} do not "
                                 f"match the recorded ones {sorted(self.tensor_specs)}.")
        self._tensors = dict(state_dict)
        self.preprocessor.load_state_dict(from_jsonable(self.state_tree, self._tensors))
        return torch.nn.modules.module._IncompatibleKeys([], [])

    # -- behaves as the preprocessor it holds ---------------------------------------------
    def apply(self, dataset: Any, can_fit: bool = False) -> None:  # type: ignore[override]
        self.preprocessor.apply(dataset, can_fit)

    def invert(self) -> None:
        self.preprocessor.invert()

    def inverse(self, X: np.ndarray) -> np.ndarray:
        return self.preprocessor.inverse(X)

    def is_fitted(self) -> bool:
        return self.preprocessor.is_fitted()

    def __getattr__(self, name: str) -> Any:
        try:
            return torch.nn.Module.__getattr__(self, name)
        except AttributeError:
            inner = self.__dict__.get("preprocessor")
            if inner is None or name.startswith("__"):
                raise
            return getattr(inner, name)


def save_dataset(path: str, dataset: Any, description: str = "") -> DatasetFile:
    """Write ``dataset`` (any dense dataset) to ``path`` as a model file; ``!pkl:`` reads it."""
    from pylearn2.utils import serial

    stored = DatasetFile.from_dataset(dataset, description)
    serial.save(path, stored, on_overwrite="ignore")
    return stored


def save_fitted_preprocessor(path: str, preprocessor: Preprocessor) -> PreprocessorFile:
    """Write a fitted ``preprocessor`` to ``path`` as a model file; ``!pkl:`` reads it."""
    from pylearn2.utils import serial

    stored = preprocessor if isinstance(preprocessor, PreprocessorFile) else \
        PreprocessorFile.wrap(preprocessor)
    serial.save(path, stored, on_overwrite="ignore")
    return stored
