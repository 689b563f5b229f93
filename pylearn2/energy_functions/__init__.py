"""Energy functions for RBMs with Gaussian visible units."""
