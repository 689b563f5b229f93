"""pylearn2: a machine-learning research library on PyTorch.

Experiments are YAML files that build a :class:`pylearn2.train.Train` object from a
dataset, a model and a training algorithm; the monitor records named channels that
training algorithms, termination criteria, extensions and analysis scripts all read.
"""

__version__ = "0.1.0"

# Composition root: the monitor and the YAML layer register themselves with the model-file
# layer (pylearn2.utils.serial) when imported, so a plain ``serial.load`` restores monitors
# and ``serial.load_train_file`` reads YAML however the library is entered.
import pylearn2.config.yaml_parse  # noqa: E402,F401
import pylearn2.monitor  # noqa: E402,F401
