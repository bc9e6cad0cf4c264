"""Errors from the far side come back as SQL errors with a fitting SQLSTATE, the bridge's
message and field, DETAIL and HINT: handled bridge errors, S3 Vectors faults, a crashing
function (a Lambda function error) and a function that outlives the configured timeout."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from devstack.lambda_invoke.server import LocalLambda
from devstack.s3vectors import faults
from tests.e2e.e2e_handlers import HELD_GATE
from tests.support.lambda_test_handlers import held_at
from tests.support.postgres import sql_error

pytestmark = pytest.mark.slow

V5 = "ARRAY[0.1, 0.2, 0.3, 0.4, 0.5]"
OTHER_BUCKET_INDEX = "arn:aws:s3vectors:us-east-1:123456789012:bucket/not-served/index/any"
MISSING_INDEX = "arn:aws:s3vectors:us-east-1:123456789012:bucket/s3vl-demo/index/missing"


def test_an_index_the_bridge_does_not_serve_is_access_denied(db: psycopg.Connection) -> None:
    error = sql_error(
        db, f"SELECT * FROM s3vl.query_vectors({V5}, index_arn => %s)", [OTHER_BUCKET_INDEX]
    )
    assert error.sqlstate == "42501"
    assert "is not served by this function" in error.diag.message_primary
    assert '(field "index_arn")' in error.diag.message_primary
    assert "AccessDenied" in error.diag.message_detail
    assert "S3VL_INDEX_ARNS" in error.diag.message_hint


def test_an_index_that_does_not_exist_is_undefined_object(db: psycopg.Connection) -> None:
    error = sql_error(
        db, f"SELECT * FROM s3vl.query_vectors({V5}, index_arn => %s)", [MISSING_INDEX]
    )
    assert error.sqlstate == "42704"
    assert "NotFound" in error.diag.message_detail
    assert error.diag.message_hint


def test_a_bad_filter_is_a_validation_error_naming_the_field(db: psycopg.Connection) -> None:
    error = sql_error(
        db,
        f"SELECT * FROM s3vl.query_vectors({V5}, 'demo-index', metadata_filter => %s::jsonb)",
        ['{"category": {"$regex": "de.*"}}'],
    )
    assert error.sqlstate == "22023"
    assert error.diag.message_primary.startswith("s3vl.query_vectors: ")
    assert "ValidationError" in error.diag.message_detail
    assert error.diag.message_hint


@pytest.fixture
def throttled() -> Iterator[None]:
    faults.inject("QueryVectors", code="TooManyRequestsException", status=429, times=5)
    try:
        yield
    finally:
        faults.clear()


def test_throttling_is_a_retryable_system_error(db: psycopg.Connection, throttled: None) -> None:
    error = sql_error(db, f"SELECT * FROM s3vl.query_vectors({V5}, 'demo-index')")
    assert error.sqlstate == "58000"
    assert "retryable: true" in error.diag.message_detail
    assert "retry" in error.diag.message_hint


def use_function(db: psycopg.Connection, function: LocalLambda, timeout_seconds: int) -> None:
    """Point this session at another function on its own endpoint."""
    db.execute(
        "SELECT s3vl.configure(%s, 'us-east-1', %s, validate => false)",
        [function.function_arn, timeout_seconds],
    )
    db.execute("SELECT set_config('aws_lambda.endpoint_override', %s, true)", [function.url])


def test_a_crashing_function_surfaces_as_lambda_invocation_failed(db: psycopg.Connection) -> None:
    with LocalLambda(handler="tests.e2e.e2e_handlers.crash", function_name="crasher") as function:
        use_function(db, function, 30)
        error = sql_error(db, f"SELECT * FROM s3vl.query_vectors({V5}, 'demo-index')")
    assert error.sqlstate == "38000"
    assert error.diag.message_primary == (
        "s3vl.query_vectors: invoking the Lambda function failed: lambda invocation failed"
    )
    assert "crashed on purpose" in error.diag.message_detail
    assert "validate_config" in error.diag.message_hint


def test_validate_config_refuses_a_bridge_of_another_release(db: psycopg.Connection) -> None:
    with LocalLambda(handler="tests.e2e.e2e_handlers.older_bridge", function_name="old") as old:
        use_function(db, old, 30)
        is_valid, error_message = db.execute(
            "SELECT is_valid, error_message FROM s3vl.validate_config()"
        ).fetchone()
    version = db.execute("SELECT s3vl.version()").fetchone()[0]
    assert is_valid is False
    assert error_message.startswith(
        f"the bridge function is s3vl 0.1.0 but this database has the s3vl SQL package {version}; "
        "deploy the bridge of the same release"
    ), error_message


def test_validate_config_takes_the_bridge_of_this_release(db: psycopg.Connection) -> None:
    assert db.execute("SELECT is_valid, error_message FROM s3vl.validate_config()").fetchone() == (
        True,
        None,
    )


def test_a_function_slower_than_the_configured_timeout_fails_in_time(
    db: psycopg.Connection,
) -> None:
    with (
        LocalLambda(handler="tests.e2e.e2e_handlers.held", function_name="holder") as function,
        held_at(function, HELD_GATE) as (_, gate),
    ):
        use_function(db, function, 1)
        error = sql_error(db, f"SELECT * FROM s3vl.query_vectors({V5}, 'demo-index')")
        # The handler got the request and was still held when the caller gave up.
        assert gate.arrived.wait(30) and not gate.passed.is_set()
    assert error.sqlstate == "58000"
    assert "timeout 1 s" in error.diag.message_detail
    # The client's own account of the limit it waited for: the configured 1 s, as milliseconds.
    assert "'Request timed out'" in error.diag.message_detail
    assert "within aws_lambda.request_timeout_ms = 1000" in error.diag.message_detail
    assert "timeout_seconds" in error.diag.message_hint
