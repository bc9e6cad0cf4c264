"""S3 Vectors helpers shared by the test folders: boto3 clients, making an index, putting
vectors in chunks, following list and query pages, the local service over HTTP, error checks."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from devstack.s3vectors.server import LocalS3Vectors

REGION = "us-east-1"
BUCKET = "test-bucket"
# PutVectors and DeleteVectors take at most 500 vectors (keys) a call.
WRITE_BATCH = 500


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


def create_index(
    client: Any, bucket: str, name: str, dimension: int, metric: str = "cosine", **extra: Any
) -> None:
    """A float32 index `name` in `bucket` (which must exist)."""
    client.create_index(
        vectorBucketName=bucket,
        indexName=name,
        dataType="float32",
        dimension=dimension,
        distanceMetric=metric,
        **extra,
    )


def chunks(items: Sequence[Any], size: int = WRITE_BATCH) -> Iterator[Sequence[Any]]:
    """`items` in consecutive slices of at most `size`."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def put_in_chunks(
    client: Any, selector: dict[str, str], vectors: list[dict[str, Any]], size: int = WRITE_BATCH
) -> None:
    """PutVectors for every vector, `size` a call (`selector`: indexArn or bucket + index)."""
    for chunk in chunks(vectors, size):
        client.put_vectors(**selector, vectors=list(chunk))


def pages(call: Callable[..., dict[str, Any]], **request: Any) -> Iterator[dict[str, Any]]:
    """Every page of a paginated call (client.list_vectors, list_indexes, query_vectors),
    following nextToken to the end."""
    token = None
    while True:
        page = call(**request, **({"nextToken": token} if token else {}))
        yield page
        token = page.get("nextToken")
        if not token:
            return


def put_all(client: Any, selector: dict[str, str], vectors: list[dict[str, Any]]) -> None:
    put_in_chunks(client, selector, vectors, size=100)


def all_keys(client: Any, selector: dict[str, str]) -> list[str]:
    """Every key of the index, in listing order."""
    return [
        v["key"]
        for page in pages(client.list_vectors, **selector, maxResults=1000)
        for v in page["vectors"]
    ]


def query_all(client: Any, selector: dict[str, str], **request: Any) -> list[dict[str, Any]]:
    """Follow nextToken to the end; returns every result in order."""
    results: list[dict[str, Any]] = []
    for page in pages(client.query_vectors, **selector, **request):
        assert len(page["vectors"]) <= 100
        results += page["vectors"]
    return results


@contextlib.contextmanager
def local_service_with_index(
    bucket: str, index_arn: str, dimension: int, seed: list[dict[str, Any]]
) -> Iterator[Any]:
    """The local S3 Vectors service over HTTP, holding `bucket` with one cosine index (the last
    part of `index_arn`) and the `seed` vectors; yields a boto3 client on it (botocore's default
    retries and checks). The service is reset before and after and stopped on exit."""
    service = LocalS3Vectors()
    url = service.start()
    try:
        service.reset()
        client = boto3.client(
            "s3vectors",
            region_name=REGION,
            endpoint_url=url,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        client.create_vector_bucket(vectorBucketName=bucket)
        create_index(client, bucket, index_arn.rsplit("/", 1)[-1], dimension)
        if seed:
            client.put_vectors(indexArn=index_arn, vectors=seed)
        yield client
    finally:
        service.reset()
        service.stop()


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


def says(error: ClientError, problem: str, hint: str = "") -> None:
    """The local service's ValidationException states exactly `problem`, then `hint` if it
    has one: "Invalid value for 'FIELD': PROBLEM. HINT", and fieldList [{path, message}]."""
    field = error.response["fieldList"][0]["path"]
    assert error.response["fieldList"] == [{"path": field, "message": problem}]
    message = f"Invalid value for '{field}': {problem}." + (f" {hint}" if hint else "")
    assert error.response["Error"]["Message"] == message


@contextlib.contextmanager
def sending(client: Any, operation: str, document: dict[str, Any]) -> Iterator[None]:
    """Calls of `operation` on `client` send `document` as their JSON body, whatever botocore
    would make of the call's arguments: another SDK, or a hand-made request, may send
    anything (a string among vector values, a filter that is an array)."""

    def swap(request: Any, **_: Any) -> None:
        request.data = json.dumps(document).encode()

    event = f"before-sign.s3vectors.{operation}"
    client.meta.events.register(event, swap)
    try:
        yield
    finally:
        client.meta.events.unregister(event, swap)
