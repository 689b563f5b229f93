"""Small helpers shared across the library."""
