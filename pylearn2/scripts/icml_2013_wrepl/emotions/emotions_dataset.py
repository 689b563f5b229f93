"""Original path of EmotionsDataset (defined in pylearn2.datasets.icml_2013)."""

from pylearn2.datasets.icml_2013 import EmotionsDataset

__all__ = ["EmotionsDataset"]
