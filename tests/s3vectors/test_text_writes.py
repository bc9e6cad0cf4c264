"""Writes keep the text index exact (issue 12): each PutVectors and DeleteVectors updates the
BM25 statistics in place (text_postings.py) instead of a rebuild at the next query, so after
overwrites, deletes that move rows into the holes, new keys and keys whose value loses its
text, every ranking and score still equals the reference computed from what the index then
holds (text_reference.py), on the 1,200 real-text products; and the statistics kept by writes
equal those of a fresh index holding the same rows."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from moto import mock_aws

import devstack.s3vectors as s3v
from devstack.s3vectors.text_analysis import analyze
from devstack.s3vectors.text_postings import Postings
from tests.s3vectors import text_reference as ref
from tests.support.s3vectors import BUCKET, create_index, make_client, put_in_chunks, query_all

PRODUCTS = Path(__file__).resolve().parents[2] / "sample-data" / "text-products.json"
DIMENSION = 4
LANGUAGES = {"title": "en", "description": None}
INDEX = {"vectorBucketName": BUCKET, "indexName": "writes"}
QUERIES = [
    [{"metadataKey": "title", "text": "waterproof hiking boots"}],
    [{"metadataKey": "description", "text": "recycled nylon"}],
    [
        {"metadataKey": "title", "text": "red kettle"},
        {"metadataKey": "description", "text": "the water boils fast"},
    ],
    [{"metadataKey": "title", "text": "Northwind lightweight"}],
]


@pytest.fixture(scope="module")
def catalog() -> list[dict[str, Any]]:
    products: list[dict[str, Any]] = json.loads(PRODUCTS.read_text())["products"]
    assert len(products) >= 1000
    return products


@pytest.fixture
def service() -> Iterator[Any]:
    s3v.install()
    with mock_aws():
        client = make_client()
        client.create_vector_bucket(vectorBucketName=BUCKET)
        create_index(
            client,
            BUCKET,
            INDEX["indexName"],
            DIMENSION,
            metadataConfiguration={
                "nonFilterableMetadataKeys": ["description"],
                "textSearchConfigurations": [
                    {"metadataKey": "title", "language": "en"},
                    {"metadataKey": "description"},
                ],
            },
        )
        yield client


def _vector(key: str, metadata: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    return {
        "key": key,
        "data": {"float32": (rng.standard_normal(DIMENSION) + 0.1).tolist()},
        "metadata": metadata,
    }


def _check_every_query(client: Any, held: dict[str, dict[str, Any]]) -> None:
    """Each query's whole ranking and every score equal the reference over `held`."""
    for texts in QUERIES:
        results = query_all(client, INDEX, topK=10_000, queryTexts=texts, returnScores=True)
        per_key = [
            ref.bm25(
                {key: meta.get(t["metadataKey"]) for key, meta in held.items()},
                t["text"],
                LANGUAGES[t["metadataKey"]],
            )
            for t in texts
        ]
        expected = ref.text_ranking(per_key, None, 10_000)
        assert expected
        assert [r["key"] for r in results] == [k for k, _ in expected], texts
        for result in results:
            ref.assert_bm25_scores_match(result, texts, per_key, rel=1e-12)


def test_rankings_stay_exact_through_overwrites_deletes_and_new_keys(service, catalog):
    rng = np.random.default_rng(3)
    shuffle = random.Random(3)
    held = {p["key"]: {k: v for k, v in p.items() if k != "key"} for p in catalog}
    put_in_chunks(service, INDEX, [_vector(k, m, rng) for k, m in held.items()])
    _check_every_query(service, held)

    # Overwrites: 200 products take another's title and description; some lose their text
    # (a number is not text), one gets a list of strings.
    keys = list(held)
    changed = shuffle.sample(keys, 200)
    for i, key in enumerate(changed):
        other = held[keys[(keys.index(key) + 7) % len(keys)]]
        held[key] = {**held[key], "title": other["title"], "description": other["description"]}
        if i % 25 == 0:
            held[key]["title"] = 42
        if i % 40 == 1:
            held[key]["description"] = ["Waterproof nylon shell", "recycled lining", 3]
    put_in_chunks(service, INDEX, [_vector(k, held[k], rng) for k in changed], size=37)
    _check_every_query(service, held)

    # Deletes in batches that mix the first rows and the last (whose rows move into the
    # holes, some of them moved twice within one call), then the middle, plus unknown keys.
    order = list(held)
    for batch in (
        [order[0], order[-1], order[1], order[-2], order[-3], "never-written"],
        order[-60:-20] + order[5:25],
        shuffle.sample(order[25:-60], 300),
    ):
        service.delete_vectors(**INDEX, keys=batch)
        for key in batch:
            held.pop(key, None)
        _check_every_query(service, held)

    # New keys, one written twice in the same call (the last value counts).
    fresh = [
        _vector(f"new-{i}", {k: v for k, v in catalog[i].items() if k != "key"}, rng)
        for i in range(50)
    ]
    twice = _vector("new-0", {"title": "red waterproof kettle", "description": "boils fast"}, rng)
    service.put_vectors(**INDEX, vectors=[*fresh[:25], twice])
    service.put_vectors(**INDEX, vectors=fresh[25:])
    for vector in [*fresh, twice][1:]:
        held[vector["key"]] = vector["metadata"]
    _check_every_query(service, held)


def _tokens(text: str) -> list[str]:
    return analyze(text, "en")


def test_statistics_kept_by_writes_equal_a_fresh_index_of_the_same_rows(catalog):
    """Postings after random writes and packing deletes (as IndexStore numbers rows) score
    every term of the vocabulary exactly as postings written once from the final rows."""
    shuffle = random.Random(11)
    texts = [p["title"] + " " + p["description"] for p in catalog[:400]]
    rows: list[list[str]] = []  # row -> tokens, packed as the store packs them
    kept = Postings()
    for step in range(60):
        if step % 3 == 2 and rows:
            doomed = sorted(shuffle.sample(range(len(rows)), min(len(rows), 9)))
            removed = []
            current = list(range(len(rows)))  # row now -> row before this delete
            for original in doomed:
                position = current.index(original)
                last = len(current) - 1
                removed.append(current[position])
                current[position] = current[last]
                current.pop()
                rows[position] = rows[last]
                rows.pop()
            origin = {before: now for now, before in enumerate(current) if now != before}
            kept.delete(removed, origin)
        else:
            writes = []
            for _ in range(shuffle.randrange(1, 20)):
                tokens = [] if shuffle.random() < 0.05 else _tokens(shuffle.choice(texts))
                if rows and shuffle.random() < 0.5:
                    row = shuffle.randrange(len(rows))
                    rows[row] = tokens
                else:
                    row = len(rows)
                    rows.append(tokens)
                writes.append((row, tokens))
            kept.write(writes)
    fresh = Postings()
    fresh.write(enumerate(rows))
    assert len(kept) == len(fresh) == sum(1 for tokens in rows if tokens)
    vocabulary = sorted({t for text in texts for t in _tokens(text)})
    for term in vocabulary:
        assert np.array_equal(kept.scores([term], len(rows)), fresh.scores([term], len(rows)))
    assert np.array_equal(
        kept.scores(vocabulary[:50], len(rows)), fresh.scores(vocabulary[:50], len(rows))
    )
