"""Helpers shared by the S3 Vectors tests: clients, loading, paging, error checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "us-east-1"
BUCKET = "test-bucket"


def make_client(
    endpoint_url: str | None = None,
    *,
    validate: bool = True,
    retries: int = 1,
    region: str = REGION,
) -> Any:
    """A real boto3 s3vectors client. validate=False lets out-of-range values reach the service,
    which is how the service-side limits are proven (botocore only checks minimums);
    retries is the total number of attempts, 1 so an injected fault is seen once."""
    return boto3.client(
        "s3vectors",
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(parameter_validation=validate, retries={"total_max_attempts": retries}),
    )


def put_all(client: Any, selector: dict[str, str], vectors: list[dict[str, Any]]) -> None:
    for start in range(0, len(vectors), 100):
        client.put_vectors(**selector, vectors=vectors[start : start + 100])


def all_keys(client: Any, selector: dict[str, str]) -> list[str]:
    keys: list[str] = []
    token = None
    while True:
        extra = {"nextToken": token} if token else {}
        page = client.list_vectors(**selector, maxResults=1000, **extra)
        keys += [v["key"] for v in page["vectors"]]
        token = page.get("nextToken")
        if not token:
            return keys


def query_all(client: Any, selector: dict[str, str], **request: Any) -> list[dict[str, Any]]:
    """Follow nextToken to the end; returns every result in order."""
    results: list[dict[str, Any]] = []
    token = None
    while True:
        extra = {"nextToken": token} if token else {}
        page = client.query_vectors(**selector, **request, **extra)
        assert len(page["vectors"]) <= 100
        results += page["vectors"]
        token = page.get("nextToken")
        if not token:
            return results


def expect_validation(call: Callable[[], Any], field: str) -> ClientError:
    """The call fails with AWS's ValidationException shape and names `field`."""
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response
    assert error["Error"]["Code"] == "ValidationException", error
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert f"'{field}'" in error["Error"]["Message"], error["Error"]["Message"]
    assert error["fieldList"][0]["path"] == field
    return caught.value
