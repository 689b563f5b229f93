"""Old home of :mod:`pylearn2.utils.serial.tree` (kept so existing imports work)."""

from pylearn2.utils.serial.tree import (  # noqa: F401
    ARGS_HINT,
    UNSERIALIZABLE,
    decode_args,
    encode_args,
    from_jsonable,
    to_jsonable,
)
