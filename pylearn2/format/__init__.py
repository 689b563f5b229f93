"""Reformatting of supervised targets (see :mod:`pylearn2.format.target_format`)."""
