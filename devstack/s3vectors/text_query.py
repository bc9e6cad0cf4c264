"""QueryVectors with queryTexts: full-text (BM25) and hybrid (RRF with the vector ranking)
search, in pages of QUERY_PAGE_SIZE that follow nextToken, as vector search does.

The choices where AWS is silent (scores, fusion, ties) are text_choices.py's; the checks of
queryTexts are here, each naming its place in the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from . import tokens
from .checks import count_between
from .errors import ValidationException, json_type_name
from .filters import AllOf, Condition, Filter, Node
from .limits import (
    MAX_ENHANCED_FILTER_CONSTRAINTS,
    MAX_METADATA_KEY_LENGTH,
    MAX_QUERY_TEXT_LENGTH,
    MAX_QUERY_TEXTS,
    QUERY_PAGE_SIZE,
)
from .text_choices import RRF_K
from .text_index import BUILDING, TextIndex

if TYPE_CHECKING:
    from .store import IndexStore


@dataclass(frozen=True)
class QueryText:
    key: str
    text: str


@dataclass(frozen=True)
class Hit:
    """One result and the scores of the rankings that hold it."""

    key: str
    bm25: tuple[tuple[str, float], ...] = ()  # (metadata key, score) for the keys it matched
    distance: float | None = None
    fused: float | None = None


def query_texts(value: Any, text: TextIndex) -> list[QueryText]:
    """queryTexts checked: 1 to 10 entries, each a searchable, ACTIVE key at most once, with a
    text of 1 to 1,024 characters that is not blank."""
    count_between(value, "queryTexts", 1, MAX_QUERY_TEXTS)
    checked: list[QueryText] = []
    for i, item in enumerate(value):
        place = f"queryTexts[{i}]"
        if not isinstance(item, dict):
            raise ValidationException(place, "must be an object {text, metadataKey}")
        key = item.get("metadataKey")
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_METADATA_KEY_LENGTH:
            got = f"{len(key)} characters" if isinstance(key, str) else json_type_name(key)
            raise ValidationException(
                f"{place}.metadataKey",
                f"a metadata key must be 1 to {MAX_METADATA_KEY_LENGTH} characters, got {got}",
            )
        words = item.get("text")
        if not isinstance(words, str) or not 1 <= len(words) <= MAX_QUERY_TEXT_LENGTH:
            got = f"{len(words)} characters" if isinstance(words, str) else json_type_name(words)
            raise ValidationException(
                f"{place}.text",
                f"must be a text of 1 to {MAX_QUERY_TEXT_LENGTH} characters, got {got}",
            )
        if not words.strip():
            raise ValidationException(f"{place}.text", "is blank", "Send the words to search for.")
        if any(earlier.key == key for earlier in checked):
            raise ValidationException(
                f"{place}.metadataKey",
                f"'{key}' is queried more than once",
                "Query each searchable key at most once; put all its words in one text.",
            )
        searchable = text.keys.get(key)
        if searchable is None:
            hint = (
                f"Searchable keys: {', '.join(sorted(text.keys))}."
                if text.keys
                else "The index has no searchable keys."
            )
            raise ValidationException(
                f"{place}.metadataKey",
                f"'{key}' is not a searchable key of this index",
                f"{hint} Add one with UpdateMetadataConfiguration.",
            )
        if searchable.status == BUILDING:
            raise ValidationException(
                f"{place}.metadataKey",
                f"'{key}' is still BUILDING and does not serve queries yet",
                "Query it once GetIndex reports it ACTIVE.",
            )
        checked.append(QueryText(key, words))
    return checked


def require_enhanced(mode: str, query_mode: Any) -> None:
    if mode != "ENHANCED":
        raise ValidationException(
            "queryMode" if query_mode is not None else "queryTexts",
            "full-text and hybrid search need ENHANCED mode",
            "Send queryMode ENHANCED, or switch the index with UpdateIndexMode.",
        )


def check_constraint_budget(condition: Filter) -> None:
    """An ENHANCED filter holds at most 100 constraints; each $in or $nin value counts."""
    count = _constraints(condition.root)
    if count > MAX_ENHANCED_FILTER_CONSTRAINTS:
        raise ValidationException(
            "filter",
            f"the filter has {count} constraints; ENHANCED mode allows at most "
            f"{MAX_ENHANCED_FILTER_CONSTRAINTS} (each $in or $nin value counts as one)",
            "Narrow the filter, or split the query.",
        )


def _constraints(node: Node) -> int:
    if isinstance(node, AllOf):  # AnyOf too
        return sum(_constraints(child) for child in node.children)
    assert isinstance(node, Condition)
    return len(node.arg) if node.op in ("$in", "$nin") else 1


def page(
    *,
    index_arn: str,
    store: IndexStore,
    text: TextIndex,
    distance_metric: str,
    texts: list[QueryText],
    query: np.ndarray | None,
    top_k: int,
    filter_document: Any,
    condition: Filter | None,
    mode: str,
    return_metadata: bool,
    return_distance: bool,
    return_scores: bool,
    next_token: str | None,
) -> dict[str, Any]:
    """One page of a text or hybrid search in QueryVectors' wire shape."""
    digest = tokens.request_digest(
        index_arn,
        top_k,
        None if query is None else query.tobytes(),
        filter_document,
        mode,
        [[t.key, t.text] for t in texts],
    )
    offset = 0
    if next_token is not None:
        payload = tokens.decode(next_token, "query")
        if payload.get("d") != digest:
            raise ValidationException(
                "nextToken",
                "the token belongs to a request with different queryTexts, queryVector, topK "
                "or filter",
                "Send the same queryTexts, queryVector, topK and filter with the token, or omit "
                "it.",
            )
        offset = int(payload.get("o", 0))
    with store.lock.reading():
        hits = text.cached(digest, lambda: rank(store, text, texts, query, top_k, condition))
        end = offset + QUERY_PAGE_SIZE
        vectors = [
            _wire(hit, store, return_metadata, return_distance, return_scores)
            for hit in hits[offset:end]
        ]
    result: dict[str, Any] = {"vectors": vectors, "distanceMetric": distance_metric}
    if end < len(hits):
        result["nextToken"] = tokens.encode({"kind": "query", "d": digest, "o": end})
    return result


def rank(
    store: IndexStore,
    text: TextIndex,
    texts: list[QueryText],
    query: np.ndarray | None,
    top_k: int,
    condition: Filter | None,
) -> list[Hit]:
    """The ranked results: by summed BM25 without a vector, by RRF of the vector ranking and
    that text ranking with one. Caller holds the store's read lock."""
    row_keys = store.row_keys()
    per_key = [text.scores(t.key, t.text, len(row_keys)) for t in texts]
    total = np.sum(per_key, axis=0) if per_key else np.zeros(len(row_keys))
    eligible = total > 0
    if condition is not None and len(row_keys):
        eligible &= condition.mask(store.columns())
    rows = _top_rows(np.flatnonzero(eligible), total, row_keys, top_k)
    text_hits = [
        Hit(
            row_keys[row],
            bm25=tuple(
                (t.key, float(s[row])) for t, s in zip(texts, per_key, strict=True) if s[row]
            ),
        )
        for row in rows
    ]
    if query is None:
        return text_hits
    vector_hits = store.rank(query, top_k, condition)
    fused: dict[str, float] = {}
    for place, hit in enumerate(vector_hits, start=1):
        fused[hit[0]] = 1.0 / (RRF_K + place)
    for place, text_hit in enumerate(text_hits, start=1):
        fused[text_hit.key] = fused.get(text_hit.key, 0.0) + 1.0 / (RRF_K + place)
    bm25_of = {hit.key: hit.bm25 for hit in text_hits}
    distance_of = dict(vector_hits)
    order = sorted(fused, key=lambda key: (-fused[key], key))[:top_k]
    return [
        Hit(key, bm25=bm25_of.get(key, ()), distance=distance_of.get(key), fused=fused[key])
        for key in order
    ]


def _top_rows(rows: np.ndarray, total: np.ndarray, row_keys: list[str], top_k: int) -> list[int]:
    """The first top_k of `rows` by descending score, ties by key; only the rows that can be
    among them (score at least the k-th's) are sorted in Python."""
    scores = total[rows]
    if len(rows) > top_k:
        kth = np.partition(scores, len(rows) - top_k)[len(rows) - top_k]
        keep = scores >= kth
        rows, scores = rows[keep], scores[keep]
    order = sorted(range(len(rows)), key=lambda i: (-scores[i], row_keys[rows[i]]))
    return [int(rows[i]) for i in order[:top_k]]


def _wire(
    hit: Hit, store: IndexStore, metadata: bool, distance: bool, scores: bool
) -> dict[str, Any]:
    item: dict[str, Any] = {"key": hit.key}
    if distance and hit.distance is not None:
        item["distance"] = hit.distance
    if metadata:
        item["metadata"] = store.metadata_of(hit.key)
    if scores:
        shape: dict[str, Any] = {}
        if hit.bm25:
            shape["bm25Scores"] = [{"metadataKey": k, "score": s} for k, s in hit.bm25]
        if hit.fused is not None:
            shape["fused"] = hit.fused
        if hit.distance is not None:
            shape["vectorDistance"] = hit.distance
        item["scores"] = shape
    return item
