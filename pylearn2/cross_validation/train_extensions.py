"""Earlier module name of :mod:`pylearn2.cross_validation.train_cv_extensions`."""

from pylearn2.cross_validation.train_cv_extensions import (  # noqa: F401
    MonitorBasedSaveBestCV,
    MonitorBasedStoreBest,
    TrainCVExtension,
)
