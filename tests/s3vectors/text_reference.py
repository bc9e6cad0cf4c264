"""An independent reference for full-text and hybrid search: BM25 in Lucene's form computed
here, term by term, over the tokens the service's analyzer gives (the analyzer is checked on
its own in test_text_analysis.py), and Reciprocal Rank Fusion of two exact rankings."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np

from devstack.s3vectors.text_analysis import analyze
from devstack.s3vectors.text_choices import BM25_B, BM25_K1, RRF_K

Ranked = list[tuple[str, float]]


def tokens_of(value: Any, language: str | None) -> list[str]:
    if isinstance(value, str):
        return analyze(value, language)
    if isinstance(value, list):
        return [t for item in value if isinstance(item, str) for t in analyze(item, language)]
    return []


def bm25(docs: dict[str, Any], query: str, language: str | None) -> dict[str, float]:
    """key -> BM25 of `query` for every doc with a token that matches one of its terms;
    `docs` maps each vector key to its value of the searched metadata key."""
    analysed = {key: tokens_of(value, language) for key, value in docs.items()}
    analysed = {key: tokens for key, tokens in analysed.items() if tokens}
    count = len(analysed)
    if not count:
        return {}
    average = sum(len(tokens) for tokens in analysed.values()) / count
    frequency: Counter[str] = Counter()
    for tokens in analysed.values():
        frequency.update(set(tokens))
    terms = list(dict.fromkeys(analyze(query, language)))
    scores = {}
    for key, tokens in analysed.items():
        counts = Counter(tokens)
        score = 0.0
        for term in terms:
            tf = counts.get(term, 0)
            if not tf:
                continue
            df = frequency[term]
            idf = math.log(1 + (count - df + 0.5) / (df + 0.5))
            norm = BM25_K1 * (1 - BM25_B + BM25_B * len(tokens) / average)
            score += idf * tf / (tf + norm)
        if score > 0:
            scores[key] = score
    return scores


def text_ranking(per_key: list[dict[str, float]], allowed: set[str] | None, top_k: int) -> Ranked:
    """Keys by the sum of their BM25 scores over the queried keys, ties by key."""
    total: dict[str, float] = {}
    for scores in per_key:
        for key, score in scores.items():
            total[key] = total.get(key, 0.0) + score
    pairs = [(key, s) for key, s in total.items() if allowed is None or key in allowed]
    return sorted(pairs, key=lambda kv: (-kv[1], kv[0]))[:top_k]


def vector_ranking(
    vectors: dict[str, np.ndarray], query: np.ndarray, allowed: set[str] | None, top_k: int
) -> Ranked:
    """Exact cosine distances in float64 over the float32 values, ties by key."""
    q = query.astype(np.float64)
    pairs = []
    for key, row in vectors.items():
        if allowed is not None and key not in allowed:
            continue
        v = row.astype(np.float64)
        pairs.append((key, 1.0 - float(v @ q / (np.linalg.norm(v) * np.linalg.norm(q)))))
    return sorted(pairs, key=lambda kv: (kv[1], kv[0]))[:top_k]


def rrf(rankings: list[Ranked], top_k: int) -> Ranked:
    fused: dict[str, float] = {}
    for ranking in rankings:
        for place, (key, _) in enumerate(ranking, start=1):
            fused[key] = fused.get(key, 0.0) + 1.0 / (RRF_K + place)
    return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:top_k]


def assert_bm25_scores_match(
    result: dict[str, Any], texts: list[dict[str, str]], per_key: list[dict[str, float]], rel: float
) -> None:
    """A result's bm25Scores name exactly the queried metadata keys whose reference scored its
    key (`per_key`: ref.bm25 per text, in `texts`' order), each within `rel` of that score."""
    import pytest

    got = {s["metadataKey"]: s["score"] for s in result["scores"]["bm25Scores"]}
    want = {
        t["metadataKey"]: s[result["key"]]
        for t, s in zip(texts, per_key, strict=True)
        if result["key"] in s
    }
    assert got.keys() == want.keys()
    for key in want:
        assert got[key] == pytest.approx(want[key], rel=rel)
