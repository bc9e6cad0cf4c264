"""From the encoder's 384 values to the dimension a model answers with, honestly.

Each (model, dimension) has a fixed map, drawn once from a seed derived from its name (so
every process, and every run, gives the same vectors; two models give vectors in different
spaces, as two real models do). The map is a randomised Hadamard transform: the 384 values
placed at random coordinates of a power-of-two width with random signs, then mixed by the
orthonormal Walsh-Hadamard matrix, so every output coordinate carries signal.

- wider (Titan's 512 and 1,024, Cohere's 1,024): the width is the dimension and the map is
  an isometry. Lengths and inner products are kept exactly, so cosine rankings are the
  encoder's own.
- narrower (Titan's 256): the 512-wide transform, then 256 of its coordinates (scaled by
  the square root of 2, so lengths are kept on average): a subsampled randomised Hadamard
  transform, the standard Johnson-Lindenstrauss map. Angles are kept approximately, so
  rankings are close to, not always equal to, the encoder's: a smaller dimension costing
  some quality is what Titan's own 256 does too.

No LAPACK is involved (a QR of the same size took seconds on a loaded 2-core machine): the
transform is log2(width) vectorised passes.
"""

from __future__ import annotations

import functools
import hashlib
import math
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
    """The (NATIVE_DIMENSION x dimension) map of one model and dimension, drawn once."""
    with _lock:  # concurrent first requests draw it once
        return _drawn(model_id, dimension)


@functools.lru_cache(maxsize=32)
def _drawn(model_id: str, dimension: int) -> npt.NDArray[np.float32]:
    import numpy as np

    width = 1 << (max(dimension, NATIVE_DIMENSION) - 1).bit_length()  # a power of two
    if dimension >= NATIVE_DIMENSION and width != dimension:
        raise ValueError(f"a wider dimension must be a power of two, got {dimension}")
    rng = np.random.default_rng(seed_of(model_id, dimension))
    placed = np.zeros((NATIVE_DIMENSION, width))
    coordinates = rng.permutation(width)[:NATIVE_DIMENSION]
    signs = rng.choice([-1.0, 1.0], size=NATIVE_DIMENSION)
    placed[np.arange(NATIVE_DIMENSION), coordinates] = signs
    mixed = _hadamard_rows(placed)
    if dimension < NATIVE_DIMENSION:
        kept = np.sort(rng.choice(width, size=dimension, replace=False))
        mixed = mixed[:, kept] * math.sqrt(width / dimension)
    matrix = mixed.astype(np.float32)
    matrix.setflags(write=False)  # cached and shared between requests
    return matrix


def _hadamard_rows(rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Each row times the orthonormal Walsh-Hadamard matrix (the fast transform)."""
    out = rows.copy()
    count, width = out.shape
    half = 1
    while half < width:
        blocks = out.reshape(count, width // (2 * half), 2, half)
        first = blocks[:, :, 0, :].copy()
        blocks[:, :, 0, :] += blocks[:, :, 1, :]
        blocks[:, :, 1, :] = first - blocks[:, :, 1, :]
        half *= 2
    result: npt.NDArray[np.float64] = out / math.sqrt(width)
    return result


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
