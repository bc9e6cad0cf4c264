"""S3 Vectors errors: retried where AWS says so, mapped to typed errors with a retryable flag."""

from __future__ import annotations

import pytest
from s3vl_bridge import reset_container

from devstack.s3vectors import faults as s3vectors_faults
from tests.support.bridge import DOCS_ARN, ok, refused

Q = {
    "operation": "query_vectors",
    "index_arn": DOCS_ARN,
    "query_vector": [1.0, 0.0, 0.0, 0.0],
    "top_k": 3,
}


def test_throttling_is_retried_and_the_query_succeeds(invoke, s3v):
    s3vectors_faults.inject("QueryVectors", code="TooManyRequestsException", status=429, times=2)
    rows = ok(invoke(Q))
    assert len(rows) == 3
    assert s3v.sent.count("QueryVectors") == 3  # two throttled attempts, then the answer


def test_throttling_past_the_retry_budget_is_reported_retryable(invoke, s3v):
    s3vectors_faults.inject("QueryVectors", code="TooManyRequestsException", status=429, times=10)
    error = refused(invoke(Q))
    assert error["type"] == "Throttled"
    assert error["retryable"] is True
    assert error["details"]["aws_error_code"] == "TooManyRequestsException"
    assert s3v.sent.count("QueryVectors") == 3  # S3VL_MAX_ATTEMPTS=3 in the tests


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ServiceUnavailableException", 503),
        ("InternalServerException", 500),
        ("RequestTimeoutException", 408),
    ],
)
def test_server_side_failures_that_persist_are_retryable(invoke, s3v, code, status):
    s3vectors_faults.inject("GetVectors", code=code, status=status, times=10)
    error = refused(
        invoke({"operation": "get_vectors", "index_arn": DOCS_ARN, "vector_ids": ["doc-01"]})
    )
    assert error["type"] == "ServiceUnavailable"
    assert error["retryable"] is True
    assert error["details"]["aws_error_code"] == code


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("AccessDeniedException", 403, "AccessDenied"),
        ("NotFoundException", 404, "NotFound"),
        ("ServiceQuotaExceededException", 402, "ServiceQuotaExceeded"),
        ("ConflictException", 409, "Conflict"),
    ],
)
def test_client_side_errors_are_typed_not_retried_and_not_retryable(
    invoke, s3v, code, status, kind
):
    s3vectors_faults.inject("ListVectors", code=code, status=status, times=1)
    error = refused(invoke({"operation": "list_vectors", "index_arn": DOCS_ARN}))
    assert error["type"] == kind
    assert error["retryable"] is False
    assert s3v.sent.count("ListVectors") == 1


def test_an_unreachable_service_is_a_retryable_service_unavailable(invoke, monkeypatch):
    monkeypatch.setenv("S3VECTORS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("S3VL_BUCKET_ARNS", DOCS_ARN.rsplit("/index/", 1)[0])
    monkeypatch.setenv("S3VL_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("S3VL_CONNECT_TIMEOUT_S", "0.5")
    reset_container()
    error = refused(invoke(Q))
    assert error["type"] == "ServiceUnavailable"
    assert error["retryable"] is True


def test_an_unexpected_failure_is_an_internal_error_without_its_trace_or_message(invoke, s3v):
    from s3vl_bridge import client

    def explode(**_):
        raise RuntimeError("secret detail from /var/task")

    client.s3vectors().meta.events.register("before-send.s3vectors", explode)
    error = refused(invoke(Q))
    assert error["type"] == "InternalError"
    assert error["retryable"] is False
    assert "secret detail" not in error["message"]
    assert "request_id" in error["message"]
