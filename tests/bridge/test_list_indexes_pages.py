"""list_indexes follows every page of ListIndexes (issue 14): the local service puts up to 500
indexes on a page, so the bridge's own client is scripted here (botocore's Stubber) with pages
S3 Vectors may send, each request checked for the token of the page before it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from botocore.stub import Stubber
from s3vl_bridge import client, reset_container

BUCKET_ARN = "arn:aws:s3vectors:us-east-1:123456789012:bucket/paged"
OTHER_ARN = "arn:aws:s3vectors:us-east-1:123456789012:bucket/other"
CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _page(names: list[str], token: str | None = None) -> dict:
    page: dict = {
        "indexes": [
            {
                "vectorBucketName": "paged",
                "indexName": name,
                "indexArn": f"{BUCKET_ARN}/index/{name}",
                "creationTime": CREATED,
            }
            for name in names
        ]
    }
    if token is not None:
        page["nextToken"] = token
    return page


@pytest.fixture
def stubbed(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    monkeypatch.setenv("S3VL_BUCKET_ARNS", BUCKET_ARN)
    reset_container()
    with Stubber(client.s3vectors()) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def test_list_indexes_follows_next_token_until_the_last_page(invoke, stubbed):
    asked = {"vectorBucketArn": BUCKET_ARN, "prefix": "a"}
    stubbed.add_response("list_indexes", _page(["aa1", "aa2"], "t1"), asked)
    stubbed.add_response("list_indexes", _page([], "t2"), {**asked, "nextToken": "t1"})
    stubbed.add_response("list_indexes", _page(["aa3"]), {**asked, "nextToken": "t2"})
    response = invoke({"operation": "list_indexes", "vector_bucket_arn": BUCKET_ARN, "prefix": "a"})
    assert response["success"] is True, response
    result = response["result"]
    assert [i["index_name"] for i in result["indexes"]] == ["aa1", "aa2", "aa3"]
    assert result["indexes"][2] == {
        "index_name": "aa3",
        "index_arn": f"{BUCKET_ARN}/index/aa3",
        "vector_bucket_name": "paged",
        "creation_time": "2026-01-02T03:04:05+00:00",
    }
    assert result["total_count"] == 3


def test_list_indexes_by_name_pages_through_the_served_bucket(invoke, monkeypatch):
    monkeypatch.setenv("S3VL_BUCKET_ARNS", BUCKET_ARN)
    monkeypatch.setenv("S3VL_INDEX_ARNS", f"{OTHER_ARN}/index/xyz")  # another bucket's index
    reset_container()
    with Stubber(client.s3vectors()) as stubbed:
        stubbed.add_response("list_indexes", _page(["bb1"], "t1"), {"vectorBucketArn": BUCKET_ARN})
        stubbed.add_response(
            "list_indexes", _page(["bb2"]), {"vectorBucketArn": BUCKET_ARN, "nextToken": "t1"}
        )
        response = invoke({"operation": "list_indexes", "vector_bucket_name": "paged"})
        stubbed.assert_no_pending_responses()
    assert response["success"] is True, response
    assert [i["index_name"] for i in response["result"]["indexes"]] == ["bb1", "bb2"]
