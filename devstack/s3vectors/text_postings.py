"""The BM25 statistics of one searchable key, kept up to date by every write.

Per store row: the distinct terms of its value and its length in tokens. Per term: the rows
holding it and how often (postings, numpy arrays grown in place). A write changes what it
wrote (appends for new rows, one vectorised pass per term its rows held before), never the
whole index; a query computes Lucene's BM25 (text_choices.py) from its terms' postings and the
statistics of that moment (rows with tokens, their average length), so a score is the one a
rebuild would give. Rows are the store's (IndexStore): a delete packs them, moving rows from
the end into the holes, and `delete` is told where each went.

The caller holds the store's lock: writing for the changes, reading for scores (which change
nothing, so readers may run together).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping

import numpy as np

from .text_choices import BM25_B, BM25_K1


class _Posting:
    """The rows holding one term (in no order) and its count in each."""

    __slots__ = ("rows", "size", "tfs")

    def __init__(self) -> None:
        self.rows = np.empty(8, dtype=np.intp)
        self.tfs = np.empty(8, dtype=np.float64)
        self.size = 0

    def extend(self, rows: list[int], tfs: list[int]) -> None:
        end = self.size + len(rows)
        if end > len(self.rows):
            capacity = max(end, 2 * len(self.rows))
            self.rows = np.resize(self.rows, capacity)
            self.tfs = np.resize(self.tfs, capacity)
        self.rows[self.size : end] = rows
        self.tfs[self.size : end] = tfs
        self.size = end

    def rewrite(self, removed: np.ndarray, moved_from: np.ndarray, moved_to: np.ndarray) -> None:
        """Drop the rows in `removed`, then relabel moved_from[i] as moved_to[i] (both
        sorted by moved_from)."""
        rows, tfs = self.rows[: self.size], self.tfs[: self.size]
        keep = ~np.isin(rows, removed) if len(removed) else np.ones(self.size, dtype=bool)
        rows, tfs = rows[keep], tfs[keep]
        if len(moved_from):
            place = np.searchsorted(moved_from, rows).clip(max=len(moved_from) - 1)
            moving = moved_from[place] == rows
            rows = np.where(moving, moved_to[place], rows)
        self.size = len(rows)
        self.rows[: self.size] = rows
        self.tfs[: self.size] = tfs


class Postings:
    def __init__(self) -> None:
        self._postings: dict[str, _Posting] = {}
        self._terms: dict[int, tuple[str, ...]] = {}  # row -> its distinct terms
        self._lengths = np.zeros(0, dtype=np.float64)  # row -> tokens (0: none)
        self._total = 0  # tokens of all rows

    def __len__(self) -> int:
        """Rows with at least one token: BM25's N."""
        return len(self._terms)

    def write(self, rows: Iterable[tuple[int, list[str]]]) -> None:
        """Rows just written and their tokens (an empty list: none); a row written twice
        keeps its last tokens."""
        latest = dict(rows)
        self._rewrite(removed=[row for row in latest if row in self._terms], moves={})
        by_term: dict[str, tuple[list[int], list[int]]] = {}
        for row, tokens in latest.items():
            if not tokens:
                continue
            counts = Counter(tokens)
            for term, tf in counts.items():
                held = by_term.setdefault(term, ([], []))
                held[0].append(row)
                held[1].append(tf)
            self._terms[row] = tuple(counts)
            self._set_length(row, len(tokens))
            self._total += len(tokens)
        for term, (term_rows, tfs) in by_term.items():
            posting = self._postings.get(term)
            if posting is None:
                posting = self._postings[term] = _Posting()
            posting.extend(term_rows, tfs)

    def delete(self, removed: Iterable[int], moves: Mapping[int, int]) -> None:
        """Rows deleted, and rows the store moved into their places (old row -> new row),
        both numbered as before the delete."""
        self._rewrite(removed=list(removed), moves=moves)

    def scores(self, terms: list[str], count: int) -> np.ndarray:
        """BM25 of the (distinct) query `terms` for rows 0..count-1; 0 where none matches."""
        scores = np.zeros(count, dtype=np.float64)
        n = len(self._terms)
        if not n:
            return scores
        average = self._total / n
        for term in terms:
            posting = self._postings.get(term)
            if posting is None:
                continue
            rows, tf = posting.rows[: posting.size], posting.tfs[: posting.size]
            df = posting.size
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            norm = BM25_K1 * (1 - BM25_B + BM25_B * self._lengths[rows] / average)
            scores[rows] += idf * tf / (tf + norm)
        return scores

    def _rewrite(self, *, removed: list[int], moves: Mapping[int, int]) -> None:
        """Forget `removed` rows and relabel moved ones, one pass per term they hold."""
        removed = [row for row in removed if row in self._terms]
        moves = {old: new for old, new in moves.items() if old in self._terms}
        if not removed and not moves:
            return
        touched = {term for row in (*removed, *moves) for term in self._terms[row]}
        gone = np.asarray(sorted(removed), dtype=np.intp)
        moved_from = np.asarray(sorted(moves), dtype=np.intp)
        moved_to = np.asarray([moves[old] for old in moved_from.tolist()], dtype=np.intp)
        for term in touched:
            posting = self._postings[term]
            posting.rewrite(gone, moved_from, moved_to)
            if not posting.size:
                del self._postings[term]
        for row in removed:
            del self._terms[row]
            self._total -= int(self._lengths[row])
            self._lengths[row] = 0
        carried = {moves[old]: (self._terms.pop(old), self._lengths[old]) for old in moves}
        for old in moves:
            self._lengths[old] = 0
        for new, (terms, length) in carried.items():
            self._terms[new] = terms
            self._set_length(new, length)

    def _set_length(self, row: int, length: float) -> None:
        if row >= len(self._lengths):
            grown = np.zeros(max(row + 1, 2 * len(self._lengths), 1024), dtype=np.float64)
            grown[: len(self._lengths)] = self._lengths
            self._lengths = grown
        self._lengths[row] = length
