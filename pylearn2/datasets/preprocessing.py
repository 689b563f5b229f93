"""Preprocessors: transformations applied once to a whole dataset, in place.

``preprocessor.apply(dataset, can_fit)`` changes the dataset's design matrix or
topological view. Statistics (means, whitening matrices, ...) are fitted only when
``can_fit`` is True, typically on the training set; applying an unfitted preprocessor with
``can_fit=False`` is an error, so test data always gets the training set's statistics.
Fitted statistics are plain arrays: ``state_dict()`` / ``save(path)`` / ``load(path)``
store them as ``.npz`` without pickle.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from pylearn2.expr.preprocessing import global_contrast_normalize
from pylearn2.utils.exc import ConfigError, ShapeError
from pylearn2.utils.init_args import InitArgsMixin, class_path

B01C = ("b", 0, 1, "c")


class Preprocessor(InitArgsMixin):
    """Base class. Fitted statistics are the attributes named in ``_fitted``."""

    _fitted: tuple[str, ...] = ()

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        raise NotImplementedError

    def invert(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} cannot be inverted.")

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

    def state_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._fitted}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for name in self._fitted:
            setattr(self, name, state.get(name))

    def save(self, path: str) -> None:
        """Write the fitted statistics and constructor arguments to an ``.npz`` file."""
        arrays = {k: np.asarray(v) for k, v in self.state_dict().items() if v is not None}
        meta = json.dumps({"class": class_path(self), "args": _jsonable(self._init_args)})
        np.savez(path, __meta__=np.frombuffer(meta.encode(), dtype=np.uint8), **arrays)

    @staticmethod
    def load(path: str) -> Preprocessor:
        """Rebuild a preprocessor saved with :meth:`save` (classes via the allowlist)."""
        from pylearn2.utils.allowlist import resolve

        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["__meta__"]).decode())
            arrays = {k: data[k] for k in data.files if k != "__meta__"}
        obj = resolve(meta["class"])(**meta["args"])
        obj.load_state_dict({k: arrays.get(k) for k in obj._fitted})
        return obj


def _jsonable(args: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in args.items():
        if isinstance(value, (np.ndarray, tuple)):
            value = np.asarray(value).tolist()
        if isinstance(value, np.random.Generator):
            continue
        json.dumps(value)
        out[key] = value
    return out


def _topo(dataset: Any) -> np.ndarray:
    """The dataset's topological view in ('b', 0, 1, 'c') order."""
    from pylearn2.space import Conv2DSpace

    if getattr(dataset, "view_converter", None) is None:
        raise ConfigError("This preprocessor needs a dataset with a topological view (images).")
    return Conv2DSpace.convert(dataset.get_topological_view(), dataset.view_converter.axes, B01C)


def _set_topo(dataset: Any, view_b01c: np.ndarray) -> None:
    """Store a b01c view, keeping the dataset's own axes for later topological views."""
    axes = dataset.view_converter.axes
    dataset.set_topological_view(view_b01c, B01C)
    dataset.set_view_converter_axes(axes)


def _rng(rng: Any) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng([int(s) for s in np.atleast_1d(rng if rng is not None else 0)])


class Pipeline(Preprocessor):
    """Apply ``items`` in order."""

    def __init__(self, items: Sequence[Preprocessor] | None = None) -> None:
        self.items = list(items or [])

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        for item in self.items:
            item.apply(dataset, can_fit)

    def is_fitted(self) -> bool:
        return all(item.is_fitted() for item in self.items)

    def state_dict(self) -> dict[str, Any]:
        return {str(i): item.state_dict() for i, item in enumerate(self.items)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for i, item in enumerate(self.items):
            item.load_state_dict(state.get(str(i), {}))

    def save(self, path: str) -> None:
        raise NotImplementedError("Save each item of a Pipeline separately.")


class ExamplewisePreprocessor(Preprocessor):
    """A preprocessor that acts on each example independently (needs no fitting)."""


class BlockPreprocessor(ExamplewisePreprocessor):
    """Map a Block (anything with ``perform`` on torch batches) over the whole dataset."""

    def __init__(self, block: Any, batch_size: int = 1000) -> None:
        self.block = block
        self.batch_size = int(batch_size)

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        import torch

        X = dataset.get_design_matrix()
        out = []
        with torch.no_grad():
            for start in range(0, X.shape[0], self.batch_size):
                chunk = torch.from_numpy(np.ascontiguousarray(X[start:start + self.batch_size]))
                out.append(self.block.perform(chunk).detach().cpu().numpy())
        dataset.set_design_matrix(np.concatenate(out).astype(np.float32))


class MakeUnitNorm(ExamplewisePreprocessor):
    """Scale every example to unit L2 norm (zero rows stay zero)."""

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        X = dataset.get_design_matrix()
        norms = np.linalg.norm(X, axis=1, keepdims=True)
        dataset.set_design_matrix((X / np.where(norms == 0, 1.0, norms)).astype(X.dtype))


class RemoveMean(Preprocessor):
    """Subtract the mean over ``axis`` (0: per feature, fitted; 1: per example)."""

    _fitted = ("mean_",)

    def __init__(self, axis: int = 0) -> None:
        if axis not in (0, 1):
            raise ConfigError(f"RemoveMean axis must be 0 or 1, got {axis}.")
        self.axis = axis
        self.mean_ = None

    def is_fitted(self) -> bool:
        return self.axis == 1 or self.mean_ is not None

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        X = dataset.get_design_matrix().astype(np.float64)
        if self.axis == 1:
            dataset.set_design_matrix((X - X.mean(1, keepdims=True)).astype(np.float32))
            return
        if self._require_fit(can_fit):
            self.mean_ = X.mean(0)
        dataset.set_design_matrix((X - self.mean_).astype(np.float32))


class Standardize(Preprocessor):
    """``(X - mean) / (std_eps + std)`` per feature (or globally), statistics fitted."""

    _fitted = ("mean_", "std_")

    def __init__(self, global_mean: bool = False, global_std: bool = False,
                 std_eps: float = 1e-4) -> None:
        self.global_mean, self.global_std, self.std_eps = global_mean, global_std, std_eps
        self.mean_ = self.std_ = None

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        X = dataset.get_design_matrix().astype(np.float64)
        if self._require_fit(can_fit):
            self.mean_ = np.asarray(X.mean()) if self.global_mean else X.mean(0)
            self.std_ = np.asarray(X.std()) if self.global_std else X.std(0)
        dataset.set_design_matrix(((X - self.mean_) / (self.std_eps + self.std_)).astype(np.float32))


class RemapInterval(ExamplewisePreprocessor):
    """Linearly map values from ``map_from`` = [a, b] to ``map_to`` = [c, d]."""

    def __init__(self, map_from: Sequence[float], map_to: Sequence[float]) -> None:
        if len(map_from) != 2 or len(map_to) != 2 or map_from[0] == map_from[1]:
            raise ConfigError("RemapInterval needs map_from=[a, b] (a != b) and map_to=[c, d].")
        self.map_from, self.map_to = list(map_from), list(map_to)

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        (a, b), (c, d) = self.map_from, self.map_to
        X = dataset.get_design_matrix().astype(np.float64)
        dataset.set_design_matrix(((X - a) / (b - a) * (d - c) + c).astype(np.float32))


class GlobalContrastNormalization(ExamplewisePreprocessor):
    """Per-example contrast normalisation; see :func:`global_contrast_normalize`."""

    def __init__(self, subtract_mean: bool = True, scale: float = 1.0, sqrt_bias: float = 0.0,
                 use_std: bool = False, min_divisor: float = 1e-8,
                 batch_size: int | None = None) -> None:
        self.subtract_mean, self.scale, self.sqrt_bias = subtract_mean, scale, sqrt_bias
        self.use_std, self.min_divisor, self.batch_size = use_std, min_divisor, batch_size

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        X = dataset.get_design_matrix()
        step = self.batch_size or max(len(X), 1)
        out = [global_contrast_normalize(X[i:i + step], scale=self.scale,
                                         subtract_mean=self.subtract_mean, use_std=self.use_std,
                                         sqrt_bias=self.sqrt_bias, min_divisor=self.min_divisor)
               for i in range(0, len(X), step)]
        dataset.set_design_matrix(np.concatenate(out).astype(np.float32))


class ZCA(Preprocessor):
    """Zero-phase whitening: ``X <- (X - mean) P`` with ``P = V diag(1/sqrt(l)) V^T``.

    ``l, V`` are the eigenvalues/vectors of ``cov + filter_bias * I`` (fitted in float64);
    keep the top ``n_components`` or drop the smallest ``n_drop_components``.
    ``store_inverse`` keeps ``inv_P_`` so :meth:`inverse` maps whitened data back.
    """

    _fitted = ("mean_", "P_")

    def __init__(self, n_components: int | None = None, n_drop_components: int | None = None,
                 filter_bias: float = 0.1, store_inverse: bool = True) -> None:
        if n_components is not None and n_drop_components is not None:
            raise ConfigError("ZCA: give n_components or n_drop_components, not both.")
        self.n_components, self.n_drop_components = n_components, n_drop_components
        self.filter_bias, self.store_inverse = float(filter_bias), store_inverse
        self.mean_ = self.P_ = self.inv_P_ = None

    def state_dict(self) -> dict[str, Any]:
        return {"mean_": self.mean_, "P_": self.P_, "inv_P_": self.inv_P_}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.mean_, self.P_, self.inv_P_ = state.get("mean_"), state.get("P_"), state.get("inv_P_")

    def save(self, path: str) -> None:
        self._fitted = ("mean_", "P_", "inv_P_") if self.inv_P_ is not None else ("mean_", "P_")
        super().save(path)

    def fit(self, X: np.ndarray) -> None:
        X = np.asarray(X, dtype=np.float64)
        self.mean_ = X.mean(0)
        centred = X - self.mean_
        cov = centred.T @ centred / X.shape[0] + self.filter_bias * np.eye(X.shape[1])
        eigs, vecs = np.linalg.eigh(cov)
        order = np.argsort(eigs)[::-1]
        eigs, vecs = eigs[order], vecs[:, order]
        keep = len(eigs)
        if self.n_components is not None:
            keep = self.n_components
        elif self.n_drop_components is not None:
            keep = len(eigs) - self.n_drop_components
        eigs, vecs = eigs[:keep], vecs[:, :keep]
        self.P_ = (vecs / np.sqrt(eigs)) @ vecs.T
        self.inv_P_ = (vecs * np.sqrt(eigs)) @ vecs.T if self.store_inverse else None

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        X = dataset.get_design_matrix()
        if self._require_fit(can_fit):
            self.fit(X)
        dataset.set_design_matrix(self.transform(X))

    def transform(self, X: np.ndarray) -> np.ndarray:
        return ((np.asarray(X, dtype=np.float64) - self.mean_) @ self.P_).astype(np.float32)

    def inverse(self, X: np.ndarray) -> np.ndarray:
        if self.inv_P_ is None:
            raise ConfigError("ZCA was fitted with store_inverse=False; it cannot be inverted.")
        return (np.asarray(X, dtype=np.float64) @ self.inv_P_ + self.mean_).astype(np.float32)


class PCA(Preprocessor):
    """Project onto the top ``num_components`` principal directions (optionally whitened)."""

    _fitted = ("mean_", "components_", "variances_")

    def __init__(self, num_components: int, whiten: bool = False) -> None:
        self.num_components, self.whiten = int(num_components), whiten
        self.mean_ = self.components_ = self.variances_ = None

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        X = dataset.get_design_matrix().astype(np.float64)
        if self._require_fit(can_fit):
            self.mean_ = X.mean(0)
            _, s, vt = np.linalg.svd(X - self.mean_, full_matrices=False)
            self.components_ = vt[: self.num_components]
            self.variances_ = s[: self.num_components] ** 2 / X.shape[0]
        Z = (X - self.mean_) @ self.components_.T
        if self.whiten:
            Z = Z / np.sqrt(self.variances_ + 1e-12)
        dataset.view_converter = None
        dataset.set_design_matrix(Z.astype(np.float32))


class _TopoPreprocessor(ExamplewisePreprocessor):
    """Works on the b01c topological view and writes one back."""

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        _set_topo(dataset, self.transform_topo(_topo(dataset)))

    def transform_topo(self, V: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class ExtractPatches(Preprocessor):
    """Replace the dataset by ``num_patches`` random ``patch_shape`` patches of its images."""

    def __init__(self, patch_shape: Sequence[int], num_patches: int, rng: Any = (1, 2, 3)) -> None:
        self.patch_shape = tuple(int(s) for s in patch_shape)
        self.num_patches = int(num_patches)
        self.rng = rng

    def is_fitted(self) -> bool:
        return True

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        V = _topo(dataset)
        n, rows, cols, _ = V.shape
        pr, pc = self.patch_shape
        if pr > rows or pc > cols:
            raise ShapeError(f"ExtractPatches: patch {self.patch_shape} is larger than the images "
                             f"({rows}, {cols}).")
        rng = _rng(self.rng)
        which = rng.integers(0, n, size=self.num_patches)
        r0 = rng.integers(0, rows - pr + 1, size=self.num_patches)
        c0 = rng.integers(0, cols - pc + 1, size=self.num_patches)
        offsets_r = r0[:, None] + np.arange(pr)[None, :]
        offsets_c = c0[:, None] + np.arange(pc)[None, :]
        patches = V[which[:, None, None], offsets_r[:, :, None], offsets_c[:, None, :]]
        dataset.y = None
        _set_topo(dataset, patches)


class ExtractGridPatches(_TopoPreprocessor):
    """All ``patch_shape`` patches on a grid with ``patch_stride``, example-major order."""

    def __init__(self, patch_shape: Sequence[int], patch_stride: Sequence[int]) -> None:
        self.patch_shape = tuple(int(s) for s in patch_shape)
        self.patch_stride = tuple(int(s) for s in patch_stride)

    def transform_topo(self, V: np.ndarray) -> np.ndarray:
        n, rows, cols, ch = V.shape
        (pr, pc), (sr, sc) = self.patch_shape, self.patch_stride
        starts_r = range(0, rows - pr + 1, sr)
        starts_c = range(0, cols - pc + 1, sc)
        patches = [V[:, r:r + pr, c:c + pc, :] for r in starts_r for c in starts_c]
        return np.stack(patches, axis=1).reshape(-1, pr, pc, ch)

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        before = dataset.get_num_examples()
        super().apply(dataset, can_fit)
        if getattr(dataset, "y", None) is not None:
            dataset.y = np.repeat(dataset.y, dataset.get_num_examples() // before, axis=0)


class ReassembleGridPatches(_TopoPreprocessor):
    """Inverse of :class:`ExtractGridPatches` with non-overlapping patches (stride = shape)."""

    def __init__(self, orig_shape: Sequence[int], patch_shape: Sequence[int]) -> None:
        self.orig_shape = tuple(int(s) for s in orig_shape)
        self.patch_shape = tuple(int(s) for s in patch_shape)
        if any(o % p for o, p in zip(self.orig_shape, self.patch_shape)):
            raise ConfigError(f"ReassembleGridPatches: image shape {self.orig_shape} must be a "
                              f"multiple of the patch shape {self.patch_shape}.")

    def transform_topo(self, V: np.ndarray) -> np.ndarray:
        (rows, cols), (pr, pc) = self.orig_shape, self.patch_shape
        gr, gc = rows // pr, cols // pc
        ch = V.shape[-1]
        if V.shape[0] % (gr * gc):
            raise ShapeError(f"ReassembleGridPatches: {V.shape[0]} patches is not a multiple of "
                             f"{gr * gc} per image.")
        grid = V.reshape(-1, gr, gc, pr, pc, ch).transpose(0, 1, 3, 2, 4, 5)
        return grid.reshape(-1, rows, cols, ch)

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        per_image = (self.orig_shape[0] // self.patch_shape[0]) * \
            (self.orig_shape[1] // self.patch_shape[1])
        y = getattr(dataset, "y", None)
        super().apply(dataset, can_fit)
        if y is not None:
            dataset.y = y[::per_image]


class CentralWindow(_TopoPreprocessor):
    """Crop the central ``window_shape`` of every image."""

    def __init__(self, window_shape: Sequence[int]) -> None:
        self.window_shape = tuple(int(s) for s in window_shape)

    def transform_topo(self, V: np.ndarray) -> np.ndarray:
        rows, cols = V.shape[1:3]
        wr, wc = self.window_shape
        if wr > rows or wc > cols:
            raise ShapeError(f"CentralWindow {self.window_shape} is larger than the images.")
        r0, c0 = (rows - wr) // 2, (cols - wc) // 2
        return V[:, r0:r0 + wr, c0:c0 + wc, :]


class Downsample(_TopoPreprocessor):
    """Keep every ``sampling_factor``-th row and column of every image."""

    def __init__(self, sampling_factor: Sequence[int]) -> None:
        self.sampling_factor = tuple(int(s) for s in sampling_factor)

    def transform_topo(self, V: np.ndarray) -> np.ndarray:
        fr, fc = self.sampling_factor
        return V[:, ::fr, ::fc, :]


class RGB_YUV(_TopoPreprocessor):
    """Convert RGB images to YUV (or back, with ``rgb_yuv=False``)."""

    _TO_YUV = np.array([[0.299, 0.587, 0.114], [-0.14713, -0.28886, 0.436],
                        [0.615, -0.51499, -0.10001]])

    def __init__(self, rgb_yuv: bool = True, batch_size: int = 5000) -> None:
        self.rgb_yuv, self.batch_size = rgb_yuv, batch_size

    def transform_topo(self, V: np.ndarray) -> np.ndarray:
        if V.shape[-1] != 3:
            raise ShapeError(f"RGB_YUV needs 3 channels, got {V.shape[-1]}.")
        matrix = self._TO_YUV if self.rgb_yuv else np.linalg.inv(self._TO_YUV)
        return (V.astype(np.float64) @ matrix.T).astype(np.float32)


class LeCunLCN(_TopoPreprocessor):
    """Local contrast normalisation: subtract a Gaussian-weighted local mean, then divide
    by the local standard deviation where it exceeds its image mean (and ``threshold``)."""

    def __init__(self, img_shape: Sequence[int], kernel_size: int = 7, batch_size: int = 5000,
                 threshold: float = 1e-4, channels: Sequence[int] | None = None) -> None:
        self.img_shape = tuple(int(s) for s in img_shape)
        self.kernel_size, self.batch_size = int(kernel_size), int(batch_size)
        self.threshold = float(threshold)
        self.channels = None if channels is None else list(channels)

    def _kernel(self) -> np.ndarray:
        k = self.kernel_size
        x = np.arange(k) - (k - 1) / 2.0
        sigma = k / 4.0
        g = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma ** 2))
        return g / g.sum()

    def transform_topo(self, V: np.ndarray) -> np.ndarray:
        import torch
        import torch.nn.functional as F

        out = V.astype(np.float32).copy()
        kernel = torch.from_numpy(self._kernel()).float()[None, None]
        pad = self.kernel_size // 2
        channels = self.channels if self.channels is not None else range(V.shape[-1])
        for c in channels:
            for start in range(0, len(V), self.batch_size):
                x = torch.from_numpy(np.ascontiguousarray(V[start:start + self.batch_size, :, :, c]))
                x = x.float()[:, None]
                mean = F.conv2d(F.pad(x, (pad,) * 4, mode="reflect"), kernel)
                centred = x - mean
                var = F.conv2d(F.pad(centred ** 2, (pad,) * 4, mode="reflect"), kernel)
                std = var.sqrt()
                floor = std.mean(dim=(2, 3), keepdim=True)
                divisor = torch.maximum(torch.maximum(std, floor),
                                        torch.tensor(self.threshold))
                out[start:start + self.batch_size, :, :, c] = (centred / divisor)[:, 0].numpy()
        return out


class ShuffleAndSplit(Preprocessor):
    """Shuffle the examples with ``seed`` and keep examples [start, stop)."""

    def __init__(self, seed: int, start: int, stop: int) -> None:
        self.seed, self.start, self.stop = seed, int(start), int(stop)

    def is_fitted(self) -> bool:
        return True

    def apply(self, dataset: Any, can_fit: bool = False) -> None:
        n = dataset.get_num_examples()
        if not 0 <= self.start < self.stop <= n:
            raise ConfigError(f"ShuffleAndSplit: need 0 <= start < stop <= {n}.")
        order = np.random.default_rng(self.seed).permutation(n)[self.start:self.stop]
        X = dataset.get_design_matrix()[order]
        y = None if dataset.y is None else dataset.y[order]
        dataset.y = None
        dataset.set_design_matrix(X)
        dataset.y = y
