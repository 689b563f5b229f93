"""NORB and small NORB read from the original NORB binary matrix files.

Small NORB: ``${PYLEARN2_DATA_PATH}/norb_small/original/smallnorb-5x46789x9x18x6x2x96x96-
training-{dat,cat,info}.mat`` (and ``5x01235...-testing``). (Big) NORB:
``norb/original/norb-5x46789x9x18x6x2x108x108-training-NN-{dat,cat,info}.mat`` for NN =
01..10 (testing: 01..02). Files may be gzipped (``.mat.gz``). Rows of ``X`` are stereo
pairs; ``y`` holds category then the info columns (instance, elevation, azimuth,
lighting; big NORB adds horizontal shift, vertical shift, lumination change, contrast,
scale, rotation). 'both' stacks the training rows first, then the test rows.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from pylearn2.datasets import filetensor
from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
from pylearn2.utils.exc import ConfigError, DataNotFoundError
from pylearn2.utils.string_utils import preprocess

SMALL_NAMES = ("category", "instance", "elevation", "azimuth", "lighting condition")
BIG_NAMES = SMALL_NAMES + ("horizontal shift", "vertical shift", "lumination change",
                           "contrast", "object scale", "rotation")


def norb_file_paths(which_norb: str, which_set: str, kind: str) -> list[str]:
    """The original files of one kind ('dat', 'cat', 'info'), train files before test."""
    if which_set == "both":
        return norb_file_paths(which_norb, "train", kind) + norb_file_paths(which_norb, "test", kind)
    instances = "01235" if which_set == "test" else "46789"
    part = "testing" if which_set == "test" else "training"
    root = preprocess("${PYLEARN2_DATA_PATH}")
    if which_norb == "small":
        names = [f"smallnorb-5x{instances}x9x18x6x2x96x96-{part}-{kind}.mat"]
        folder = os.path.join(root, "norb_small", "original")
    else:
        count = 2 if which_set == "test" else 10
        names = [f"norb-5x{instances}x9x18x6x2x108x108-{part}-{n:02d}-{kind}.mat"
                 for n in range(1, count + 1)]
        folder = os.path.join(root, "norb", "original")
    paths = []
    for name in names:
        path = os.path.join(folder, name)
        if not os.path.isfile(path) and os.path.isfile(path + ".gz"):
            path += ".gz"
        if not os.path.isfile(path):
            raise DataNotFoundError(f"NORB file {path} does not exist.")
        paths.append(path)
    return paths


class StereoViewConverter:
    """Design rows of stereo pairs <-> a pair (left, right) of image batches.

    ``shape`` gives the size of each of ``axes`` except 'b' (which comes first); 's' has
    size 2. The design rows hold the pair in (s, 0, 1, c) order.
    """

    def __init__(self, shape: Any, axes: Any = None) -> None:
        shape = tuple(int(s) for s in shape)
        axes = tuple(axes) if axes is not None else ("b", "s", 0, 1, "c")
        if len(shape) != 4:
            raise ConfigError(f"StereoViewConverter shape needs 4 sizes, got {shape}.")
        self.shape = shape
        self.axes: tuple = ()
        self.set_axes(axes)
        if self.shape[self._datum_axes().index("s")] != 2:
            raise ConfigError(f"StereoViewConverter: the 's' axis must have size 2 ({shape}).")

    def _datum_axes(self) -> tuple:
        return tuple(a for a in self.axes if a != "b")

    def set_axes(self, axes: Any) -> None:
        axes = tuple(axes)
        if len(axes) != 5 or set(axes) != {"b", "s", 0, 1, "c"} or axes[0] != "b":
            raise ConfigError(f"Stereo axes must be 'b' first, then 's', 0, 1, 'c' in any "
                              f"order; got {axes}.")
        if self.axes:
            old = self._datum_axes()
            self.shape = tuple(self.shape[old.index(a)] for a in axes if a != "b")
        self.axes = axes

    def view_shape(self) -> tuple:
        return self.shape

    def design_mat_to_topo_view(self, design_mat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        datum = self._datum_axes()
        s01c = tuple(self.shape[datum.index(a)] for a in ("s", 0, 1, "c"))
        v = np.asarray(design_mat).reshape((design_mat.shape[0],) + s01c)
        mono_axes = [a for a in self.axes if a != "s"]
        order = [("b", 0, 1, "c").index(a) for a in mono_axes]
        return tuple(v[:, s].transpose(order) for s in range(2))

    def topo_view_to_design_mat(self, topo: Any) -> np.ndarray:
        mono_axes = [a for a in self.axes if a != "s"]
        order = [mono_axes.index(a) for a in ("b", 0, 1, "c")]
        left, right = (np.asarray(t).transpose(order) for t in topo)
        return np.stack([left, right], axis=1).reshape(left.shape[0], -1)


class NORB(DenseDesignMatrix):
    """NORB or small NORB from the original files, in memory.

    Parameters
    ----------
    which_norb : 'big' or 'small'.
    which_set : 'train', 'test' or 'both'.
    image_dtype : dtype of the stored images (uint8 as in the files, or a float type).
    """

    def __init__(self, which_norb: str, which_set: str, image_dtype: Any = "uint8") -> None:
        if which_norb not in ("big", "small"):
            raise ConfigError(f"NORB which_norb must be 'big' or 'small', got {which_norb!r}.")
        if which_set not in ("train", "test", "both"):
            raise ConfigError(f"NORB which_set must be 'train', 'test' or 'both', got "
                              f"{which_set!r}.")
        side = 96 if which_norb == "small" else 108
        images = [filetensor.read(p).reshape(-1, 2 * side * side)
                  for p in norb_file_paths(which_norb, which_set, "dat")]
        cats = [filetensor.read(p).reshape(-1, 1) for p in norb_file_paths(which_norb, which_set, "cat")]
        infos = [filetensor.read(p) for p in norb_file_paths(which_norb, which_set, "info")]
        X = np.concatenate(images).astype(np.dtype(image_dtype))
        info = np.concatenate([i.reshape(i.shape[0], -1) for i in infos])
        y = np.hstack([np.concatenate(cats), info]).astype(np.int32)
        names = SMALL_NAMES if which_norb == "small" else BIG_NAMES
        if y.shape != (X.shape[0], len(names)):
            raise ConfigError(f"NORB {which_norb}/{which_set}: {X.shape[0]} image pairs but "
                              f"labels of shape {y.shape} (expected {len(names)} columns).")
        self.label_index_to_name = names
        self.label_name_to_index = {n: i for i, n in enumerate(names)}
        funcs = (get_category_value, get_instance_value, get_elevation_value,
                 get_azimuth_value, get_lighting_value)
        if which_norb == "big":
            funcs += (get_horizontal_shift_value, get_vertical_shift_value,
                      get_lumination_change_value, get_contrast_change_value,
                      get_scale_change_value, get_rotation_change_value)
        self.label_to_value_funcs = funcs
        self.which_norb, self.which_set = which_norb, which_set
        self.stereo_converter = StereoViewConverter((2, side, side, 1), ("b", "s", 0, 1, "c"))
        super().__init__(X=X, y=y)

    def get_topological_view(self, mat: np.ndarray | None = None, single_tensor: bool = False):
        """(left, right) image batches, or one tensor with the 's' axis when ``single_tensor``."""
        left, right = self.stereo_converter.design_mat_to_topo_view(self.X if mat is None else mat)
        if not single_tensor:
            return left, right
        s_index = self.stereo_converter.axes.index("s")
        return np.stack([left, right], axis=s_index)


def _integral(name: str, label: Any) -> int:
    if not np.issubdtype(type(label), np.integer):
        raise ConfigError(f"{name} label must be an integer, got {label!r} ({type(label).__name__}).")
    return int(label)


def _in_range(name: str, label: Any, low: int, high: int, none_label: int | None = None):
    value = _integral(name, label)
    if not low <= value <= high:
        raise ConfigError(f"{name} label must be in [{low}, {high}], got {value}.")
    return None if value == none_label else value


def _element(name: str, label: Any, values: tuple) -> Any:
    return values[_in_range(name, label, 0, len(values) - 1)]


def get_category_value(label: Any) -> str:
    return _element("category", label, ("animal", "human", "airplane", "truck", "car", "blank"))


def get_instance_value(label: Any) -> int | None:
    return _in_range("instance", label, -1, 9, -1)


def get_elevation_value(label: Any) -> int | None:
    """Elevation in degrees (30 + 5 * label); None for -1."""
    value = _in_range("elevation", label, -1, 8)
    return None if value == -1 else 30 + 5 * value


def get_azimuth_value(label: Any) -> int | None:
    """Azimuth in degrees (10 * label, label even in 0..34); None for -1."""
    value = _integral("azimuth", label)
    if value == -1:
        return None
    if value % 2 or not 0 <= value <= 34:
        raise ConfigError(f"azimuth label must be an even number in 0..34 or -1, got {value}.")
    return value * 10


def get_lighting_value(label: Any) -> int | None:
    return _in_range("lighting", label, -1, 5, -1)


def get_horizontal_shift_value(label: Any) -> int:
    return _in_range("horizontal shift", label, -5, 5)


def get_vertical_shift_value(label: Any) -> int:
    return _in_range("vertical shift", label, -5, 5)


def get_lumination_change_value(label: Any) -> int:
    return _in_range("lumination change", label, -19, 19)


def get_contrast_change_value(label: Any) -> float:
    return _element("contrast change", label, (0.8, 1.3))


def get_scale_change_value(label: Any) -> float:
    return _element("scale change", label, (0.78, 1.0))


def get_rotation_change_value(label: Any) -> int:
    return _in_range("rotation change", label, -4, 4)


__all__ = ["NORB", "StereoViewConverter", "get_azimuth_value", "get_category_value",
           "get_contrast_change_value", "get_elevation_value", "get_horizontal_shift_value",
           "get_instance_value", "get_lighting_value", "get_lumination_change_value",
           "get_rotation_change_value", "get_scale_change_value", "get_vertical_shift_value"]
