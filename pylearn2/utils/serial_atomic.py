"""Old home of :mod:`pylearn2.utils.serial.atomic` (kept so existing imports work)."""

from pylearn2.utils.serial.atomic import ON_OVERWRITE, atomic_write  # noqa: F401
