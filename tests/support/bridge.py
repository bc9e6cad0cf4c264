"""What the bridge tests share: the test data and its ARNs, the Lambda context, the local
service seen from the test's own boto3 client, and the checks on a response envelope.

The fixtures (a fresh container per test, the local service holding the data, `invoke`) are in
tests/bridge/conftest.py; this module imports no part of the bridge."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.support.s3vectors import all_keys, chunks

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


# Bedrock: the models the `bedrock` fixture's function may call (one of the three the bridge
# knows is left out, to be refused), and an endpoint where nothing listens.
TITAN = "amazon.titan-embed-text-v2:0"
COHERE = "cohere.embed-english-v3"
NOT_SERVED_MODEL = "cohere.embed-multilingual-v3"
EMBEDDING_MODELS = (TITAN, COHERE)
CLOSED_PORT_URL = "http://127.0.0.1:9"


@dataclass
class LambdaContext:
    """What the Lambda runtime passes as `context` (the fields Powertools reads)."""

    function_name: str = "s3vl-bridge"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:s3vl-bridge"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@dataclass
class S3Vectors:
    """The local service with the test data; `aws` is the test's own boto3 client (setup and
    checks), `sent` the operation names of every HTTP request the bridge's client sent and
    `body_bytes` the size of each request's body, in the same order."""

    aws: Any
    sent: list[str]
    body_bytes: list[int]

    def stored_keys(self, index_arn: str) -> list[str]:
        return sorted(all_keys(self.aws, {"indexArn": index_arn}))


@dataclass(frozen=True)
class Sent:
    """One InvokeModel the bridge sent: the model and its JSON body."""

    model_id: str
    body: dict[str, Any]


@dataclass
class Bedrock:
    """The local Bedrock Runtime the bridge calls (devstack.bedrock.server.LocalBedrock,
    shared by the test process), and what reached it since the test began."""

    server: Any
    since: int

    @property
    def sent(self) -> list[Sent]:
        """Each InvokeModel received since the test began (every attempt), in arrival order."""
        return [Sent(r.model_id, r.json()) for r in self.server.received(after=self.since)]

    def models_sent(self) -> list[str]:
        return [s.model_id for s in self.sent]


def put(aws: Any, index_arn: str, records: list[dict[str, Any]]) -> None:
    """PutVectors for test records ({key, data, metadata}), 500 a call."""
    for chunk in chunks(records):
        aws.put_vectors(
            indexArn=index_arn,
            vectors=[
                {"key": r["key"], "data": {"float32": r["data"]}, "metadata": r["metadata"]}
                for r in chunk
            ],
        )


def ok(response: dict[str, Any]) -> Any:
    assert response["success"] is True, response
    return response["result"]


def refused(response: dict[str, Any]) -> dict[str, Any]:
    assert response["success"] is False, response
    error = response["error"]
    assert "Traceback" not in error["message"]
    assert isinstance(error["retryable"], bool)
    return error
