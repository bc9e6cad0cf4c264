"""Fixtures for the bridge Lambda: the real handler, called in-process, against the local
S3 Vectors service (moto + devstack.s3vectors, installed before any client exists)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
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

ACCOUNT = "123456789012"
REGION = "us-east-1"
BUCKET = "bridge-test"
OTHER_BUCKET = "other-bucket"
BUCKET_ARN = f"arn:aws:s3vectors:{REGION}:{ACCOUNT}:bucket/{BUCKET}"
OTHER_BUCKET_ARN = f"arn:aws:s3vectors:{REGION}:{ACCOUNT}:bucket/{OTHER_BUCKET}"
DOCS_ARN = f"{BUCKET_ARN}/index/docs"  # cosine, dimension 4
PLACES_ARN = f"{BUCKET_ARN}/index/places"  # euclidean, dimension 3
LISTED_ARN = f"{OTHER_BUCKET_ARN}/index/listed"  # served through S3VL_INDEX_ARNS only
HIDDEN_ARN = f"{OTHER_BUCKET_ARN}/index/hidden"  # exists, not served

# Twelve 4-d vectors with metadata, the data every read test checks against.
DOCS = [
    {
        "key": f"doc-{i:02d}",
        "data": [float(i % 4 == j) + 0.1 * i + 0.01 * j for j in range(4)],
        "metadata": {"genre": ["news", "sport", "film"][i % 3], "year": 2000 + i, "n": i},
    }
    for i in range(12)
]
PLACES = [
    {"key": "origin", "data": [0.0, 0.0, 0.0], "metadata": {"name": "origin"}},
    {"key": "x1", "data": [1.0, 0.0, 0.0], "metadata": {"name": "x1"}},
    {"key": "far", "data": [3.0, 4.0, 0.0], "metadata": {"name": "far"}},
]


@dataclass
class LambdaContext:
    """What the Lambda runtime passes as `context` (the fields Powertools reads)."""

    function_name: str = "s3vl-bridge"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:s3vl-bridge"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


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
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("S3VECTORS_ENDPOINT_URL", "S3VL_INDEX_ARNS", "S3VL_BUCKET_ARNS", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    reset_container()
    metrics.clear_metrics()
    metrics.clear_default_dimensions()
    yield
    metrics.clear_metrics()
    reset_container()


@dataclass
class S3Vectors:
    """The local service with the test data; `aws` is the test's own boto3 client (setup and
    checks), `sent` the operation names of every HTTP request the bridge's client sent and
    `body_bytes` the size of each request's body, in the same order."""

    aws: Any
    sent: list[str]
    body_bytes: list[int]

    def stored_keys(self, index_arn: str) -> list[str]:
        keys: list[str] = []
        token = None
        while True:
            extra = {"nextToken": token} if token else {}
            page = self.aws.list_vectors(indexArn=index_arn, maxResults=1000, **extra)
            keys += [v["key"] for v in page["vectors"]]
            token = page.get("nextToken")
            if not token:
                return sorted(keys)


def put(aws: Any, index_arn: str, records: list[dict[str, Any]]) -> None:
    for start in range(0, len(records), 500):
        aws.put_vectors(
            indexArn=index_arn,
            vectors=[
                {"key": r["key"], "data": {"float32": r["data"]}, "metadata": r["metadata"]}
                for r in records[start : start + 500]
            ],
        )


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
        aws.create_index(
            vectorBucketName=BUCKET,
            indexName="docs",
            dataType="float32",
            dimension=4,
            distanceMetric="cosine",
        )
        aws.create_index(
            vectorBucketName=BUCKET,
            indexName="places",
            dataType="float32",
            dimension=3,
            distanceMetric="euclidean",
        )
        for name in ("listed", "hidden"):
            aws.create_index(
                vectorBucketName=OTHER_BUCKET,
                indexName=name,
                dataType="float32",
                dimension=4,
                distanceMetric="cosine",
            )
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
def invoke(lambda_context: LambdaContext) -> Any:
    """Call the real handler the way Lambda does: one event, one context."""

    def _invoke(event: Any) -> dict[str, Any]:
        response = lambda_handler(event, lambda_context)
        assert isinstance(response, dict)
        assert response["request_id"] == lambda_context.aws_request_id
        assert isinstance(response["execution_time_ms"], int)
        return response

    return _invoke


def ok(response: dict[str, Any]) -> Any:
    assert response["success"] is True, response
    return response["result"]


def refused(response: dict[str, Any]) -> dict[str, Any]:
    assert response["success"] is False, response
    error = response["error"]
    assert "Traceback" not in error["message"]
    assert isinstance(error["retryable"], bool)
    return error
