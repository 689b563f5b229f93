"""Autoencoders for sparse inputs (e.g. bag-of-words), as in Dauphin, Glorot and Bengio,
"Large-scale learning of embeddings with reconstruction sampling" (ICML 2011)."""

from __future__ import annotations

from typing import Any

import torch

from pylearn2.models.autoencoder import DenoisingAutoencoder
from pylearn2.utils.sparse import to_dense  # noqa: F401  (old home)


class SparseDenoisingAutoencoder(DenoisingAutoencoder):
    """A denoising autoencoder whose input batches may be sparse.

    ``reconstruct(X, P)`` reconstructs only where the 0/1 pattern ``P`` is 1 (zero
    elsewhere), which the sampled reconstruction costs use; the arguments are
    DenoisingAutoencoder's.
    """

    def encode(self, X: Any) -> torch.Tensor:
        return super().encode(to_dense(X).to(self.weights.dtype))

    def reconstruct_without_dec_acti(self, X: Any, P: torch.Tensor | None = None) -> torch.Tensor:
        """Decoder pre-activation of the corrupted input, masked by ``P`` when given."""
        H = self.encode(self.corruptor(to_dense(X)))
        z = torch.addmm(self.visbias, H, self._decoder_weights())
        return z if P is None else z * P

    def reconstruct(self, X: Any, P: torch.Tensor | None = None) -> torch.Tensor:
        out = self._dec(self.reconstruct_without_dec_acti(X))
        return out if P is None else out * P


__all__ = ["SparseDenoisingAutoencoder", "to_dense"]
