"""From the encoder's 384 values to the dimension a model answers with, honestly.

Each (model, dimension) has a fixed orthonormal map, drawn once from a seed derived from its
name (so every process, and every run, gives the same vectors; two models give vectors in
different spaces, as two real models do):

- wider (Titan's 512 and 1,024, Cohere's 1,024): 384 orthonormal rows in the wider space.
  Lengths and inner products are kept exactly, so cosine rankings are the encoder's own.
- narrower (Titan's 256): 256 orthonormal columns, a random orthogonal projection. Angles are
  kept approximately (the Johnson-Lindenstrauss effect), so rankings are close to, not
  always equal to, the encoder's: a smaller dimension costing some quality is what Titan's
  own 256 does too.

Nothing is padded with zeros: every coordinate carries signal, as a real model's do.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from typing import TYPE_CHECKING

from .encoder import NATIVE_DIMENSION

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


def seed_of(model_id: str, dimension: int) -> int:
    digest = hashlib.sha256(f"s3vl-local-bedrock/{model_id}/{dimension}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


_lock = threading.Lock()


def projection(model_id: str, dimension: int) -> npt.NDArray[np.float32]:
    """The (NATIVE_DIMENSION x dimension) map of one model and dimension, drawn once: the
    lock keeps concurrent first requests from each running the QR (BLAS threads of several
    at once slow all of them on a small machine)."""
    with _lock:
        return _drawn(model_id, dimension)


@functools.lru_cache(maxsize=32)
def _drawn(model_id: str, dimension: int) -> npt.NDArray[np.float32]:
    import numpy as np

    rng = np.random.default_rng(seed_of(model_id, dimension))
    tall = rng.standard_normal((max(dimension, NATIVE_DIMENSION), min(dimension, NATIVE_DIMENSION)))
    q, r = np.linalg.qr(tall)
    q *= np.sign(np.diag(r))  # QR's signs are arbitrary; fix them so the map is the seed's
    matrix = (q.T if dimension >= NATIVE_DIMENSION else q).astype(np.float32)
    matrix.setflags(write=False)  # cached and shared between requests
    return matrix


def project(
    vectors: npt.NDArray[np.float32], model_id: str, dimension: int, *, normalize: bool
) -> npt.NDArray[np.float32]:
    """Rows of encoder vectors in the model's space, each scaled to length 1 if asked."""
    import numpy as np

    out = vectors @ projection(model_id, dimension)
    if normalize:
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out = out / np.where(norms == 0, 1, norms)
    return out.astype(np.float32)
