"""pylearn2: a machine-learning research library on PyTorch.

Experiments are YAML files that build a :class:`pylearn2.train.Train` object from a
dataset, a model and a training algorithm; the monitor records named channels that
training algorithms, termination criteria, extensions and analysis scripts all read.
"""

__version__ = "0.1.0"

# OpenMP threads that wait passively share cores with other processes; the setting only
# counts before torch is loaded, so it is made here, ahead of every torch import (a value
# the user set is kept). See pylearn2.utils.threads.
import os as _os  # noqa: E402

_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# Composition root: the monitor and the YAML layer register themselves with the model-file
# layer (pylearn2.utils.serial) when imported, so a plain ``serial.load`` restores monitors
# and ``serial.load_train_file`` reads YAML however the library is entered.
import pylearn2.config.yaml_parse  # noqa: E402,F401
import pylearn2.monitor  # noqa: E402,F401
