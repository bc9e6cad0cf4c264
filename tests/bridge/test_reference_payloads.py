"""The reference integration's payloads, exactly as its SQL builds them, answered in the
shapes its SQL parses (field names and defaults unchanged)."""

from __future__ import annotations

import pytest

from tests.support.bridge import DOCS, DOCS_ARN, ok, put
from tests.support.rankings import cosine_ranking

QUERY = [1.0, 0.2, 0.1, 0.0]


def test_availability_check_answers_available_without_calling_s3_vectors(invoke, s3v):
    result = ok(invoke({"operation": "availability_check"}))
    assert result["status"] == "available"
    assert result["region"] == "us-east-1"
    assert "query_vectors" in result["operations"]
    assert s3v.sent == []


def test_query_vectors_reference_payload_returns_exact_neighbours_with_metadata(invoke, s3v):
    rows = ok(
        invoke(
            {
                "operation": "query_vectors",
                "index_arn": DOCS_ARN,
                "query_vector": QUERY,
                "top_k": 5,
                "return_metadata": True,
            }
        )
    )
    expected = cosine_ranking(DOCS, QUERY)[:5]
    assert [r["vector_id"] for r in rows] == [k for k, _ in expected]
    by_key = {d["key"]: d for d in DOCS}
    for row, (_, distance) in zip(rows, expected, strict=True):
        assert set(row) == {"vector_id", "distance", "similarity_score", "metadata"}
        assert row["distance"] == pytest.approx(distance, abs=1e-5)
        assert row["similarity_score"] == pytest.approx(1.0 - distance, abs=1e-5)
        assert row["metadata"] == by_key[row["vector_id"]]["metadata"]


def test_query_vectors_defaults_are_top_k_10_with_metadata(invoke, s3v):
    rows = ok(invoke({"operation": "query_vectors", "index_arn": DOCS_ARN, "query_vector": QUERY}))
    assert len(rows) == 10
    assert all(r["metadata"] for r in rows)


def test_query_vectors_reference_metadata_filter_narrows_the_results(invoke, s3v):
    rows = ok(
        invoke(
            {
                "operation": "query_vectors",
                "index_arn": DOCS_ARN,
                "query_vector": QUERY,
                "top_k": 10,
                "return_metadata": True,
                "metadata_filter": {"genre": "sport"},
            }
        )
    )
    sport = [d for d in DOCS if d["metadata"]["genre"] == "sport"]
    assert [r["vector_id"] for r in rows] == [k for k, _ in cosine_ranking(sport, QUERY)]


def test_query_vectors_without_metadata_answers_empty_objects(invoke, s3v):
    rows = ok(
        invoke(
            {
                "operation": "query_vectors",
                "index_arn": DOCS_ARN,
                "query_vector": QUERY,
                "top_k": 3,
                "return_metadata": False,
            }
        )
    )
    assert [r["metadata"] for r in rows] == [{}, {}, {}]


def test_get_vectors_reference_payload_answers_in_request_order_with_found_flags(invoke, s3v):
    rows = ok(
        invoke(
            {
                "operation": "get_vectors",
                "index_arn": DOCS_ARN,
                "vector_ids": ["doc-03", "missing", "doc-01", "doc-03"],
                "include_vector_data": True,
                "include_metadata": True,
            }
        )
    )
    assert [(r["vector_id"], r["found"]) for r in rows] == [
        ("doc-03", True),
        ("missing", False),
        ("doc-01", True),
    ]
    assert rows[0]["embedding"] == pytest.approx(DOCS[3]["data"], abs=1e-6)
    assert rows[0]["metadata"] == DOCS[3]["metadata"]
    assert rows[1] == {"vector_id": "missing", "embedding": None, "metadata": {}, "found": False}


def test_get_vectors_defaults_include_data_and_metadata(invoke, s3v):
    (row,) = ok(
        invoke({"operation": "get_vectors", "index_arn": DOCS_ARN, "vector_ids": ["doc-05"]})
    )
    assert row["embedding"] == pytest.approx(DOCS[5]["data"], abs=1e-6)
    assert row["metadata"] == DOCS[5]["metadata"]


def test_get_vectors_without_data_or_metadata_leaves_them_out(invoke, s3v):
    (row,) = ok(
        invoke(
            {
                "operation": "get_vectors",
                "index_arn": DOCS_ARN,
                "vector_ids": ["doc-05"],
                "include_vector_data": False,
                "include_metadata": False,
            }
        )
    )
    assert row == {"vector_id": "doc-05", "embedding": None, "metadata": {}, "found": True}


def test_list_vectors_reference_payload_pages_through_every_vector(invoke, s3v):
    seen: list[str] = []
    token = None
    while True:
        payload = {
            "operation": "list_vectors",
            "index_arn": DOCS_ARN,
            "max_results": 5,
            "return_data": False,
            "return_metadata": True,
        }
        if token:
            payload["next_token"] = token
        result = ok(invoke(payload))
        assert result["total_count"] == len(result["vectors"])
        for v in result["vectors"]:
            assert set(v) == {"vector_id", "metadata"}
            assert v["metadata"] == DOCS[int(v["vector_id"][-2:])]["metadata"]
        seen += [v["vector_id"] for v in result["vectors"]]
        token = result.get("next_token")
        if not token:
            break
    assert sorted(seen) == sorted(d["key"] for d in DOCS)
    assert len(seen) == len(set(seen))


def test_list_vectors_defaults_are_100_results_metadata_and_no_data(invoke, s3v):
    extra = [
        {"key": f"extra-{i:03d}", "data": [1.0, 0.5, 0.25, float(i)], "metadata": {"i": i}}
        for i in range(140)
    ]
    put(s3v.aws, DOCS_ARN, extra)
    first = ok(invoke({"operation": "list_vectors", "index_arn": DOCS_ARN}))
    assert first["total_count"] == len(first["vectors"]) == 100
    assert all(set(v) == {"vector_id", "metadata"} for v in first["vectors"])
    rest = ok(
        invoke(
            {"operation": "list_vectors", "index_arn": DOCS_ARN, "next_token": first["next_token"]}
        )
    )
    assert "next_token" not in rest
    seen = [v["vector_id"] for v in first["vectors"] + rest["vectors"]]
    assert sorted(seen) == sorted([d["key"] for d in DOCS] + [e["key"] for e in extra])


def test_list_vectors_with_data_returns_the_stored_floats(invoke, s3v):
    result = ok(
        invoke(
            {
                "operation": "list_vectors",
                "index_arn": DOCS_ARN,
                "return_data": True,
                "return_metadata": False,
            }
        )
    )
    assert sorted(v["vector_id"] for v in result["vectors"]) == sorted(d["key"] for d in DOCS)
    for v in result["vectors"]:
        assert set(v) == {"vector_id", "vector_data"}
        assert v["vector_data"] == pytest.approx(DOCS[int(v["vector_id"][-2:])]["data"], abs=1e-6)
