"""The bridge against the local S3 Vectors service over real HTTP (S3VECTORS_ENDPOINT_URL), as
the local Lambda Invoke endpoint and the demo run it."""

from __future__ import annotations

import boto3
import pytest

from .conftest import BUCKET, BUCKET_ARN, DOCS, DOCS_ARN, REGION, ok, put, refused
from .expected import cosine_ranking

pytestmark = pytest.mark.slow


@pytest.fixture
def endpoint(monkeypatch):
    from s3vl_bridge import arns, client, settings

    from devstack.s3vectors.server import LocalS3Vectors

    server = LocalS3Vectors("127.0.0.1", port=0)
    url = server.start()
    try:
        server.reset()
        aws = boto3.client("s3vectors", region_name=REGION, endpoint_url=url)
        aws.create_vector_bucket(vectorBucketName=BUCKET)
        aws.create_index(
            vectorBucketName=BUCKET,
            indexName="docs",
            dataType="float32",
            dimension=4,
            distanceMetric="cosine",
        )
        put(aws, DOCS_ARN, DOCS)
        monkeypatch.setenv("S3VECTORS_ENDPOINT_URL", url)
        monkeypatch.setenv("S3VL_BUCKET_ARNS", BUCKET_ARN)
        settings.settings.cache_clear()
        arns.allowlist.cache_clear()
        client.reset()
        yield url
    finally:
        server.reset()
        server.stop()


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
