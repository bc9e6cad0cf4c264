"""Full-text and hybrid search from SQL through the whole local path (SQL -> compat
aws_lambda.invoke -> the Invoke endpoint -> the real bridge -> the local S3 Vectors service),
on the 1,200 products of sample-data/text-products.json, checked against the reference computed
in the test; and the index administration functions, with the registry following them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest

from devstack.postgres import TemporaryCluster
from devstack.stack import LocalStack
from tests.s3vectors import text_reference as ref
from tests.support.postgres import rolled_back, sql_error
from tests.support.s3vectors import put_in_chunks

pytestmark = pytest.mark.slow

PRODUCTS = Path(__file__).resolve().parents[2] / "sample-data" / "text-products.json"
BUCKET = "s3vl-text"
DIMENSION = 8
LANGUAGES = {"title": "en", "description": None}


@pytest.fixture(scope="module")
def catalog() -> list[dict[str, Any]]:
    products = json.loads(PRODUCTS.read_text())["products"]
    rows = np.random.default_rng(21).standard_normal((len(products), DIMENSION))
    for product, row in zip(products, rows.astype(np.float32), strict=True):
        product["vector"] = row
    return products


@pytest.fixture(scope="module")
def text_stack(cluster: TemporaryCluster, catalog: list[dict[str, Any]]) -> Iterator[LocalStack]:
    """A stack of its own (a bucket of its own, a bridge with index administration) holding
    the catalog in `products`: title (English) and description (standard) searchable."""
    with LocalStack(
        cluster=cluster,
        bucket=BUCKET,
        indexes=(),
        database=None,
        embeddings=False,
        bridge_environment={"S3VL_INDEX_ADMIN": "true", "S3VL_MAX_ATTEMPTS": "1"},
    ) as stack:
        stack.client.create_index(
            vectorBucketName=BUCKET,
            indexName="products",
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
        put_in_chunks(
            stack.client,
            {"vectorBucketName": BUCKET, "indexName": "products"},
            [
                {
                    "key": p["key"],
                    "data": {"float32": p["vector"].tolist()},
                    "metadata": {k: v for k, v in p.items() if k not in ("key", "vector")},
                }
                for p in catalog
            ],
        )
        yield stack


@pytest.fixture(scope="module")
def text_dsn(text_stack: LocalStack) -> str:
    dsn = text_stack.add_database("e2e_text_search")
    arn = f"{text_stack.bucket_arn}/index/products"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT s3vl.configure(%s, 'us-east-1')", [text_stack.function.function_arn])
        conn.execute("SELECT s3vl.register_index('products', %s)", [arn])
    return dsn


@pytest.fixture
def db(text_dsn: str) -> Iterator[psycopg.Connection]:
    with rolled_back(text_dsn) as conn:
        yield conn


def per_key(catalog, query_texts):
    return [
        ref.bm25({p["key"]: p[key] for p in catalog}, text, LANGUAGES[key])
        for key, text in query_texts.items()
    ]


def test_search_text_returns_the_bm25_ranking_with_scores_as_columns(db, catalog):
    query_texts = {"title": "waterproof hiking boots", "description": "recycled nylon"}
    rows = db.execute(
        "SELECT vector_id, bm25_score, bm25_scores, metadata FROM s3vl.search_text(%s, 'products',"
        " top_k => 150, metadata_filter => '{\"in_stock\": true}')",
        [json.dumps(query_texts)],
    ).fetchall()
    scores = per_key(catalog, query_texts)
    allowed = {p["key"] for p in catalog if p["in_stock"]}
    expected = ref.text_ranking(scores, allowed, 150)
    assert [r[0] for r in rows] == [k for k, _ in expected]
    by_key = {p["key"]: p for p in catalog}
    for (key, total, per, metadata), (_, want) in zip(rows, expected, strict=True):
        assert total == pytest.approx(want, rel=1e-9)
        assert per == pytest.approx(
            {k: s[key] for k, s in zip(query_texts, scores, strict=True) if key in s}, rel=1e-9
        )
        assert metadata["title"] == by_key[key]["title"]


def test_hybrid_search_fuses_the_vector_and_text_rankings(db, catalog):
    query = np.random.default_rng(3).standard_normal(DIMENSION).astype(np.float32)
    query_texts = {"title": "wireless headphones"}
    rows = db.execute(
        "SELECT vector_id, fused_score, distance, similarity_score, bm25_scores"
        " FROM s3vl.hybrid_search(%s::real[], %s, 'products', top_k => 120)",
        [query.tolist(), json.dumps(query_texts)],
    ).fetchall()
    by_text = ref.text_ranking(per_key(catalog, query_texts), None, 120)
    vectors = {p["key"]: p["vector"] for p in catalog}
    by_vector = ref.vector_ranking(vectors, query, None, 120)
    expected = ref.rrf([by_vector, by_text], 120)
    assert [r[0] for r in rows] == [k for k, _ in expected]
    distance, text_keys = dict(by_vector), {k for k, _ in by_text}
    for (key, fused, dist, similarity, bm25), (_, want) in zip(rows, expected, strict=True):
        assert fused == pytest.approx(want, rel=1e-12)
        if key in distance:
            assert dist == pytest.approx(distance[key], abs=1e-6)
            assert similarity == pytest.approx(1 - dist)
        else:
            assert dist is None and similarity is None
        assert bool(bm25) == (key in text_keys)


def test_the_registry_knows_the_searchable_keys_and_refuses_others_before_invoking(db):
    assert db.execute(
        "SELECT metadata_key, analyzer, status, index_mode FROM s3vl.searchable_keys('products')"
    ).fetchall() == [
        ("description", "standard", "ACTIVE", "ENHANCED"),
        ("title", "en", "ACTIVE", "ENHANCED"),
    ]
    error = sql_error(db, "SELECT * FROM s3vl.search_text('{\"brand\": \"kestrel\"}', 'products')")
    assert error.sqlstate == "22023"
    assert 'argument "query_texts.brand"' in error.diag.message_primary
    assert "before invoking" in error.diag.message_detail


def test_keys_added_and_removed_from_sql_are_searched_and_the_registry_follows(db, catalog):
    added = db.execute(
        "SELECT * FROM s3vl.add_searchable_keys('products', ARRAY['brand'], 'en')"
    ).fetchall()
    # The index holds vectors: S3 Vectors backfills the key and reports it BUILDING once.
    assert ("brand", "en", "BUILDING") in added
    refreshed = db.execute(
        "SELECT metadata_key, status FROM s3vl.refresh_text_search('products')"
    ).fetchall()
    assert ("brand", "ACTIVE") in refreshed
    rows = db.execute(
        "SELECT vector_id FROM s3vl.search_text(%s, 'products', top_k => 1000)",
        ['{"brand": "kestrel"}'],
    ).fetchall()
    assert sorted(r[0] for r in rows) == sorted(
        p["key"] for p in catalog if p["brand"] == "Kestrel"
    )

    remaining = db.execute(
        "SELECT metadata_key FROM s3vl.remove_searchable_keys('products', ARRAY['brand'])"
    ).fetchall()
    assert remaining == [("description",), ("title",)]
    error = sql_error(db, "SELECT * FROM s3vl.search_text('{\"brand\": \"kestrel\"}', 'products')")
    assert (error.sqlstate, "before invoking" in error.diag.message_detail) == ("22023", True)


def test_set_index_mode_answers_the_mode_s3_vectors_keeps(db):
    assert db.execute("SELECT s3vl.set_index_mode('products', 'ENHANCED')").fetchone() == (
        "ENHANCED",
    )
    # A bucket made after 2026-09-30 cannot go CLASSIC: S3 Vectors refuses, SQL says so.
    error = sql_error(db, "SELECT s3vl.set_index_mode('products', 'CLASSIC')")
    assert error.sqlstate == "22023"
    assert "indexMode" in error.diag.message_primary
