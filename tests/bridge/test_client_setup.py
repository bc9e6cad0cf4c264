"""The bridge's clients as the function's settings make them, and the ready bodies of the
S3 Vectors client (client.OWN_BODY): sent byte for byte as given, with botocore left to
serialise the index ARN alone (its serialiser would visit every float in Python)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from s3vl_bridge import bedrock, client, reset_container
from s3vl_bridge.errors import BridgeError

from tests.support.bridge import DOCS_ARN


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_REGION": "eu-west-3",
        "S3VECTORS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": "http://127.0.0.1:9",
        "S3VL_CONNECT_TIMEOUT_S": "1.5",
        "S3VL_READ_TIMEOUT_S": "7",
        "S3VL_MAX_ATTEMPTS": "3",
        "S3VL_MAX_WORKERS": "9",
    }.items():
        monkeypatch.setenv(name, value)
    reset_container()
    yield
    reset_container()


@pytest.mark.parametrize("made", [client.s3vectors, bedrock.bedrock_runtime], ids=["s3v", "br"])
def test_the_functions_settings_make_its_clients(configured, made):
    meta = made().meta
    assert meta.region_name == "eu-west-3"
    assert meta.endpoint_url == "http://127.0.0.1:9"
    config = meta.config
    assert config.retries == {"mode": "adaptive", "total_max_attempts": 3}
    assert (config.connect_timeout, config.read_timeout) == (1.5, 7)
    assert config.max_pool_connections == 18  # two per worker: the batch's and the pages'
    assert config.tcp_keepalive is True


def test_the_s3_vectors_client_leaves_validation_to_the_request_models(s3v):
    """botocore would refuse an empty key list before sending (its model: at least 1)."""
    seen = _seen("GetVectors")
    with contextlib.suppress(BridgeError):  # what the service answers is not the point
        client.call("get_vectors", indexArn=DOCS_ARN, keys=[])
    assert json.loads(seen["sent"]) == {"indexArn": DOCS_ARN, "keys": []}


def test_a_small_pool_of_workers_still_gets_ten_connections(configured, monkeypatch):
    monkeypatch.setenv("S3VL_MAX_WORKERS", "3")
    reset_container()
    assert client.s3vectors().meta.config.max_pool_connections == 10


def _seen(operation: str) -> dict[str, bytes]:
    """What botocore serialised for `operation` (before the ready body is put in place) and
    what was sent."""
    seen: dict[str, bytes] = {}

    def serialised(params: dict[str, Any], **_: Any) -> None:
        seen["botocore"] = params["body"]

    def sent(request: Any, **_: Any) -> None:
        seen["sent"] = request.body

    events = client.s3vectors().meta.events
    # An operation's handlers run before the service's (where the bridge puts its body).
    events.register(f"before-call.s3vectors.{operation}", serialised)
    events.register(f"before-send.s3vectors.{operation}", sent)
    return seen


def test_a_ready_body_is_sent_as_given_and_botocore_serialises_the_arn_alone(s3v):
    vectors = [{"key": "ready", "data": {"float32": [1.0, 0.5, 0.0, 0.0]}}]
    # Indented: bytes no serialiser of the bridge or of botocore would make.
    ready = json.dumps({"indexArn": DOCS_ARN, "vectors": vectors}, indent=1).encode()
    seen = _seen("PutVectors")
    client.call("put_vectors", indexArn=DOCS_ARN, vectors=vectors, body=ready)
    assert seen["sent"] == ready
    assert json.loads(seen["botocore"]) == {"indexArn": DOCS_ARN}
    stored = s3v.aws.get_vectors(indexArn=DOCS_ARN, keys=["ready"], returnData=True)
    assert stored["vectors"][0]["data"]["float32"] == [1.0, 0.5, 0.0, 0.0]


def test_a_query_without_a_ready_body_gets_the_bridges_own(s3v):
    seen = _seen("QueryVectors")
    params = {"indexArn": DOCS_ARN, "topK": 2, "queryVector": {"float32": [1.0, 0.0, 0.0, 0.0]}}
    client.call("query_vectors", **params)
    assert json.loads(seen["botocore"]) == {"indexArn": DOCS_ARN}
    assert seen["sent"] == client.json_body(params)


def test_other_operations_are_botocores_to_serialise(s3v):
    seen = _seen("GetVectors")
    client.call("get_vectors", indexArn=DOCS_ARN, keys=["a"])
    assert seen["sent"] == seen["botocore"]
    assert json.loads(seen["sent"]) == {"indexArn": DOCS_ARN, "keys": ["a"]}
