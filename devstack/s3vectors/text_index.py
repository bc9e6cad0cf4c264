"""The full-text side of one index: its searchable keys, and per key the BM25 statistics of
every vector's analysed value, kept up to date by each write (text_postings.py).

Tokens are made when a vector is written (or when a key is added, for the vectors already
there), so a vector is searchable as soon as its PutVectors returns, and a write costs the
analysis and postings of what it wrote, not a rebuild at the next query. Scores are computed
for every row of the index at once, in the store's row order, so a filter's row mask applies
to them directly. The caller holds the store's lock: writing for the changes, reading for
scores.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from .text_analysis import analyze
from .text_choices import BUILDING_REPORTS
from .text_postings import Postings

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
class TextIndex:
    keys: dict[str, SearchableKey] = field(default_factory=dict)
    # key -> the BM25 statistics of its values, by store row
    _postings: dict[str, Postings] = field(default_factory=dict)
    # Rankings by request digest, reused by the pages of one query while nothing is written.
    _results: OrderedDict[str, Any] = field(default_factory=OrderedDict)
    _results_lock: threading.Lock = field(default_factory=threading.Lock)

    # -- configuration (caller holds the store's write lock) --------------------------------

    def add(
        self,
        key: str,
        language: str | None,
        rows: Iterable[tuple[int, dict[str, Any]]],
        *,
        backfill: bool,
    ) -> None:
        """Make `key` searchable and analyse its value in the stored `rows` (row, metadata)."""
        self.keys[key] = SearchableKey(key, language, BUILDING_REPORTS if backfill else 0)
        self._postings[key] = Postings()
        self._forget_results()
        self.put(rows, only=key)

    def remove(self, key: str) -> None:
        del self.keys[key]
        self._postings.pop(key, None)
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

    def put(self, rows: Iterable[tuple[int, dict[str, Any]]], *, only: str | None = None) -> None:
        """Analyse the searchable keys' values of vectors just written, by store row
        (replacing what those rows held)."""
        if not self.keys:
            return
        written = list(rows)
        for name in [only] if only is not None else list(self.keys):
            language = self.keys[name].language
            self._postings[name].write(
                (row, analyze_value(metadata.get(name), language)) for row, metadata in written
            )
        self._forget_results()

    def delete(self, removed: Iterable[int], moves: Mapping[int, int]) -> None:
        """Rows the store deleted and those it moved into their places (IndexStore.delete)."""
        if not self.keys:
            return
        removed = list(removed)
        for postings in self._postings.values():
            postings.delete(removed, moves)
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

    def scores(self, key: str, query: str, count: int) -> np.ndarray:
        """BM25 of `query` against `key`'s value of rows 0..count-1 (0 where no term
        matches); `count` is the store's number of rows."""
        terms = list(dict.fromkeys(analyze(query, self.keys[key].language)))
        return self._postings[key].scores(terms, count)


def analyze_value(value: Any, language: str | None) -> list[str]:
    """A metadata value's tokens: a string's, or a list's string elements' in order."""
    if isinstance(value, str):
        return analyze(value, language)
    if isinstance(value, list):
        return [
            token for item in value if isinstance(item, str) for token in analyze(item, language)
        ]
    return []
