"""Original path of BlackBoxDataset (defined in pylearn2.datasets.icml_2013)."""

from pylearn2.datasets.icml_2013 import BlackBoxDataset

__all__ = ["BlackBoxDataset"]
