"""Preprocessors: transformations applied once to a whole dataset, in place.

``preprocessor.apply(dataset, can_fit)`` changes the dataset's design matrix or
topological view. Statistics (means, whitening matrices, ...) are fitted only when
``can_fit`` is True, typically on the training set; applying an unfitted preprocessor with
``can_fit=False`` is an error, so test data always gets the training set's statistics.
Fitted statistics are plain arrays: ``state_dict()``, ``save(path)`` and
:func:`load_preprocessor` store them as ``.npz`` without pickle.

Every class is importable from here (``!obj:pylearn2.datasets.preprocessing.ZCA``).
"""

from pylearn2.blocks import (  # noqa: F401 (original path of these blocks)
    ColumnSubsetBlock,
    ExamplewiseAddScaleTransform,
    ExamplewiseUnitNormBlock,
    ZeroColumnInsertBlock,
)
from pylearn2.datasets.preprocessing.base import (
    BlockPreprocessor,
    ExamplewisePreprocessor,
    Pipeline,
    Preprocessor,
    load_preprocessor,
    save_preprocessor,
)
from pylearn2.datasets.preprocessing.examplewise import (
    GlobalContrastNormalization,
    MakeUnitNorm,
    RemapInterval,
    ShuffleAndSplit,
)
from pylearn2.datasets.preprocessing.images import (
    RGB_YUV,
    CentralWindow,
    Downsample,
    ExtractGridPatches,
    ExtractPatches,
    LeCunLCN,
    ReassembleGridPatches,
)
from pylearn2.datasets.preprocessing.lcn import gaussian_filter, lecun_lcn
from pylearn2.datasets.preprocessing.statistics import (
    PCA,
    ZCA,
    RemoveMean,
    RemoveZeroColumns,
    Standardize,
)
from pylearn2.datasets.preprocessing.view_converters import PCA_ViewConverter

__all__ = [
    "BlockPreprocessor", "CentralWindow", "Downsample", "ExamplewisePreprocessor",
    "ExtractGridPatches", "ExtractPatches", "GlobalContrastNormalization", "LeCunLCN",
    "MakeUnitNorm", "PCA", "Pipeline", "Preprocessor", "RGB_YUV", "ReassembleGridPatches",
    "RemapInterval", "RemoveMean", "RemoveZeroColumns", "ShuffleAndSplit", "Standardize", "ZCA",
    "load_preprocessor", "save_preprocessor", "gaussian_filter", "lecun_lcn", "PCA_ViewConverter",
]
