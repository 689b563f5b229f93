"""Inputs for a DBM's discriminative fine-tuning (Salakhutdinov and Hinton, 2012).

:func:`augment_input` puts in front of each example the mean-field estimate of the
DBM's second hidden layer, inferred from that example in ``mf_steps`` updates; an MLP
initialised from the DBM then sees both.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from pylearn2.utils.exc import ConfigError


@torch.no_grad()
def augment_input(X: Any, model: Any, mf_steps: int, batch_size: int = 1000) -> np.ndarray:
    """``[q(h2 | x), x]`` for each row x of ``X`` (``q`` after ``mf_steps`` mean-field
    updates of ``model``, a DBM with at least two hidden layers), as float32."""
    hidden = getattr(model, "hidden_layers", None)
    if hidden is None or len(hidden) < 2:
        raise ConfigError("augment_input needs a DBM with at least two hidden layers.")
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise ConfigError(f"augment_input needs a design matrix (examples, features); got "
                          f"shape {X.shape}.")
    dtype = next(model.parameters()).dtype
    out = []
    for start in range(0, len(X), batch_size):
        V = torch.as_tensor(X[start:start + batch_size], dtype=dtype)
        state = model.mf(V, niter=int(mf_steps))[1]
        h2 = state[0] if isinstance(state, tuple) else state  # pooled units of a max-pool layer
        out.append(np.concatenate([h2.cpu().numpy().astype(np.float32), X[start:start + len(V)]],
                                  axis=1))
    return np.concatenate(out) if out else np.zeros((0, X.shape[1]), np.float32)
