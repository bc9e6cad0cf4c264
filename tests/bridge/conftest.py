"""Fixtures for the bridge Lambda: the real handler, called in-process, against the local
S3 Vectors service (moto + devstack.s3vectors, installed before any client exists)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

# Powertools reads these when the handler module builds its Logger and Metrics (at import).
for _name, _value in {
    "POWERTOOLS_SERVICE_NAME": "s3vl-bridge-test",
    "POWERTOOLS_METRICS_NAMESPACE": "s3vl",
    "POWERTOOLS_TRACE_DISABLED": "true",
}.items():
    os.environ.setdefault(_name, _value)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

try:
    from devstack import s3vectors as local_s3vectors
    from devstack.s3vectors import faults as s3vectors_faults
except ImportError as exc:  # a missing real component is a failure, not a skip
    local_s3vectors = None
    s3vectors_faults = None
    _IMPORT_ERROR: Exception | None = exc
else:
    _IMPORT_ERROR = None

from s3vl_bridge import client, reset_container  # noqa: E402
from s3vl_bridge.handler import lambda_handler, metrics  # noqa: E402

from tests.support.bedrock import local_bedrock  # noqa: E402
from tests.support.bridge import (  # noqa: E402
    BUCKET,
    BUCKET_ARN,
    CLOSED_PORT_URL,
    DOCS,
    DOCS_ARN,
    EMBEDDING_MODELS,
    LISTED_ARN,
    OTHER_BUCKET,
    PLACES,
    PLACES_ARN,
    REGION,
    Bedrock,
    LambdaContext,
    S3Vectors,
    put,
)
from tests.support.s3vectors import create_index  # noqa: E402


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()


@pytest.fixture(autouse=True)
def fresh_container(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test is a new container: fake credentials, no allowlist or endpoint unless the
    test sets them, settings, allowlist, client and index cache rebuilt, metrics empty."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "S3VL_MAX_ATTEMPTS": "3",
        # Bedrock Runtime on a closed local port unless a test starts the local one: no test
        # may reach AWS's public endpoint.
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": CLOSED_PORT_URL,
    }.items():
        monkeypatch.setenv(name, value)
    for name in (
        "S3VECTORS_ENDPOINT_URL",
        "S3VL_INDEX_ARNS",
        "S3VL_BUCKET_ARNS",
        "S3VL_EMBEDDING_MODELS",
        "AWS_PROFILE",
    ):
        monkeypatch.delenv(name, raising=False)
    reset_container()
    metrics.clear_metrics()
    metrics.clear_default_dimensions()
    yield
    metrics.clear_metrics()
    reset_container()


@pytest.fixture
def s3v(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Vectors]:
    if local_s3vectors is None:
        pytest.fail(
            f"the local S3 Vectors service (devstack.s3vectors) is missing: {_IMPORT_ERROR}"
        )
    local_s3vectors.install()
    with mock_aws():
        local_s3vectors.reset()
        aws = boto3.client("s3vectors", region_name=REGION)
        for bucket in (BUCKET, OTHER_BUCKET):
            aws.create_vector_bucket(vectorBucketName=bucket)
        create_index(aws, BUCKET, "docs", 4, "cosine")
        create_index(aws, BUCKET, "places", 3, "euclidean")
        for name in ("listed", "hidden"):
            create_index(aws, OTHER_BUCKET, name, 4, "cosine")
        put(aws, DOCS_ARN, DOCS)
        put(aws, PLACES_ARN, PLACES)
        monkeypatch.setenv("S3VL_BUCKET_ARNS", BUCKET_ARN)
        monkeypatch.setenv("S3VL_INDEX_ARNS", LISTED_ARN)
        reset_container()

        sent: list[str] = []
        body_bytes: list[int] = []

        def record(request: Any, **_: Any) -> None:
            sent.append(request.url.rsplit("/", 1)[-1])
            body_bytes.append(len(request.body or b""))

        client.s3vectors().meta.events.register("before-send.s3vectors", record)
        yield S3Vectors(aws=aws, sent=sent, body_bytes=body_bytes)
        s3vectors_faults.clear()
        local_s3vectors.reset()


@pytest.fixture
def bedrock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Bedrock]:
    """The local Bedrock Runtime (one per test process) as the bridge's endpoint, serving
    EMBEDDING_MODELS; `sent` lists each InvokeModel that reached it during the test."""
    server = local_bedrock()
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", server.url)
    monkeypatch.setenv("S3VL_EMBEDDING_MODELS", ",".join(EMBEDDING_MODELS))
    reset_container()
    yield Bedrock(server=server, since=server.last_sequence())
    server.faults.clear()


@pytest.fixture
def invoke(lambda_context: LambdaContext) -> Any:
    """Call the real handler the way Lambda does: one event, one context."""

    def _invoke(event: Any) -> dict[str, Any]:
        response = lambda_handler(event, lambda_context)
        assert isinstance(response, dict)
        assert response["request_id"] == lambda_context.aws_request_id
        assert isinstance(response["execution_time_ms"], int)
        return response

    return _invoke
