"""Reading model files written by the original Pylearn2 without running their code."""
