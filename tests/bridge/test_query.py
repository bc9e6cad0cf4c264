"""query_vectors beyond the reference, and query_vectors_batch."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber
from s3vl_bridge import client, reset_container

from tests.support.bridge import BUCKET, DOCS, DOCS_ARN, PLACES, PLACES_ARN, ok, put, refused
from tests.support.rankings import cosine_ranking, euclidean_ranking

QUERY = [0.3, 1.0, 0.2, 0.1]


def _many(n: int) -> list[dict]:
    return [
        {
            "key": f"bulk-{i:05d}",
            "data": [1.0 + i % 7, 0.5 * (i % 11), 0.1 * (i % 13), 1.0],
            "metadata": {"i": i},
        }
        for i in range(n)
    ]


def test_top_k_above_one_service_page_follows_next_token_to_the_exact_ranking(invoke, s3v):
    bulk = _many(450)
    put(s3v.aws, DOCS_ARN, bulk)
    rows = ok(
        invoke(
            {
                "operation": "query_vectors",
                "index_arn": DOCS_ARN,
                "query_vector": QUERY,
                "top_k": 250,
                "return_metadata": False,
            }
        )
    )
    expected = cosine_ranking(DOCS + bulk, QUERY)[:250]
    assert len(rows) == 250
    assert [r["distance"] for r in rows] == pytest.approx([d for _, d in expected], abs=1e-5)
    assert len({r["vector_id"] for r in rows}) == 250
    assert s3v.sent.count("QueryVectors") == 3  # pages of 100, 100, 50


def test_top_k_larger_than_the_index_returns_every_vector_once(invoke, s3v):
    rows = ok(
        invoke(
            {
                "operation": "query_vectors",
                "index_arn": DOCS_ARN,
                "query_vector": QUERY,
                "top_k": 10_000,
            }
        )
    )
    assert sorted(r["vector_id"] for r in rows) == sorted(d["key"] for d in DOCS)


def test_euclidean_similarity_is_one_over_one_plus_distance(invoke, s3v):
    rows = ok(
        invoke(
            {
                "operation": "query_vectors",
                "index_arn": PLACES_ARN,
                "query_vector": [0.0, 0.0, 0.0],
                "top_k": 3,
            }
        )
    )
    expected = euclidean_ranking(PLACES, [0.0, 0.0, 0.0])
    assert [r["vector_id"] for r in rows] == ["origin", "x1", "far"]
    for row, (_, distance) in zip(rows, expected, strict=True):
        assert row["distance"] == pytest.approx(distance, abs=1e-5)
        assert row["similarity_score"] == pytest.approx(1.0 / (1.0 + distance), abs=1e-5)
    assert rows[2]["similarity_score"] == pytest.approx(1.0 / 6.0, abs=1e-5)


def test_return_distance_false_leaves_distance_and_score_empty(invoke, s3v):
    rows = ok(
        invoke(
            {
                "operation": "query_vectors",
                "index_arn": DOCS_ARN,
                "query_vector": QUERY,
                "top_k": 3,
                "return_distance": False,
            }
        )
    )
    expected = cosine_ranking(DOCS, QUERY)[:3]
    assert [r["vector_id"] for r in rows] == [k for k, _ in expected]
    assert all(r["distance"] is None and r["similarity_score"] is None for r in rows)


def test_query_mode_enhanced_supports_starts_with_filters(invoke, s3v):
    rows = ok(
        invoke(
            {
                "operation": "query_vectors",
                "index_arn": DOCS_ARN,
                "query_vector": QUERY,
                "top_k": 12,
                "query_mode": "ENHANCED",
                "metadata_filter": {"genre": {"$startsWith": "fi"}},
            }
        )
    )
    film = [d for d in DOCS if d["metadata"]["genre"] == "film"]
    assert [r["vector_id"] for r in rows] == [k for k, _ in cosine_ranking(film, QUERY)]


def test_range_filter_with_and_selects_matching_metadata_only(invoke, s3v):
    rows = ok(
        invoke(
            {
                "operation": "query_vectors",
                "index_arn": DOCS_ARN,
                "query_vector": QUERY,
                "top_k": 12,
                "metadata_filter": {"$and": [{"year": {"$gte": 2004}}, {"genre": "news"}]},
            }
        )
    )
    chosen = [d for d in DOCS if d["metadata"]["year"] >= 2004 and d["metadata"]["genre"] == "news"]
    assert [r["vector_id"] for r in rows] == [k for k, _ in cosine_ranking(chosen, QUERY)]


def test_the_index_can_be_selected_by_bucket_and_index_name(invoke, s3v):
    rows = ok(
        invoke(
            {
                "operation": "query_vectors",
                "vector_bucket_name": BUCKET,
                "index_name": "docs",
                "query_vector": QUERY,
                "top_k": 2,
            }
        )
    )
    assert [r["vector_id"] for r in rows] == [k for k, _ in cosine_ranking(DOCS, QUERY)[:2]]


def test_a_query_vector_of_the_wrong_dimension_is_the_services_validation_error(invoke, s3v):
    error = refused(
        invoke({"operation": "query_vectors", "index_arn": DOCS_ARN, "query_vector": [1.0, 2.0]})
    )
    assert error["type"] == "ValidationError"
    assert error["retryable"] is False
    assert "dimension" in error["message"].lower()


def test_batch_rows_are_tagged_with_their_query_position(invoke, s3v):
    queries = [[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], QUERY]
    rows = ok(
        invoke(
            {
                "operation": "query_vectors_batch",
                "index_arn": DOCS_ARN,
                "query_vectors": queries,
                "top_k": 4,
            }
        )
    )
    assert len(rows) == 12
    for position, query in enumerate(queries, start=1):
        mine = [r for r in rows if r["query_position"] == position]
        expected = cosine_ranking(DOCS, query)[:4]
        assert [r["vector_id"] for r in mine] == [k for k, _ in expected]
        assert [r["distance"] for r in mine] == pytest.approx([d for _, d in expected], abs=1e-5)
        assert all(r["metadata"] for r in mine)
    assert s3v.sent.count("QueryVectors") == 3


def test_batch_with_a_filter_applies_it_to_every_query(invoke, s3v):
    rows = ok(
        invoke(
            {
                "operation": "query_vectors_batch",
                "index_arn": DOCS_ARN,
                "query_vectors": [QUERY, [0.0, 1.0, 0.0, 0.0]],
                "top_k": 12,
                "metadata_filter": {"genre": "film"},
                "return_metadata": False,
            }
        )
    )
    assert {r["vector_id"] for r in rows} == {
        d["key"] for d in DOCS if d["metadata"]["genre"] == "film"
    }
    assert all(r["metadata"] == {} for r in rows)


def test_a_result_over_six_megabytes_is_refused_with_what_to_change(invoke, s3v):
    big = "x" * 3900  # ten non-filterable keys of 3.9 KB: just under the 40 KB per vector
    heavy = [
        {
            "key": f"heavy-{i:04d}",
            "data": [1.0, 0.1 * i, 0.2, 0.3],
            "metadata": {f"k{j}": big for j in range(10)},
        }
        for i in range(170)
    ]
    s3v.aws.create_index(
        vectorBucketName=BUCKET,
        indexName="heavy",
        dataType="float32",
        dimension=4,
        distanceMetric="cosine",
        metadataConfiguration={"nonFilterableMetadataKeys": [f"k{j}" for j in range(10)]},
    )
    heavy_arn = DOCS_ARN.replace("/index/docs", "/index/heavy")
    put(s3v.aws, heavy_arn, heavy)
    error = refused(
        invoke(
            {
                "operation": "query_vectors",
                "index_arn": heavy_arn,
                "query_vector": QUERY,
                "top_k": 170,
            }
        )
    )
    assert error["type"] == "ResponseTooLarge"
    assert "top_k" in error["message"]
    rows = ok(
        invoke(
            {
                "operation": "query_vectors",
                "index_arn": heavy_arn,
                "query_vector": QUERY,
                "top_k": 170,
                "return_metadata": False,
            }
        )
    )
    assert len(rows) == 170


@pytest.fixture
def stubbed_s3vectors(monkeypatch):
    """The bridge's own client with S3 Vectors' answers scripted (botocore's Stubber): for
    page shapes the local service never produces, such as CLASSIC's short pages."""
    monkeypatch.setenv("S3VL_INDEX_ARNS", DOCS_ARN)
    reset_container()
    with Stubber(client.s3vectors()) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def _page(keys: list[str], token: str | None = None) -> dict:
    page = {
        "vectors": [{"key": k, "distance": 0.01 * n} for n, k in enumerate(keys)],
        "distanceMetric": "cosine",
    }
    if token:
        page["nextToken"] = token
    return page


def _expected_params(top_k: int, token: str | None = None) -> dict:
    params = {
        "indexArn": DOCS_ARN,
        "topK": top_k,
        "queryVector": {"float32": QUERY},
        "filter": {"genre": "film"},
        "queryMode": "CLASSIC",
        "returnMetadata": False,
        "returnDistance": True,
    }
    if token:
        params["nextToken"] = token
    return params


def _classic_query(top_k: int) -> dict:
    return {
        "operation": "query_vectors",
        "index_arn": DOCS_ARN,
        "query_vector": QUERY,
        "top_k": top_k,
        "metadata_filter": {"genre": "film"},
        "query_mode": "CLASSIC",
        "return_metadata": False,
    }


def test_short_and_empty_classic_pages_are_followed_until_the_service_has_no_more(
    invoke, stubbed_s3vectors
):
    stubbed_s3vectors.add_response("query_vectors", _page(["a", "b"], "t1"), _expected_params(10))
    stubbed_s3vectors.add_response("query_vectors", _page([], "t2"), _expected_params(10, "t1"))
    stubbed_s3vectors.add_response("query_vectors", _page(["c"]), _expected_params(10, "t2"))
    rows = ok(invoke(_classic_query(10)))
    assert [r["vector_id"] for r in rows] == ["a", "b", "c"]


def test_paging_stops_once_top_k_hits_are_in_and_keeps_exactly_top_k(invoke, stubbed_s3vectors):
    stubbed_s3vectors.add_response(
        "query_vectors", _page(["a", "b", "c"], "t1"), _expected_params(5)
    )
    stubbed_s3vectors.add_response(
        "query_vectors", _page(["d", "e", "f"], "t2"), _expected_params(5, "t1")
    )
    rows = ok(invoke(_classic_query(5)))
    assert [r["vector_id"] for r in rows] == ["a", "b", "c", "d", "e"]


def test_a_next_token_handed_back_unchanged_ends_the_query_with_an_error(invoke, stubbed_s3vectors):
    stubbed_s3vectors.add_response("query_vectors", _page(["a"], "same"), _expected_params(10))
    stubbed_s3vectors.add_response("query_vectors", _page([], "same"), _expected_params(10, "same"))
    error = refused(invoke(_classic_query(10)))
    assert error["type"] == "UpstreamError"
    assert "nextToken" in error["message"]


def test_non_ascii_metadata_is_measured_as_the_runtime_sends_it(s3v, invoke):
    # RAG-style chunks in Cyrillic: 30 KB of UTF-8 each, about 90 KB once ASCII-escaped, so
    # 100 rows are about 9 MB on the wire although their metadata holds only 3 MB.
    text = "Пример текста " * 1100  # 14 characters, 26 bytes of UTF-8 each repetition
    assert 28_000 < len(text.encode()) < 40_960
    chunks = [
        {
            "key": f"chunk-{i:03d}",
            "data": [1.0, 0.1 * i, 0.5, 0.2],
            "metadata": {"body": text},
        }
        for i in range(100)
    ]
    s3v.aws.create_index(
        vectorBucketName=BUCKET,
        indexName="chunks",
        dataType="float32",
        dimension=4,
        distanceMetric="cosine",
        metadataConfiguration={"nonFilterableMetadataKeys": ["body"]},
    )
    chunks_arn = DOCS_ARN.replace("/index/docs", "/index/chunks")
    put(s3v.aws, chunks_arn, chunks)
    request = {"operation": "query_vectors", "index_arn": chunks_arn, "query_vector": QUERY}
    error = refused(invoke({**request, "top_k": 100}))
    assert error["type"] == "ResponseTooLarge"
    assert "top_k" in error["message"]
    rows = ok(invoke({**request, "top_k": 50}))  # about 4.5 MB: under the limit
    assert len(rows) == 50 and rows[0]["metadata"]["body"] == text
