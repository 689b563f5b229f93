"""Former home of the DBM layers; they live in :mod:`pylearn2.models.dbm.layer` (the
original library's path) and are re-exported here."""

from pylearn2.models.dbm.layer import BinaryVector, BinaryVectorMaxPool, Softmax  # noqa: F401
