"""Full-text and hybrid search through the real handler and the local S3 Vectors service:
query_texts and return_scores on query_vectors and query_vectors_batch, rows checked against
the reference computed in the test (tests/s3vectors/text_reference.py), and every bad input
refused naming its field before any S3 Vectors call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.s3vectors import text_reference as ref
from tests.support.bridge import BUCKET, BUCKET_ARN, ok, put, refused

PRODUCTS = Path(__file__).resolve().parents[2] / "sample-data" / "text-products.json"
TEXTS_ARN = f"{BUCKET_ARN}/index/texts"
DIMENSION = 4
LANGUAGES = {"title": "en", "description": None}
COUNT = 300


@pytest.fixture
def catalog(s3v) -> list[dict[str, Any]]:
    """COUNT products in the index `texts`: title (English) and description (standard)
    searchable, description non-filterable; seeded random vectors."""
    products = json.loads(PRODUCTS.read_text())["products"][:COUNT]
    s3v.aws.create_index(
        vectorBucketName=BUCKET,
        indexName="texts",
        dataType="float32",
        dimension=DIMENSION,
        distanceMetric="cosine",
        metadataConfiguration={
            "nonFilterableMetadataKeys": ["description"],
            "textSearchConfigurations": [
                {"metadataKey": "title", "language": "en"},
                {"metadataKey": "description"},
            ],
        },
    )
    rows = np.random.default_rng(5).standard_normal((len(products), DIMENSION))
    for product, row in zip(products, rows.astype(np.float32), strict=True):
        product["vector"] = row
    put(
        s3v.aws,
        TEXTS_ARN,
        [
            {
                "key": p["key"],
                "data": p["vector"].tolist(),
                "metadata": {k: v for k, v in p.items() if k not in ("key", "vector")},
            }
            for p in products
        ],
    )
    return products


def expected_text(catalog, texts, top_k, allowed=None):
    per_key = [
        ref.bm25(
            {p["key"]: p[t["metadata_key"]] for p in catalog},
            t["text"],
            LANGUAGES[t["metadata_key"]],
        )
        for t in texts
    ]
    return per_key, ref.text_ranking(per_key, allowed, top_k)


def expected_hybrid(catalog, texts, query, top_k):
    per_key, by_text = expected_text(catalog, texts, top_k)
    vectors = {p["key"]: p["vector"] for p in catalog}
    by_vector = ref.vector_ranking(vectors, np.asarray(query, dtype=np.float32), None, top_k)
    return per_key, by_vector, ref.rrf([by_vector, by_text], top_k)


TWO_KEYS = [
    {"metadata_key": "title", "text": "waterproof boots"},
    {"metadata_key": "description", "text": "recycled nylon"},
]


def test_a_text_query_returns_rows_in_bm25_order_with_scores_per_key(invoke, s3v, catalog):
    rows = ok(
        invoke(
            {
                "operation": "query_vectors",
                "index_arn": TEXTS_ARN,
                "query_texts": TWO_KEYS,
                "top_k": 40,
                "return_scores": True,
                "return_metadata": False,
            }
        )
    )
    per_key, expected = expected_text(catalog, TWO_KEYS, 40)
    assert [r["vector_id"] for r in rows] == [k for k, _ in expected]
    for row in rows:
        want = {
            t["metadata_key"]: s[row["vector_id"]]
            for t, s in zip(TWO_KEYS, per_key, strict=True)
            if row["vector_id"] in s
        }
        assert row["bm25_scores"] == pytest.approx(want, rel=1e-9)
        assert row["fused_score"] is None
        assert row["vector_distance"] is None
        assert row["distance"] is None and row["similarity_score"] is None
        assert row["metadata"] == {}
    assert s3v.sent == ["QueryVectors"]


def test_a_hybrid_query_returns_the_rrf_of_both_rankings_with_fused_score_and_distance(
    invoke, s3v, catalog
):
    query = [0.4, -1.0, 0.3, 0.8]
    texts = [{"metadata_key": "title", "text": "wireless headphones"}]
    rows = ok(
        invoke(
            {
                "operation": "query_vectors",
                "index_arn": TEXTS_ARN,
                "query_vector": query,
                "query_texts": texts,
                "top_k": 150,
                "return_scores": True,
            }
        )
    )
    _, by_vector, expected = expected_hybrid(catalog, texts, query, 150)
    assert [r["vector_id"] for r in rows] == [k for k, _ in expected]
    distance = dict(by_vector)
    for row, (key, fused) in zip(rows, expected, strict=True):
        assert row["fused_score"] == pytest.approx(fused, rel=1e-12)
        if key in distance:
            assert row["vector_distance"] == pytest.approx(distance[key], abs=1e-6)
            assert row["distance"] == row["vector_distance"]
            assert row["similarity_score"] == pytest.approx(1 - row["distance"])
        else:
            assert row["vector_distance"] is None and row["distance"] is None
    assert any(row["bm25_scores"] for row in rows)
    assert any(not row["bm25_scores"] for row in rows)
    assert s3v.sent == ["QueryVectors", "QueryVectors"]  # pages of 100 and 50


def test_without_return_scores_rows_have_no_score_fields(invoke, s3v, catalog):
    rows = ok(
        invoke(
            {
                "operation": "query_vectors",
                "index_arn": TEXTS_ARN,
                "query_texts": [{"metadata_key": "title", "text": "kettle"}],
                "top_k": 5,
            }
        )
    )
    assert rows
    assert all(
        set(row) == {"vector_id", "distance", "similarity_score", "metadata"} for row in rows
    )


def test_a_batch_with_query_texts_runs_one_hybrid_search_per_vector(invoke, s3v, catalog):
    vectors = [[1.0, 0.0, 0.5, 0.2], [-0.3, 0.9, 0.1, 1.0]]
    texts = [{"metadata_key": "description", "text": "warm wool"}]
    rows = ok(
        invoke(
            {
                "operation": "query_vectors_batch",
                "index_arn": TEXTS_ARN,
                "query_vectors": vectors,
                "query_texts": texts,
                "top_k": 20,
                "return_scores": True,
                "return_metadata": False,
            }
        )
    )
    for position, vector in enumerate(vectors, start=1):
        _, _, expected = expected_hybrid(catalog, texts, vector, 20)
        mine = [r for r in rows if r["query_position"] == position]
        assert [r["vector_id"] for r in mine] == [k for k, _ in expected]
        assert [r["fused_score"] for r in mine] == pytest.approx([f for _, f in expected])


def test_the_filter_applies_to_both_rankings(invoke, s3v, catalog):
    rows = ok(
        invoke(
            {
                "operation": "query_vectors",
                "index_arn": TEXTS_ARN,
                "query_vector": [1.0, 1.0, 0.0, 0.0],
                "query_texts": [{"metadata_key": "title", "text": "shoes boots"}],
                "metadata_filter": {"category": "footwear", "price": {"$lt": 200}},
                "top_k": 100,
            }
        )
    )
    allowed = {p["key"] for p in catalog if p["category"] == "footwear" and p["price"] < 200}
    assert rows
    assert {r["vector_id"] for r in rows} <= allowed


def text_query(**fields: Any) -> dict[str, Any]:
    return {"operation": "query_vectors", "index_arn": TEXTS_ARN, "top_k": 5, **fields}


TITLE = {"metadata_key": "title", "text": "shoes"}


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"query_texts": []}, "query_texts"),
        ({"query_texts": [{"metadata_key": f"k{i}", "text": "x"} for i in range(11)]},
         "query_texts"),
        ({"query_texts": [{"metadata_key": "title", "text": ""}]}, "query_texts[0].text"),
        ({"query_texts": [{"metadata_key": "title", "text": " \t"}]}, "query_texts[0].text"),
        ({"query_texts": [{"metadata_key": "title", "text": "x" * 1025}]}, "query_texts[0].text"),
        ({"query_texts": [{"metadata_key": "title"}]}, "query_texts[0].text"),
        ({"query_texts": [{"metadata_key": "", "text": "x"}]}, "query_texts[0].metadata_key"),
        ({"query_texts": [{"metadata_key": "k" * 64, "text": "x"}]},
         "query_texts[0].metadata_key"),
        ({"query_texts": [TITLE, {"metadata_key": "title", "text": "red"}]},
         "query_texts[1].metadata_key"),
        ({"query_texts": [{**TITLE, "language": "en"}]}, "query_texts[0].language"),
        ({"query_texts": ["shoes"]}, "query_texts[0]"),
        ({"query_texts": {"title": "shoes"}}, "query_texts"),
        ({"query_vector": [1.0, 0, 0, 0], "return_scores": True}, "return_scores"),
        ({}, "query_vector"),
    ],
    ids=[
        "empty list", "eleven", "empty text", "blank text", "text too long", "no text",
        "empty key", "key too long", "key twice", "unknown field", "a string", "an object",
        "return_scores without text", "nothing to search",
    ],
)  # fmt: skip
def test_bad_text_input_is_refused_naming_the_field_before_any_call(
    invoke, s3v, request_fields, field
):
    error = refused(invoke(text_query(**request_fields)))
    assert (error["type"], error["field"]) == ("ValidationError", field), error
    assert s3v.sent == []


def test_a_blank_text_is_refused_saying_what_to_give(invoke, s3v):
    error = refused(invoke(text_query(query_texts=[{"metadata_key": "title", "text": " \t"}])))
    assert error["message"].endswith(": is blank; give the words to search for"), error
    assert s3v.sent == []


def test_a_key_given_twice_is_refused_saying_to_put_its_words_in_one_text(invoke, s3v):
    error = refused(invoke(text_query(query_texts=[TITLE, {**TITLE, "text": "red"}])))
    assert (
        "'title' is given more than once; query each searchable key at most once, with all its "
        "words in one text"
    ) in error["message"], error
    assert s3v.sent == []


def test_the_batch_refuses_the_same_bad_texts_before_any_call(invoke, s3v):
    base = {
        "operation": "query_vectors_batch",
        "index_arn": TEXTS_ARN,
        "query_vectors": [[1.0] * 4],
    }
    error = refused(invoke({**base, "query_texts": [TITLE, TITLE]}))
    assert error["field"] == "query_texts[1].metadata_key"
    error = refused(invoke({**base, "return_scores": True}))
    assert error["field"] == "return_scores"
    assert s3v.sent == []


def test_a_key_the_index_does_not_search_is_refused_by_s3_vectors_naming_it(invoke, s3v, catalog):
    error = refused(invoke(text_query(query_texts=[{"metadata_key": "brand", "text": "kestrel"}])))
    assert error["type"] == "ValidationError"
    assert "queryTexts[0].metadataKey" in error["message"]
    assert "'brand' is not a searchable key" in error["message"]
