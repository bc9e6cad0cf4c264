"""Full-text and hybrid QueryVectors on 1,200 real-text products (sample-data/text-products.json)
against the reference computed in text_reference.py: the same keys in the same order and the
same scores, with filters on both rankings, in pages up to topK 10,000."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from moto import mock_aws

import devstack.s3vectors as s3v
from tests.s3vectors import text_reference as ref
from tests.support.s3vectors import BUCKET, create_index, make_client, put_in_chunks, query_all

PRODUCTS = Path(__file__).resolve().parents[2] / "sample-data" / "text-products.json"
DIMENSION = 8
LANGUAGES = {"title": "en", "description": None}  # description: the standard analyzer
INDEX = {"vectorBucketName": BUCKET, "indexName": "products"}


@pytest.fixture(scope="module")
def catalog() -> list[dict[str, Any]]:
    products = json.loads(PRODUCTS.read_text())["products"]
    assert len(products) >= 1000
    return products


@pytest.fixture(scope="module")
def vectors(catalog: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(12)
    rows = rng.standard_normal((len(catalog), DIMENSION)).astype(np.float32)
    return {p["key"]: row for p, row in zip(catalog, rows, strict=True)}


@pytest.fixture(scope="module")
def service(catalog: list[dict[str, Any]], vectors: dict[str, np.ndarray]) -> Iterator[Any]:
    """One index holding the catalog for the whole module (its tests only read)."""
    s3v.install()
    with mock_aws():
        client = make_client()
        client.create_vector_bucket(vectorBucketName=BUCKET)
        searchable = [
            {"metadataKey": key, **({"language": lang} if lang else {})}
            for key, lang in LANGUAGES.items()
        ]
        create_index(
            client,
            BUCKET,
            INDEX["indexName"],
            DIMENSION,
            metadataConfiguration={
                "nonFilterableMetadataKeys": ["description"],
                "textSearchConfigurations": searchable,
            },
        )
        put_in_chunks(
            client,
            INDEX,
            [
                {
                    "key": p["key"],
                    "data": {"float32": vectors[p["key"]].tolist()},
                    "metadata": {k: v for k, v in p.items() if k != "key"},
                }
                for p in catalog
            ],
        )
        yield client


def per_key_reference(catalog, texts):
    return [
        ref.bm25(
            {p["key"]: p[t["metadataKey"]] for p in catalog}, t["text"], LANGUAGES[t["metadataKey"]]
        )
        for t in texts
    ]


def allowed_by(catalog, test):
    return None if test is None else {p["key"] for p in catalog if test(p)}


TEXT_QUERIES = [
    # (queryTexts, topK, filter, python test of the filter)
    ([{"metadataKey": "title", "text": "waterproof hiking boots"}], 50, None, None),
    ([{"metadataKey": "title", "text": "Running shoe"}], 10_000, None, None),
    ([{"metadataKey": "description", "text": "recycled nylon"}], 300, None, None),
    (
        [
            {"metadataKey": "title", "text": "red kettle"},
            {"metadataKey": "description", "text": "boils water fast"},
        ],
        250,
        None,
        None,
    ),
    (
        [{"metadataKey": "title", "text": "lightweight jackets"}],
        120,
        {"category": "outerwear"},
        lambda p: p["category"] == "outerwear",
    ),
    (
        [{"metadataKey": "title", "text": "compact speakers"}],
        10_000,
        {"$and": [{"price": {"$lt": 150}}, {"in_stock": True}]},
        lambda p: p["price"] < 150 and p["in_stock"],
    ),
    (
        [{"metadataKey": "title", "text": "Northwind"}],
        40,
        {"brand": {"$startsWith": "North"}, "color": {"$in": ["red", "black"]}},
        lambda p: p["brand"].startswith("North") and p["color"] in ("red", "black"),
    ),
]


@pytest.mark.parametrize(("texts", "top_k", "condition", "test"), TEXT_QUERIES)
def test_text_search_ranks_and_scores_as_the_bm25_reference(
    service, catalog, texts, top_k, condition, test
):
    request: dict[str, Any] = {"topK": top_k, "queryTexts": texts, "returnScores": True}
    if condition is not None:
        request["filter"] = condition
    results = query_all(service, INDEX, **request)
    per_key = per_key_reference(catalog, texts)
    expected = ref.text_ranking(per_key, allowed_by(catalog, test), top_k)
    assert expected  # every query here matches something
    assert [r["key"] for r in results] == [k for k, _ in expected]
    for result in results:
        assert set(result["scores"]) == {"bm25Scores"}  # no fused, no distance without a vector
        ref.assert_bm25_scores_match(result, texts, per_key, rel=1e-9)


HYBRID = [
    # (queryTexts, topK, filter, test, seed of the query vector)
    ([{"metadataKey": "title", "text": "wireless headphones"}], 30, None, None, 1),
    ([{"metadataKey": "description", "text": "warm wool"}], 500, None, None, 2),
    (
        [
            {"metadataKey": "title", "text": "ultralight tent"},
            {"metadataKey": "description", "text": "thru-hikes and alpine lakes"},
        ],
        10_000,
        None,
        None,
        3,
    ),
    (
        [{"metadataKey": "title", "text": "leather sandals"}],
        150,
        {"category": {"$in": ["footwear", "bags"]}},
        lambda p: p["category"] in ("footwear", "bags"),
        4,
    ),
]


@pytest.mark.parametrize(("texts", "top_k", "condition", "test", "seed"), HYBRID)
def test_hybrid_search_is_the_rrf_of_the_exact_vector_and_text_rankings(
    service, catalog, vectors, texts, top_k, condition, test, seed
):
    query = np.random.default_rng(seed).standard_normal(DIMENSION).astype(np.float32)
    request: dict[str, Any] = {
        "topK": top_k,
        "queryTexts": texts,
        "queryVector": {"float32": query.tolist()},
        "returnScores": True,
        "returnDistance": True,
    }
    if condition is not None:
        request["filter"] = condition
    results = query_all(service, INDEX, **request)
    allowed = allowed_by(catalog, test)
    per_key = per_key_reference(catalog, texts)
    by_text = ref.text_ranking(per_key, allowed, top_k)
    by_vector = ref.vector_ranking(vectors, query, allowed, top_k)
    expected = ref.rrf([by_vector, by_text], top_k)
    assert [r["key"] for r in results] == [k for k, _ in expected]
    distance_of, text_keys = dict(by_vector), {k for k, _ in by_text}
    for result, (key, fused) in zip(results, expected, strict=True):
        scores = result["scores"]
        assert scores["fused"] == pytest.approx(fused, rel=1e-12)
        if key in distance_of:
            assert scores["vectorDistance"] == pytest.approx(distance_of[key], abs=1e-6)
            assert result["distance"] == scores["vectorDistance"]
        else:
            assert "vectorDistance" not in scores and "distance" not in result
        assert ("bm25Scores" in scores) == (key in text_keys)
    if allowed is not None:
        assert {r["key"] for r in results} <= allowed
    # Both rankings reach into the results: neither alone decides them (with topK past the
    # catalog's size the vector ranking holds every product).
    assert any("bm25Scores" not in r["scores"] for r in results)
    if top_k < len(catalog):
        assert any("vectorDistance" not in r["scores"] for r in results)


def test_a_text_search_answers_in_pages_of_100_up_to_every_match(service, catalog):
    texts = [{"metadataKey": "description", "text": "the"}, {"metadataKey": "title", "text": "in"}]
    # "the" and "in" are ordinary words to the standard analyzer (description) but English
    # stop words for the title: the description alone decides.
    pages = []
    token = None
    while True:
        page = service.query_vectors(
            **INDEX, topK=10_000, queryTexts=texts, **({"nextToken": token} if token else {})
        )
        pages.append(page["vectors"])
        token = page.get("nextToken")
        if not token:
            break
    matching = [p for p in catalog if "the" in ref.tokens_of(p["description"], None)]
    assert len(matching) > 200
    assert [len(p) for p in pages[:-1]] == [100] * (len(pages) - 1)
    assert sum(len(p) for p in pages) == len(matching)


def test_results_carry_metadata_and_no_scores_unless_asked(service, catalog):
    results = service.query_vectors(
        **INDEX,
        topK=3,
        queryTexts=[{"metadataKey": "title", "text": "fountain pen"}],
        returnMetadata=True,
    )["vectors"]
    by_key = {p["key"]: p for p in catalog}
    assert len(results) == 3
    for result in results:
        assert "scores" not in result and "distance" not in result
        assert result["metadata"]["title"] == by_key[result["key"]]["title"]


def test_a_query_whose_words_are_all_stop_words_matches_nothing(service):
    page = service.query_vectors(
        **INDEX, topK=10, queryTexts=[{"metadataKey": "title", "text": "the and of"}]
    )
    assert page["vectors"] == []
