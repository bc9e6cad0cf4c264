"""The bridge against the local S3 Vectors service over real HTTP (S3VECTORS_ENDPOINT_URL), as
the local Lambda Invoke endpoint and the demo run it."""

from __future__ import annotations

import boto3
import pytest
from s3vl_bridge import reset_container

from tests.support.bridge import BUCKET, BUCKET_ARN, DOCS, DOCS_ARN, REGION, ok, put, refused
from tests.support.rankings import cosine_ranking
from tests.support.s3vectors import local_service_with_index

pytestmark = pytest.mark.slow


@pytest.fixture
def endpoint(monkeypatch):
    with local_service_with_index(BUCKET, DOCS_ARN, 4, seed=[]) as aws:
        put(aws, DOCS_ARN, DOCS)
        monkeypatch.setenv("S3VECTORS_ENDPOINT_URL", aws.meta.endpoint_url)
        monkeypatch.setenv("S3VL_BUCKET_ARNS", BUCKET_ARN)
        reset_container()
        yield aws.meta.endpoint_url


def test_a_reference_query_over_http_returns_the_exact_neighbours(invoke, endpoint):
    query = [0.2, 0.1, 1.0, 0.3]
    rows = ok(
        invoke(
            {
                "operation": "query_vectors",
                "index_arn": DOCS_ARN,
                "query_vector": query,
                "top_k": 4,
                "return_metadata": True,
            }
        )
    )
    expected = cosine_ranking(DOCS, query)[:4]
    assert [r["vector_id"] for r in rows] == [k for k, _ in expected]
    assert [r["distance"] for r in rows] == pytest.approx([d for _, d in expected], abs=1e-5)


def test_throttling_injected_over_http_is_retried(invoke, endpoint):
    from devstack.s3vectors import faults

    faults.inject("GetVectors", code="TooManyRequestsException", status=429, times=1)
    rows = ok(invoke({"operation": "get_vectors", "index_arn": DOCS_ARN, "vector_ids": ["doc-02"]}))
    assert rows[0]["found"] is True
    assert faults.pending() == []


def test_an_unknown_index_over_http_is_not_found(invoke, endpoint):
    error = refused(
        invoke({"operation": "describe_index", "index_arn": f"{BUCKET_ARN}/index/absent"})
    )
    assert error["type"] == "NotFound"


@pytest.fixture
def chunks(endpoint):
    """100 RAG-style chunks in Cyrillic: 30 KB of UTF-8 metadata each, ~90 KB once escaped."""
    text = "Пример текста " * 1100
    aws = boto3.client("s3vectors", region_name=REGION, endpoint_url=endpoint)
    aws.create_index(
        vectorBucketName=BUCKET,
        indexName="chunks",
        dataType="float32",
        dimension=4,
        distanceMetric="cosine",
        metadataConfiguration={"nonFilterableMetadataKeys": ["body"]},
    )
    arn = DOCS_ARN.replace("/index/docs", "/index/chunks")
    records = [
        {"key": f"chunk-{i:03d}", "data": [1.0, 0.1 * i, 0.5, 0.2], "metadata": {"body": text}}
        for i in range(100)
    ]
    put(aws, arn, records)
    return arn


def test_results_bounded_by_their_wire_size_are_still_measured_when_they_may_be_too_large(
    invoke, chunks
):
    # Over HTTP S3 Vectors says how large its answer was (~3 MB): escaped it can pass 6 MB.
    query = {"operation": "query_vectors", "index_arn": chunks, "query_vector": [1, 0, 0, 0]}
    assert refused(invoke({**query, "top_k": 100}))["type"] == "ResponseTooLarge"
    assert len(ok(invoke({**query, "top_k": 50}))) == 50
    keys = [f"chunk-{i:03d}" for i in range(100)] + ["absent"]
    get = {"operation": "get_vectors", "index_arn": chunks, "vector_ids": keys}
    assert refused(invoke(get))["type"] == "ResponseTooLarge"


def test_a_small_answer_is_not_serialised_twice_to_check_its_size(invoke, endpoint, monkeypatch):
    from s3vl_bridge import budget

    # 100 rows with metadata: the worst case of each row would call for measuring; the ~10 KB
    # S3 Vectors actually sent cannot grow past 6 MB, so no row is serialised to measure it.
    aws = boto3.client("s3vectors", region_name=REGION, endpoint_url=endpoint)
    records = [
        {"key": f"bulk-{i:03d}", "data": [0.5, 1.0, 0.1 * i, 0.2], "metadata": {"n": i}}
        for i in range(100)
    ]
    put(aws, DOCS_ARN, records)
    measured: list[int] = []
    real_dumps = budget.json.dumps

    def spying_dumps(value, **kwargs):
        if isinstance(value, list) and value and "vector_id" in value[0]:
            measured.append(len(value))  # a slice of result rows: check_size measuring
        return real_dumps(value, **kwargs)

    monkeypatch.setattr(budget.json, "dumps", spying_dumps)
    query = {"operation": "query_vectors", "index_arn": DOCS_ARN, "query_vector": [1, 1, 0, 0]}
    assert len(ok(invoke({**query, "top_k": 100}))) == 100
    assert measured == []
