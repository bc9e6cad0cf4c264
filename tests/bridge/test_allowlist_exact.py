"""The allowlist serves exactly what S3VL_INDEX_ARNS and S3VL_BUCKET_ARNS name (issue 14).

A look-alike next to a served bucket or index (the served name plus a suffix, or less its last
character) exists in the local service and would answer; it is denied before any AWS call until
the allowlist names it. Names select through the same lists, and a denial names the field at
fault and the settings to change.
"""

from __future__ import annotations

from typing import Any

import pytest
from s3vl_bridge import reset_container

PREFIX = "arn:aws:s3vectors:us-east-1:123456789012:bucket"
# What the s3v fixture serves: the bucket bridge-test whole, and one index of other-bucket.
SERVED_BUCKET_ARN = f"{PREFIX}/bridge-test"
LISTED_ARN = f"{PREFIX}/other-bucket/index/listed"

LOOK_ALIKE_INDEXES = {
    "a bucket named like the served one plus a suffix": ("bridge-test-x", "docs"),
    "a bucket named like the served one less a character": ("bridge-tes", "docs"),
    "an index named like the listed one plus a suffix": ("other-bucket", "listed-x"),
    "an index named like the listed one less a character": ("other-bucket", "liste"),
}


@pytest.fixture
def look_alikes(s3v: Any) -> Any:
    """Every bucket and index of LOOK_ALIKE_INDEXES, created in the local service."""
    for bucket in ("bridge-test-x", "bridge-tes"):
        s3v.aws.create_vector_bucket(vectorBucketName=bucket)
    for bucket, index in LOOK_ALIKE_INDEXES.values():
        s3v.aws.create_index(
            vectorBucketName=bucket,
            indexName=index,
            dataType="float32",
            dimension=4,
            distanceMetric="cosine",
        )
    return s3v


def _denied(response: dict[str, Any], field: str) -> str:
    assert response["success"] is False, response
    error = response["error"]
    assert error["type"] == "AccessDenied"
    assert error["field"] == field
    assert error["retryable"] is False
    assert "S3VL_INDEX_ARNS or S3VL_BUCKET_ARNS of the bridge Lambda" in error["message"]
    message: str = error["message"]
    return message


@pytest.mark.parametrize(
    ("bucket", "index"), LOOK_ALIKE_INDEXES.values(), ids=list(LOOK_ALIKE_INDEXES)
)
def test_a_look_alike_index_is_denied_by_arn_and_by_name_until_it_is_listed(
    invoke, look_alikes, monkeypatch, bucket, index
):
    arn = f"{PREFIX}/{bucket}/index/{index}"
    by_arn = {"operation": "describe_index", "index_arn": arn}
    by_name = {"operation": "describe_index", "vector_bucket_name": bucket, "index_name": index}

    assert f"index {arn} is not served" in _denied(invoke(by_arn), "index_arn")
    assert f"index {bucket}/{index} is not served" in _denied(invoke(by_name), "index_name")
    assert look_alikes.sent == []

    # The same requests are answered once the allowlist names the index: it was only the list.
    monkeypatch.setenv("S3VL_INDEX_ARNS", f"{LISTED_ARN},{arn}")
    reset_container()
    for request in (by_arn, by_name):
        response = invoke(request)
        assert response["success"] is True, response
        assert response["result"]["index_arn"] == arn


@pytest.mark.parametrize("bucket", ["bridge-test-x", "bridge-tes"])
def test_a_look_alike_bucket_is_denied_for_list_indexes_by_arn_and_by_name(
    invoke, look_alikes, bucket
):
    arn = f"{PREFIX}/{bucket}"
    by_arn = _denied(
        invoke({"operation": "list_indexes", "vector_bucket_arn": arn}), "vector_bucket_arn"
    )
    assert f"vector bucket {arn} is not served" in by_arn
    by_name = _denied(
        invoke({"operation": "list_indexes", "vector_bucket_name": bucket}), "vector_bucket_name"
    )
    assert f"vector bucket {bucket} is not served" in by_name
    assert look_alikes.sent == []


def test_an_index_listed_by_arn_is_served_when_selected_by_its_names(invoke, s3v):
    response = invoke(
        {
            "operation": "describe_index",
            "vector_bucket_name": "other-bucket",
            "index_name": "listed",
        }
    )
    assert response["success"] is True, response
    assert response["result"]["index_arn"] == LISTED_ARN
    assert s3v.sent == ["GetIndex"]


def test_a_served_bucket_selected_by_name_lists_its_indexes(invoke, s3v):
    response = invoke({"operation": "list_indexes", "vector_bucket_name": "bridge-test"})
    assert response["success"] is True, response
    assert sorted(i["index_arn"] for i in response["result"]["indexes"]) == [
        f"{SERVED_BUCKET_ARN}/index/docs",
        f"{SERVED_BUCKET_ARN}/index/places",
    ]


def test_a_served_bucket_named_index_serves_its_indexes_and_only_those(invoke, s3v, monkeypatch):
    """The bucket of an index ARN is what comes before its last "/index/": a bucket named
    "index" gives ARNs holding that text twice (bucket/index/index/<name>)."""
    s3v.aws.create_vector_bucket(vectorBucketName="index")
    for name in ("docs", "index"):
        s3v.aws.create_index(
            vectorBucketName="index",
            indexName=name,
            dataType="float32",
            dimension=4,
            distanceMetric="cosine",
        )
    monkeypatch.setenv("S3VL_BUCKET_ARNS", f"{PREFIX}/index")
    reset_container()
    for name in ("docs", "index"):
        arn = f"{PREFIX}/index/index/{name}"
        response = invoke({"operation": "describe_index", "index_arn": arn})
        assert response["success"] is True, response
        assert response["result"]["index_arn"] == arn
    listed = invoke({"operation": "list_indexes", "vector_bucket_arn": f"{PREFIX}/index"})
    assert listed["success"] is True, listed
    assert listed["result"]["total_count"] == 2
    _denied(
        invoke({"operation": "describe_index", "index_arn": f"{SERVED_BUCKET_ARN}/index/docs"}),
        "index_arn",
    )
