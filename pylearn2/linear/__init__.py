"""Linear transforms between spaces, swappable inside models.

Each transform maps a batch of its input space to its output space with ``lmul`` and
back with the exact adjoint ``lmul_T`` (<lmul(x), y> = <x, lmul_T(y)>). A model written
in terms of a transform (e.g. the RBM) becomes dense, convolutional, tiled-convolutional
or locally connected by configuration alone.
"""

from pylearn2.linear.conv2d import Conv2D, make_random_conv2D, make_sparse_random_conv2D
from pylearn2.linear.linear_transform import LinearTransform
from pylearn2.linear.local_connected import (
           LocalConnected,
           TiledConv2D,
           make_random_local,
           make_random_tiled_conv2D,
)
from pylearn2.linear.matrixmul import MatrixMul, make_random_matrixmul

__all__ = ["LinearTransform", "MatrixMul", "Conv2D", "LocalConnected", "TiledConv2D",
           "make_random_matrixmul", "make_random_conv2D", "make_sparse_random_conv2D",
           "make_random_local", "make_random_tiled_conv2D"]
