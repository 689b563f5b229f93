"""The black box learning contest."""
