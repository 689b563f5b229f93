"""The dataset-preparation commands (``make_cifar10_gcn_whitened.py`` and the others).

Each recipe loads a raw dataset from ``${PYLEARN2_DATA_PATH}``, fits a preprocessor on
the training data, applies it (unchanged) to the other sets, and writes into the folder
the classic library used: the preprocessed datasets (``train.pkl``, ``test.pkl`` or
``data.pkl``, ...), the fitted preprocessor (``preprocessor.pkl``) and a README. The
``.pkl`` files are model files (:mod:`pylearn2.datasets.dataset_file`): ``!pkl:`` in an
experiment file reads them, without unpickling.
"""

from __future__ import annotations

import argparse
import os
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pylearn2.scripts._common import run_cli
from pylearn2.utils.exc import ConfigError
from pylearn2.utils.string_utils import first_data_path

TWO_MILLION = 2_000_000


@dataclass(frozen=True)
class Recipe:
    """One preparation command: ``make(args, out_dir)`` returns the README's description
    of the files it wrote."""

    summary: str
    out_dir: str  # relative to the first folder of PYLEARN2_DATA_PATH
    make: Callable[[argparse.Namespace, str], str]
    patches: bool = False  # takes --num-patches
    chunked: bool = False  # takes --chunk-size
    in_working_dir: bool = False  # a tutorial's files: written to the current folder, no README
    fetch: str | None = None  # the official_downloads function that fetches the raw data


def data_path() -> str:
    return first_data_path("The raw datasets are read from, and the prepared ones written "
                           "to, folders under $PYLEARN2_DATA_PATH.")


def _save(out_dir: str, name: str, dataset: Any, what: str) -> None:
    from pylearn2.datasets.dataset_file import save_dataset

    path = os.path.join(out_dir, name)
    X = dataset.get_design_matrix()
    print(f"Saving {what}: {X.shape[0]} examples of {X.shape[1]} values, range "
          f"[{X.min():.4g}, {X.max():.4g}] -> {path}")
    save_dataset(path, dataset, description=what)


def _save_preprocessor(out_dir: str, preprocessor: Any) -> None:
    from pylearn2.datasets.dataset_file import save_fitted_preprocessor

    path = os.path.join(out_dir, "preprocessor.pkl")
    save_fitted_preprocessor(path, preprocessor)
    print(f"Saved the fitted {type(preprocessor).__name__} -> {path}")


def _fit_then_apply(preprocessor: Any, train: Any, others: Sequence[Any] = ()) -> None:
    print(f"Fitting {type(preprocessor).__name__} on {train.get_num_examples()} training "
          "examples and applying it...")
    train.apply_preprocessor(preprocessor=preprocessor, can_fit=True)
    for other in others:
        other.apply_preprocessor(preprocessor=preprocessor, can_fit=False)


# -- CIFAR ------------------------------------------------------------------------------------
def _cifar_class(name: str) -> Any:
    if name == "CIFAR-10":
        from pylearn2.datasets.cifar10 import CIFAR10

        return CIFAR10
    from pylearn2.datasets.cifar100 import CIFAR100

    return CIFAR100


def _cifar(name: str, gcn: float | None) -> Callable[[argparse.Namespace, str], str]:
    def make(args: argparse.Namespace, out_dir: str) -> str:
        from pylearn2.datasets import preprocessing

        cls = _cifar_class(name)
        print(f"Loading {name} (train, then test){'' if gcn is None else f', GCN scale {gcn}'}...")
        train, test = cls(which_set="train", gcn=gcn), cls(which_set="test", gcn=gcn)
        zca = preprocessing.ZCA()
        _fit_then_apply(zca, train, [test])
        _save(out_dir, "train.pkl", train, f"{name} train set, {_steps(gcn)}")
        _save(out_dir, "test.pkl", test, f"{name} test set, {_steps(gcn)}")
        _save_preprocessor(out_dir, zca)
        return (f"train.pkl and test.pkl: the labelled {name} train and test sets (32x32 "
                f"colour images), {_steps(gcn)}.\npreprocessor.pkl: the ZCA fitted on the "
                "train set; apply it to other images to prepare them the same way, or give it "
                "to ZCA_Dataset to map whitened data back for viewing.")
    return make


def _steps(gcn: float | None) -> str:
    whitening = "approximately whitened (ZCA fitted on the train set)"
    return whitening if gcn is None else f"contrast normalised (GCN, scale {gcn:g}), then {whitening}"


def _patches(source: Callable[[argparse.Namespace], Any], name: str, size: int,
             gcn: dict[str, Any]) -> Callable[[argparse.Namespace, str], str]:
    def make(args: argparse.Namespace, out_dir: str) -> str:
        from pylearn2.datasets import preprocessing

        data = source(args)
        pipeline = preprocessing.Pipeline([
            preprocessing.ExtractPatches(patch_shape=(size, size), num_patches=args.num_patches,
                                         rng=args.seed),
            preprocessing.GlobalContrastNormalization(**gcn),
            preprocessing.ZCA()])
        _fit_then_apply(pipeline, data)
        what = (f"{args.num_patches} {size}x{size} patches drawn uniformly at random from {name}, "
                "contrast normalised and approximately whitened")
        _save(out_dir, "data.pkl", data, what)
        _save_preprocessor(out_dir, pipeline)
        return (f"data.pkl: an unlabelled dataset of {what}.\npreprocessor.pkl: the fitted "
                "Pipeline (patch extraction, contrast normalisation, ZCA); features of other "
                "images must be computed on inputs whitened by its ZCA.")
    return make


def _cifar100_train(args: argparse.Namespace) -> Any:
    print("Loading the CIFAR-100 train set...")
    return _cifar_class("CIFAR-100")(which_set="train")


# -- STL-10 -----------------------------------------------------------------------------------
STL_DOWNSAMPLED = os.path.join("stl10", "stl10_32x32")


def _load_stl(which_set: str, center: bool, example_range: Any = None) -> Any:
    from pylearn2.datasets.stl10 import STL10

    return STL10(which_set=which_set, center=center, example_range=example_range)


def _make_downsampled_stl10(args: argparse.Namespace, out_dir: str) -> str:
    from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix
    from pylearn2.datasets.preprocessing import Downsample

    shrink = Downsample(sampling_factor=[3, 3])
    chunks, start = [], 0
    while True:  # the unlabelled set is large: load and shrink it a chunk at a time
        print(f"Loading unlabelled examples {start}..{start + args.chunk_size - 1}...")
        chunk = _load_stl("unlabeled", True, (start, start + args.chunk_size))
        if chunk.get_num_examples():
            chunk.apply_preprocessor(shrink)
            chunks.append(chunk.get_topological_view())
        if chunk.get_num_examples() < args.chunk_size:
            break
        start += args.chunk_size
    unlabeled = DenseDesignMatrix(topo_view=np.concatenate(chunks), axes=("b", 0, 1, "c"))
    what = "STL-10 {}, downsampled 3x to 32x32 and centred into [-127.5, 127.5]"
    _save(out_dir, "unlabeled.pkl", unlabeled, what.format("unlabelled set"))
    for which in ("test", "train"):
        print(f"Loading the STL-10 {which} set...")
        data = _load_stl(which, True)
        data.apply_preprocessor(shrink)
        _save(out_dir, f"{which}.pkl", data, what.format(f"{which} set"))
    return ("unlabeled.pkl, train.pkl and test.pkl: the STL-10 sets downsampled by 3 along "
            "both image axes (to 32x32) and centred into [-127.5, 127.5], the first step of "
            "Coates, Lee and Ng (2011). make_stl10_whitened.py and make_stl10_patches.py read "
            "them from here.")


def _downsampled(name: str) -> Any:
    from pylearn2.utils import serial

    path = os.path.join(data_path(), STL_DOWNSAMPLED, name)
    if not os.path.isfile(path):
        raise ConfigError(f"{path} not found; run make_downsampled_stl10.py first.")
    return serial.load(path)


def _stl_unlabeled_and_train() -> tuple[Any, Any]:
    print(f"Loading the downsampled STL-10 unlabelled and train sets from {STL_DOWNSAMPLED}...")
    return _downsampled("unlabeled.pkl"), _downsampled("train.pkl")


def _make_stl10_whitened(args: argparse.Namespace, out_dir: str) -> str:
    from pylearn2.datasets import preprocessing
    from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix

    unlabeled, train = _stl_unlabeled_and_train()
    n_unlabeled = unlabeled.get_num_examples()
    union = DenseDesignMatrix(X=np.concatenate([unlabeled.X, train.X]),
                              view_converter=unlabeled.view_converter)
    zca = preprocessing.ZCA()
    test = _downsampled("test.pkl")
    _fit_then_apply(zca, union, [test])
    _save(out_dir, "unsupervised.pkl", union, "STL-10 unlabelled + train images (no labels), "
          "32x32, approximately whitened")
    unlabeled.set_design_matrix(union.X[:n_unlabeled])
    train.set_design_matrix(union.X[n_unlabeled:])
    for name, data in (("unlabeled", unlabeled), ("train", train), ("test", test)):
        _save(out_dir, f"{name}.pkl", data, f"STL-10 {name} set, 32x32, approximately whitened")
    _save_preprocessor(out_dir, zca)
    return ("unsupervised.pkl: the unlabelled and the labelled train images together, without "
            "labels; unlabeled.pkl, train.pkl (labelled) and test.pkl (labelled): the same "
            "split as the source. All are 32x32 and approximately whitened by the ZCA in "
            "preprocessor.pkl, fitted on unsupervised.pkl.")


def _stl_patch_source(args: argparse.Namespace) -> Any:
    from pylearn2.datasets.dense_design_matrix import DenseDesignMatrix

    unlabeled, train = _stl_unlabeled_and_train()
    return DenseDesignMatrix(X=np.concatenate([unlabeled.X, train.X]),
                             view_converter=unlabeled.view_converter)


# -- the tutorials' preparation scripts ---------------------------------------------------------
def _make_grbm_smd_dataset(args: argparse.Namespace, out_dir: str) -> str:
    from pylearn2.datasets import preprocessing

    print("Loading the CIFAR-10 train set...")
    train = _cifar_class("CIFAR-10")(which_set="train")
    pipeline = preprocessing.Pipeline([
        preprocessing.ExtractPatches(patch_shape=(8, 8), num_patches=args.num_patches,
                                     rng=args.seed),
        preprocessing.GlobalContrastNormalization(**_COATES_GCN),
        preprocessing.ZCA()])
    _fit_then_apply(pipeline, train)
    _save(out_dir, "cifar10_preprocessed_train.pkl", train,
          f"{args.num_patches} 8x8 CIFAR-10 patches, contrast normalised and whitened")
    return ""


def _make_lcc_tangents_dataset(args: argparse.Namespace, out_dir: str) -> str:
    from pylearn2.datasets import preprocessing

    cls = _cifar_class("CIFAR-10")
    print("Loading CIFAR-10 (train, then test), centred...")
    train, test = cls(which_set="train", center=True), cls(which_set="test", center=True)
    pipeline = preprocessing.Pipeline([
        preprocessing.GlobalContrastNormalization(subtract_mean=False, sqrt_bias=0.0,
                                                  use_std=True),
        preprocessing.PCA(num_components=args.num_components)])
    _fit_then_apply(pipeline, train, [test])
    what = f"CIFAR-10 {{}} set, centred, contrast normalised, top {args.num_components} PCA components"
    _save(out_dir, "cifar10_preprocessed_train.pkl", train, what.format("train"))
    _save(out_dir, "cifar10_preprocessed_test.pkl", test, what.format("test"))
    return ""


_COATES_GCN = {"sqrt_bias": 10.0, "use_std": True}

RECIPES: dict[str, Recipe] = {
    "make_cifar10_gcn_whitened": Recipe(
        "CIFAR-10 contrast normalised (GCN scale 55) and ZCA-whitened",
        os.path.join("cifar10", "pylearn2_gcn_whitened"),
        _cifar("CIFAR-10", 55.0), fetch="download_cifar10"),
    "make_cifar10_whitened": Recipe(
        "CIFAR-10 ZCA-whitened", os.path.join("cifar10", "pylearn2_whitened"),
        _cifar("CIFAR-10", None), fetch="download_cifar10"),
    "make_cifar100_gcn_whitened": Recipe(
        "CIFAR-100 contrast normalised (GCN scale 55) and ZCA-whitened",
        os.path.join("cifar100", "pylearn2_gcn_whitened"),
        _cifar("CIFAR-100", 55.0), fetch="download_cifar100"),
    "make_cifar100_whitened": Recipe(
        "CIFAR-100 ZCA-whitened", os.path.join("cifar100", "whitened"),
        _cifar("CIFAR-100", None), fetch="download_cifar100"),
    "make_cifar100_patches": Recipe(
        "6x6 contrast-normalised, whitened patches of the CIFAR-100 train set",
        os.path.join("cifar100", "cifar100_patches"),
        _patches(_cifar100_train, "the CIFAR-100 train set", 6, {}), patches=True,
        fetch="download_cifar100"),
    "make_cifar100_patches_8x8": Recipe(
        "8x8 contrast-normalised, whitened patches of the CIFAR-100 train set",
        os.path.join("cifar100", "cifar100_patches_8x8"),
        _patches(_cifar100_train, "the CIFAR-100 train set", 8, _COATES_GCN), patches=True,
        fetch="download_cifar100"),
    "make_downsampled_stl10": Recipe(
        "STL-10 downsampled to 32x32 and centred", STL_DOWNSAMPLED, _make_downsampled_stl10,
        chunked=True, fetch="download_stl10"),
    "make_stl10_whitened": Recipe(
        "downsampled STL-10, ZCA-whitened", os.path.join("stl10", "stl10_32x32_whitened"),
        _make_stl10_whitened),
    "make_stl10_patches": Recipe(
        "6x6 whitened patches of the downsampled STL-10 unlabelled + train sets",
        os.path.join("stl10", "stl10_patches"),
        _patches(_stl_patch_source, "the downsampled STL-10 unlabelled and train sets", 6,
                 _COATES_GCN), patches=True),
    "make_stl10_patches_8x8": Recipe(
        "8x8 whitened patches of the downsampled STL-10 unlabelled + train sets",
        os.path.join("stl10", "stl10_patches_8x8"),
        _patches(_stl_patch_source, "the downsampled STL-10 unlabelled and train sets", 8,
                 _COATES_GCN), patches=True),
    "grbm_smd_make_dataset": Recipe(
        "the GRBM tutorial's data: 8x8 contrast-normalised, whitened CIFAR-10 patches "
        "(tutorials/grbm_smd/make_dataset.py)", ".", _make_grbm_smd_dataset, patches=True,
        in_working_dir=True, fetch="download_cifar10"),
    "lcc_tangents_make_dataset": Recipe(
        "the local-coordinate-coding data: centred, contrast-normalised CIFAR-10 projected on "
        "its top principal components (lcc_tangents/make_dataset.py)", ".",
        _make_lcc_tangents_dataset, in_working_dir=True, fetch="download_cifar10"),
}
DEFAULT_PATCHES = {"grbm_smd_make_dataset": 150_000}


def make_parser(name: str) -> argparse.ArgumentParser:
    recipe = RECIPES[name]
    parser = argparse.ArgumentParser(
        prog=f"{name}.py",
        description=f"Prepare {recipe.summary}. Reads the raw data from $PYLEARN2_DATA_PATH and "
                    f"writes the preprocessed datasets (.pkl model files, read with !pkl:), the "
                    f"fitted preprocessor and a README into $PYLEARN2_DATA_PATH/{recipe.out_dir}.")
    where = "the current folder" if recipe.in_working_dir else f"$PYLEARN2_DATA_PATH/{recipe.out_dir}"
    parser.add_argument("--out-dir", metavar="DIR", help=f"write here instead of {where}")
    if recipe.patches:
        count = DEFAULT_PATCHES.get(name, TWO_MILLION)
        parser.add_argument("--num-patches", type=int, default=count, metavar="N",
                            help=f"patches to extract (default {count})")
        parser.add_argument("--seed", type=int, default=None,
                            help="seed of the patch positions (default: the library's fixed seed)")
    if name == "lcc_tangents_make_dataset":
        parser.add_argument("--num-components", type=int, default=512, metavar="N",
                            help="principal components kept (default 512)")
    if recipe.fetch:
        parser.add_argument("--download", action="store_true",
                            help="first fetch the raw dataset from its official site "
                                 "(MD5-checked; skipped when it is already unpacked)")
    if recipe.chunked:
        parser.add_argument("--chunk-size", type=int, default=10000, metavar="N",
                            help="unlabelled images loaded at a time (default 10000)")
    return parser


def run_recipe(name: str, argv: Sequence[str] | None = None) -> int:
    """Run the recipe ``name`` as a command (``argv``: its options)."""
    recipe = RECIPES[name]

    def run(args: argparse.Namespace) -> int:
        for option in ("num_patches", "chunk_size", "num_components"):
            if getattr(args, option, 1) < 1:
                raise ConfigError(f"--{option.replace('_', '-')} must be positive.")
        default = os.getcwd() if recipe.in_working_dir else os.path.join(data_path(),
                                                                         recipe.out_dir)
        out_dir = args.out_dir or default
        if getattr(args, "download", False):
            from pylearn2.datasets import official_downloads

            print(f"Raw data in {getattr(official_downloads, recipe.fetch)()}")
        os.makedirs(out_dir, exist_ok=True)
        print(f"Writing into {out_dir}")
        description = recipe.make(args, out_dir)
        if not recipe.in_working_dir:
            write_readme(out_dir, name, description)
        return 0

    return run_cli(lambda: make_parser(name), run, argv)


def write_readme(out_dir: str, name: str, description: str) -> None:
    body = "\n\n".join(textwrap.fill(p, 88) for p in description.split("\n"))
    text = (f"Made by the pylearn2 command {name}.py (also `pylearn2 {name.replace('_', '-')}`)."
            f"\n\n{body}\n\nThe .pkl files are pylearn2 model files (zip archives of JSON and "
            "safetensors, never pickles): load them with pylearn2.utils.serial.load, or with "
            "!pkl: 'PATH' in an experiment file.\n")
    with open(os.path.join(out_dir, "README"), "w") as handle:
        handle.write(text)


def recipe_main(name: str) -> Callable[[Sequence[str] | None], int]:
    """The ``main(argv)`` of the command ``name`` (a key of :data:`RECIPES`)."""
    if name not in RECIPES:
        raise KeyError(name)

    def main(argv: Sequence[str] | None = None) -> int:
        return run_recipe(name, argv)

    main.__doc__ = f"{name}.py: prepare {RECIPES[name].summary}."
    return main
