"""The vectors of one index: a float32 matrix kept up to date on put and delete.

Rows are packed (a delete moves the last row into the hole), so a query is one matrix-vector
product over `count` rows. The product ranks approximately in float32; the few rows within
rounding distance of the k-th are then re-scored exactly in float64, so the answer equals a
brute-force reference and ties fall back to the key.
"""

from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from .filters import Columns, Filter

Ranked = list[tuple[str, float]]

_RESULT_CACHE_SIZE = 32


class ReadWriteLock:
    """Many concurrent readers (queries release the GIL in numpy) or one writer."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._cond:
            while self._writer:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._readers:
                self._cond.wait()
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class IndexStore:
    def __init__(self, dimension: int, metric: str) -> None:
        self.dimension = dimension
        self.metric = metric
        self.lock = ReadWriteLock()
        self._count = 0
        self._data = np.zeros((0, dimension), dtype=np.float32)
        self._sq_norms = np.zeros(0, dtype=np.float64)  # squared L2 norm of each row
        self._keys: list[str] = []
        self._metadata: list[dict[str, Any]] = []
        self._row_of: dict[str, int] = {}
        # Values derived from the rows (sorted keys, norms, metadata columns), built on first
        # use and dropped on every write; likewise the rankings by request digest.
        self._derived: dict[str, Any] = {}
        self._results: OrderedDict[str, Ranked] = OrderedDict()
        self._results_lock = threading.Lock()

    def __len__(self) -> int:
        return self._count

    # -- writes (caller holds lock.writing()) ------------------------------------------------

    def put(self, keys: list[str], rows: np.ndarray, metadata: list[dict[str, Any]]) -> list[int]:
        """Write the vectors (a key already held is overwritten in place); returns the row
        of each, in order."""
        self._reserve(self._count + len(keys))
        written = []
        rows64 = rows.astype(np.float64)
        sq_norms = np.einsum("ij,ij->i", rows64, rows64)
        for key, row, sq_norm, meta in zip(keys, rows, sq_norms, metadata, strict=True):
            position = self._row_of.get(key)
            if position is None:
                position = self._count
                self._count += 1
                self._keys.append(key)
                self._metadata.append(meta)
                self._row_of[key] = position
            else:
                self._metadata[position] = meta
            self._data[position] = row
            self._sq_norms[position] = sq_norm
            written.append(position)
        self._changed()
        return written

    def delete(self, keys: list[str]) -> tuple[list[int], dict[int, int]]:
        """Delete the keys held; returns the rows deleted and, for rows moved into their
        places, old row -> new row, all numbered as before the delete (the text index
        follows the same rows)."""
        removed: list[int] = []
        origin: dict[int, int] = {}  # row now -> its row before this delete, where they differ
        for key in keys:
            position = self._row_of.pop(key, None)
            if position is None:
                continue
            last = self._count - 1
            removed.append(origin.pop(position, position))
            if position != last:
                origin[position] = origin.pop(last, last)
                moved = self._keys[last]
                self._data[position] = self._data[last]
                self._sq_norms[position] = self._sq_norms[last]
                self._keys[position] = moved
                self._metadata[position] = self._metadata[last]
                self._row_of[moved] = position
            self._keys.pop()
            self._metadata.pop()
            self._count = last
        self._changed()
        return removed, {before: now for now, before in origin.items()}

    def _reserve(self, needed: int) -> None:
        capacity = self._data.shape[0]
        if needed <= capacity:
            return
        new_capacity = max(needed, capacity * 2, 1024)
        data = np.zeros((new_capacity, self.dimension), dtype=np.float32)
        data[: self._count] = self._data[: self._count]
        sq_norms = np.zeros(new_capacity, dtype=np.float64)
        sq_norms[: self._count] = self._sq_norms[: self._count]
        self._data, self._sq_norms = data, sq_norms

    def _changed(self) -> None:
        self._derived = {}
        with self._results_lock:
            self._results.clear()

    # -- reads (caller holds lock.reading()) -------------------------------------------------

    def get(self, key: str) -> tuple[list[float], dict[str, Any]] | None:
        position = self._row_of.get(key)
        if position is None:
            return None
        return self._data[position].tolist(), self._metadata[position]

    def _derive(self, name: str, build: Callable[[], Any]) -> Any:
        # Concurrent readers may both build a missing value; they build the same thing.
        value = self._derived.get(name)
        if value is None:
            value = self._derived[name] = build()
        return value

    def row_keys(self) -> list[str]:
        """The keys in row order: position i of a filter's mask is row_keys()[i]."""
        return self._keys

    def sorted_keys(self) -> list[str]:
        return self._derive("sorted_keys", lambda: sorted(self._keys))

    def columns(self) -> Columns:
        """Metadata by key, typed for vectorized filtering."""
        return self._derive("columns", lambda: Columns(self._metadata))

    def _norms(self) -> np.ndarray:
        return self._derive("norms", lambda: np.sqrt(self._sq_norms[: self._count]))

    def _max_sq_norm(self) -> float:
        return self._derive("max_sq_norm", lambda: float(self._sq_norms[: self._count].max()))

    def cached_ranking(self, digest: str, compute: Callable[[], Ranked]) -> Ranked:
        """The ranking for one request digest, reused while the index is unchanged (pages)."""
        with self._results_lock:
            ranked = self._results.get(digest)
            if ranked is not None:
                self._results.move_to_end(digest)
                return ranked
        ranked = compute()
        with self._results_lock:
            self._results[digest] = ranked
            while len(self._results) > _RESULT_CACHE_SIZE:
                self._results.popitem(last=False)
        return ranked

    def rank(self, query: np.ndarray, top_k: int, condition: Filter | None) -> Ranked:
        """Exact top_k (key, distance) pairs, ascending distance then key."""
        count = self._count
        if count == 0:
            return []
        rows: np.ndarray | None = None  # None: every row
        if condition is not None:
            rows = np.flatnonzero(condition.mask(self.columns()))
            if not len(rows):
                return []
        if rows is not None and len(rows) * 4 < count:
            # A selective filter reads only its rows instead of the whole matrix.
            dots = self._data[rows] @ query
        else:
            dots = self._data[:count] @ query
            if rows is not None:
                dots = dots[rows]
        chosen = slice(0, count) if rows is None else rows
        dots = dots.astype(np.float64)
        query64 = query.astype(np.float64)
        q_sq = float(query64 @ query64)
        scale = 2.5e-7 * self.dimension  # bound on float32 dot-product rounding, relative
        if self.metric == "cosine":
            approx = 1.0 - dots / (self._norms()[chosen] * np.sqrt(q_sq))
            tolerance = 2 * scale + 1e-9
        else:
            approx = self._sq_norms[chosen] - 2.0 * dots + q_sq
            tolerance = 2 * scale * (self._max_sq_norm() + q_sq) + 1e-9
        k = min(top_k, len(approx))
        kth = np.partition(approx, k - 1)[k - 1]
        near = np.flatnonzero(approx <= kth + tolerance)
        candidates = near if rows is None else rows[near]
        exact = self._exact_distances(candidates, query64, q_sq)
        keys = self._keys
        order = sorted(range(len(candidates)), key=lambda i: (exact[i], keys[candidates[i]]))
        return [(keys[candidates[i]], float(exact[i])) for i in order[:k]]

    def _exact_distances(self, rows: np.ndarray, query64: np.ndarray, q_sq: float) -> np.ndarray:
        chosen = self._data[rows].astype(np.float64)
        if self.metric == "cosine":
            norms = np.linalg.norm(chosen, axis=1) * np.sqrt(q_sq)
            return 1.0 - (chosen @ query64) / norms
        return np.linalg.norm(chosen - query64, axis=1)

    def metadata_of(self, key: str) -> dict[str, Any]:
        return self._metadata[self._row_of[key]]


def segment_of(key: str, segment_count: int) -> int:
    """Stable segment number of a key: segments partition the keys, disjoint and complete."""
    return zlib.crc32(key.encode("utf-8")) % segment_count
