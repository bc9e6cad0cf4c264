"""The local Bedrock Runtime for the tests: one server per test process (the model loads once,
and every folder that needs it shares it), boto3 clients on it, and reading its answers."""

from __future__ import annotations

import atexit
import functools
import json
from typing import Any

import boto3
from botocore.config import Config

from devstack.bedrock.server import LocalBedrock

REGION = "us-east-1"
TITAN = "amazon.titan-embed-text-v2:0"
COHERE = "cohere.embed-english-v3"
COHERE_MULTILINGUAL = "cohere.embed-multilingual-v3"


@functools.cache
def local_bedrock() -> LocalBedrock:
    """The process's LocalBedrock, started on first use and stopped when the process exits."""
    server = LocalBedrock()
    server.start()
    atexit.register(server.stop)
    return server


def make_client(endpoint_url: str, *, retries: int = 1) -> Any:
    """A real boto3 bedrock-runtime client; `retries` is the total number of attempts, 1 so an
    injected fault is seen once."""
    return boto3.client(
        "bedrock-runtime",
        region_name=REGION,
        endpoint_url=endpoint_url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": retries}),
    )


def invoke(client: Any, model_id: str, body: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """InvokeModel with a JSON body -> (the parsed answer, its HTTP headers)."""
    answer = client.invoke_model(
        modelId=model_id,
        body=json.dumps(body),
        contentType="application/json",
        accept="application/json",
    )
    headers = answer["ResponseMetadata"]["HTTPHeaders"]
    return json.loads(answer["body"].read()), headers


def refused(client: Any, model_id: str, body: Any, code: str = "ValidationException") -> str:
    """InvokeModel that must fail with `code` (and its HTTP status); returns the message."""
    import pytest
    from botocore.exceptions import ClientError

    from devstack.bedrock.errors import STATUS

    with pytest.raises(ClientError) as raised:
        client.invoke_model(modelId=model_id, body=json.dumps(body))
    response = raised.value.response
    assert response["Error"]["Code"] == code, response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == STATUS[code]
    return str(response["Error"]["Message"])


def cosine(a: Any, b: Any) -> float:
    import numpy as np

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
