"""One file holding every fold's model: see :mod:`pylearn2.utils.serial.collection`
(``serial.load`` returns the list of models for such a file)."""

from pylearn2.utils.serial.collection import (  # noqa: F401
    COLLECTION_FORMAT,
    COLLECTION_VERSION,
    is_collection,
    load_models,
    save_models,
)
