"""pylearn2: a machine-learning research library on PyTorch.

Experiments are YAML files that build a :class:`pylearn2.train.Train` object from a
dataset, a model and a training algorithm; the monitor records named channels that
training algorithms, termination criteria, extensions and analysis scripts all read.
"""

__version__ = "0.1.0"
