"""Deterministic optimisers used by batch training algorithms."""
