"""Fixtures for the local S3 Vectors service: boto3 clients in-process (mock_aws)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from moto import mock_aws

import devstack.s3vectors as s3v
from devstack.s3vectors import faults
from tests.support.s3vectors import BUCKET, create_index, make_client


@pytest.fixture(autouse=True)
def _no_leftover_faults() -> Iterator[None]:
    faults.clear()
    yield
    faults.clear()


@pytest.fixture
def client() -> Iterator[Any]:
    s3v.install()
    with mock_aws():
        yield make_client()


@pytest.fixture
def raw_client(client: Any) -> Any:
    """Same service as `client`, without botocore's parameter validation."""
    return make_client(validate=False)


@pytest.fixture
def make_index(client: Any) -> Callable[..., dict[str, str]]:
    """Create an index (and the bucket on first use); returns the selector kwargs."""
    created_buckets: set[str] = set()

    def create(
        name: str = "idx",
        *,
        dimension: int = 3,
        metric: str = "cosine",
        bucket: str = BUCKET,
        non_filterable: list[str] | None = None,
        bucket_tags: dict[str, str] | None = None,
    ) -> dict[str, str]:
        if bucket not in created_buckets:
            extra = {"tags": bucket_tags} if bucket_tags else {}
            client.create_vector_bucket(vectorBucketName=bucket, **extra)
            created_buckets.add(bucket)
        extra_index: dict[str, Any] = {}
        if non_filterable is not None:
            extra_index["metadataConfiguration"] = {"nonFilterableMetadataKeys": non_filterable}
        create_index(client, bucket, name, dimension, metric, **extra_index)
        return {"vectorBucketName": bucket, "indexName": name}

    return create
