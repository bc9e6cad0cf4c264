"""The full-text side of one index: its searchable keys, each vector's analysed tokens per key,
and a BM25 model per key built on first use after a write (bm25s, Lucene's variant).

Tokens are made when a vector is written (or when a key is added, for the vectors already
there), so a vector is searchable as soon as its PutVectors returns. Scores are computed for
every vector of the index at once, in the store's row order, so a filter's row mask applies
to them directly. The caller holds the store's lock: writing for the changes, reading for
scores (two readers may both build a missing model; they build the same one).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from .text_analysis import analyze
from .text_choices import BM25_B, BM25_K1, BUILDING_REPORTS

ACTIVE, BUILDING = "ACTIVE", "BUILDING"
_RESULT_CACHE_SIZE = 32
T = TypeVar("T")


@dataclass
class SearchableKey:
    """One metadata key made full-text searchable, with its language (None: standard)."""

    name: str
    language: str | None
    # GetIndex reports left before a backfilled key reports ACTIVE (text_choices.py).
    building_reports: int = 0

    @property
    def status(self) -> str:
        return BUILDING if self.building_reports > 0 else ACTIVE

    def wire(self) -> dict[str, str]:
        shape = {"metadataKey": self.name, "status": self.status}
        if self.language is not None:
            shape["language"] = self.language
        return shape


@dataclass
class _Model:
    """BM25 over the vectors with tokens for one key: `rows` are their store rows."""

    rows: np.ndarray
    bm25: Any  # bm25s.BM25; None when no vector has a token for the key


@dataclass
class TextIndex:
    keys: dict[str, SearchableKey] = field(default_factory=dict)
    # key -> vector key -> tokens (vectors without a token for the key are left out)
    _tokens: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    _models: dict[str, _Model] = field(default_factory=dict)
    # Rankings by request digest, reused by the pages of one query while nothing is written.
    _results: OrderedDict[str, Any] = field(default_factory=OrderedDict)
    _results_lock: threading.Lock = field(default_factory=threading.Lock)

    # -- configuration (caller holds the store's write lock) --------------------------------

    def add(
        self,
        key: str,
        language: str | None,
        vectors: Iterable[tuple[str, dict[str, Any]]],
        *,
        backfill: bool,
    ) -> None:
        """Make `key` searchable and analyse its value in `vectors` (key, metadata)."""
        self.keys[key] = SearchableKey(key, language, BUILDING_REPORTS if backfill else 0)
        self._tokens[key] = {}
        self._models.pop(key, None)
        self._forget_results()
        self.put(vectors, only=key)

    def remove(self, key: str) -> None:
        del self.keys[key]
        self._tokens.pop(key, None)
        self._models.pop(key, None)
        self._forget_results()

    def report(self) -> list[dict[str, str]]:
        """The configurations as GetIndex shows them; a BUILDING key, shown once more, comes
        closer to ACTIVE."""
        shown = [searchable.wire() for searchable in self.keys.values()]
        for searchable in self.keys.values():
            if searchable.building_reports:
                searchable.building_reports -= 1
        return shown

    # -- vectors (caller holds the store's write lock) --------------------------------------

    def put(
        self, vectors: Iterable[tuple[str, dict[str, Any]]], *, only: str | None = None
    ) -> None:
        """Analyse the searchable keys' values of vectors just written (replacing any
        earlier tokens of the same vector keys)."""
        if not self.keys:
            return
        names = [only] if only is not None else list(self.keys)
        for vector_key, metadata in vectors:
            for name in names:
                tokens = analyze_value(metadata.get(name), self.keys[name].language)
                if tokens:
                    self._tokens[name][vector_key] = tokens
                else:
                    self._tokens[name].pop(vector_key, None)
        for name in names:
            self._models.pop(name, None)
        self._forget_results()

    def delete(self, vector_keys: Iterable[str]) -> None:
        if not self.keys:
            return
        doomed = list(vector_keys)
        for by_vector in self._tokens.values():
            for vector_key in doomed:
                by_vector.pop(vector_key, None)
        # The store moves its last row into a deleted one's place, and models index rows.
        self._models.clear()
        self._forget_results()

    def _forget_results(self) -> None:
        with self._results_lock:
            self._results.clear()

    # -- reads (caller holds the store's read lock) -----------------------------------------

    def cached(self, digest: str, compute: Callable[[], T]) -> T:
        """The ranking of one request digest, computed once while the index is unchanged."""
        with self._results_lock:
            if digest in self._results:
                self._results.move_to_end(digest)
                return self._results[digest]  # type: ignore[no-any-return]
        ranked = compute()
        with self._results_lock:
            self._results[digest] = ranked
            while len(self._results) > _RESULT_CACHE_SIZE:
                self._results.popitem(last=False)
        return ranked

    def scores(self, key: str, query: str, row_keys: Sequence[str]) -> np.ndarray:
        """BM25 of `query` against `key`'s value of every row (0 where no term matches);
        `row_keys` are the store's keys in row order."""
        searchable = self.keys[key]
        terms = list(dict.fromkeys(analyze(query, searchable.language)))
        model = self._models.get(key)
        if model is None:
            model = self._models[key] = self._build(key, row_keys)
        scores = np.zeros(len(row_keys), dtype=np.float64)
        if model.bm25 is None:
            return scores
        ids = model.bm25.get_tokens_ids(terms)
        if ids:
            scores[model.rows] = model.bm25.get_scores_from_ids(ids)
        return scores

    def _build(self, key: str, row_keys: Sequence[str]) -> _Model:
        import bm25s

        by_vector = self._tokens[key]
        rows, corpus = [], []
        for row, vector_key in enumerate(row_keys):
            tokens = by_vector.get(vector_key)
            if tokens:
                rows.append(row)
                corpus.append(tokens)
        if not corpus:
            return _Model(np.zeros(0, dtype=np.intp), None)
        bm25 = bm25s.BM25(k1=BM25_K1, b=BM25_B, method="lucene", dtype="float64")
        bm25.index(corpus, show_progress=False)
        return _Model(np.asarray(rows, dtype=np.intp), bm25)


def analyze_value(value: Any, language: str | None) -> list[str]:
    """A metadata value's tokens: a string's, or a list's string elements' in order."""
    if isinstance(value, str):
        return analyze(value, language)
    if isinstance(value, list):
        return [
            token for item in value if isinstance(item, str) for token in analyze(item, language)
        ]
    return []
