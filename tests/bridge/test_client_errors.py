"""client.call's mapping of S3 Vectors answers (issue 14): each error code to its domain error,
message and retryable flag, codes it does not know by their HTTP status, error answers missing
their parts, and the wire size of an answer (Content-Length) handed to the response budget.

S3 Vectors' answers are scripted on the bridge's own client (botocore's Stubber), or raised by
a stand-in client where botocore would never build such an answer itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber
from s3vl_bridge import client, reset_container
from s3vl_bridge.errors import (
    BridgeError,
    InvalidRequest,
    NotFound,
    PartialWrite,
    Throttled,
)

INDEX_ARN = "arn:aws:s3vectors:us-east-1:123456789012:bucket/bridge-test/index/docs"
PARAMS = {"indexArn": INDEX_ARN, "keys": ["a"]}


@pytest.fixture
def stubbed() -> Iterator[Stubber]:
    reset_container()
    with Stubber(client.s3vectors()) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def _raised(operation: str = "get_vectors") -> BridgeError:
    with pytest.raises(BridgeError) as raised:
        client.call(operation, **PARAMS)
    return raised.value


@pytest.mark.parametrize(
    ("code", "status", "kind", "retryable"),
    [
        ("ValidationException", 400, "ValidationError", False),
        ("AccessDeniedException", 403, "AccessDenied", False),
        ("NotFoundException", 404, "NotFound", False),
        ("ConflictException", 409, "Conflict", False),
        ("ServiceQuotaExceededException", 402, "ServiceQuotaExceeded", False),
        ("TooManyRequestsException", 429, "Throttled", True),
        ("ServiceUnavailableException", 503, "ServiceUnavailable", True),
        ("InternalServerException", 500, "ServiceUnavailable", True),
        ("RequestTimeoutException", 408, "ServiceUnavailable", True),
    ],
)
def test_each_error_code_of_s3_vectors_becomes_its_domain_error(
    stubbed, code, status, kind, retryable
):
    stubbed.add_client_error(
        "get_vectors",
        service_error_code=code,
        service_message="it went wrong",
        http_status_code=status,
    )
    error = _raised()
    assert (error.type, error.retryable, error.field) == (kind, retryable, None)
    hint = " (retry later)" if retryable else ""
    assert error.message == f"S3 Vectors get_vectors: it went wrong{hint}"
    assert error.details == {"aws_error_code": code}


@pytest.mark.parametrize(
    ("status", "retryable"), [(500, True), (502, True), (499, False), (400, False)]
)
def test_an_unknown_error_code_is_an_upstream_error_retryable_from_status_500(
    stubbed, status, retryable
):
    stubbed.add_client_error(
        "get_vectors",
        service_error_code="BrandNewException",
        service_message="something new",
        http_status_code=status,
    )
    error = _raised()
    assert (error.type, error.retryable) == ("UpstreamError", retryable)
    assert error.message == "S3 Vectors get_vectors failed: BrandNewException: something new"
    assert error.details == {"aws_error_code": "BrandNewException"}


class Raising:
    """A stand-in S3 Vectors client whose every operation raises the given error."""

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def __getattr__(self, operation: str) -> Any:
        def fail(**_: Any) -> Any:
            raise self.exc

        return fail


@pytest.mark.parametrize(
    ("response", "retryable"),
    [
        pytest.param({"ResponseMetadata": {"HTTPStatusCode": 503}}, True, id="no Error, a 503"),
        pytest.param({"Error": {}, "ResponseMetadata": {"HTTPStatusCode": 400}}, False, id="empty"),
        pytest.param({"Error": {"Message": ""}}, False, id="no status at all"),
    ],
)
def test_an_error_answer_without_code_or_message_is_an_unknown_upstream_error(
    monkeypatch, response, retryable
):
    monkeypatch.setattr(client, "_client", Raising(ClientError(response, "GetVectors")))
    error = _raised()
    assert (error.type, error.retryable) == ("UpstreamError", retryable)
    assert error.message == "S3 Vectors get_vectors failed: Unknown: Unknown"
    assert error.details == {"aws_error_code": "Unknown"}


def test_an_error_without_a_message_is_named_by_its_code(monkeypatch):
    answer = {"Error": {"Code": "NotFoundException"}, "ResponseMetadata": {"HTTPStatusCode": 404}}
    monkeypatch.setattr(client, "_client", Raising(ClientError(answer, "GetVectors")))
    error = _raised()
    assert (error.type, error.message) == ("NotFound", "S3 Vectors get_vectors: NotFoundException")


ANSWER = {"vectors": [{"key": "a", "data": {"float32": [1.0, 2.0]}}]}


@pytest.mark.parametrize(
    ("headers", "size"),
    [
        ({"content-length": "5123"}, 5123),
        ({"content-length": "0"}, 0),
        ({}, None),
        ({"content-length": "12ab"}, None),
        ({"content-length": "-1"}, None),
    ],
)
def test_an_answer_carries_its_content_length_as_its_wire_size(stubbed, headers, size):
    stubbed.add_response(
        "get_vectors",
        {**ANSWER, "ResponseMetadata": {"HTTPHeaders": headers}},
        {**PARAMS},
    )
    answer = client.call("get_vectors", **PARAMS)
    assert answer.wire_bytes == size
    assert answer.body["vectors"] == ANSWER["vectors"]


def test_an_answer_without_response_metadata_has_no_wire_size(stubbed):
    stubbed.add_response("get_vectors", dict(ANSWER), {**PARAMS})
    assert client.call("get_vectors", **PARAMS).wire_bytes is None


def test_an_unreachable_service_is_named_by_botocores_error(monkeypatch):
    unreachable = EndpointConnectionError(endpoint_url="http://127.0.0.1:9/")
    monkeypatch.setattr(client, "_client", Raising(unreachable))
    error = _raised()
    assert (error.type, error.retryable) == ("ServiceUnavailable", True)
    assert (
        error.message == f"S3 Vectors get_vectors could not be reached: {unreachable}; retry later"
    )
    assert error.details == {"aws_error_code": "EndpointConnectionError"}


@pytest.mark.parametrize(
    "cause", [InvalidRequest("bad chunk", field="vectors"), Throttled("slow down"), NotFound("x")]
)
def test_a_partial_write_takes_its_field_and_retryable_flag_from_its_cause(cause):
    details = {"written_keys": ["a"], "not_written_keys": ["b"]}
    error = PartialWrite("stopped at chunk 2", cause=cause, details=details)
    assert (error.type, error.message, error.details) == (
        "PartialWrite",
        "stopped at chunk 2",
        details,
    )
    assert (error.field, error.retryable) == (cause.field, cause.retryable)
