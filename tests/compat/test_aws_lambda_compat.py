"""sql/compat/aws_lambda.sql on a real PostgreSQL, invoking a real handler over HTTP."""

from __future__ import annotations

import base64
import json
import socket
import sysconfig
from pathlib import Path
from typing import Any

import psycopg
import pytest

from devstack.lambda_invoke.server import LocalLambda
from devstack.postgres import TemporaryCluster
from tests.support.lambda_test_handlers import held_at, wait_for
from tests.support.postgres import COMPAT_SQL, install_compat, start_cluster

pytestmark = pytest.mark.slow

ARN = "arn:aws:lambda:us-east-1:123456789012:function:s3vl-bridge"

# Aurora's documented signatures (AWS Lambda function and parameter reference, RDS/Aurora).
AURORA_INVOKE_SIGNATURES = {
    (
        "function_name text, payload json, region text DEFAULT NULL::text, "
        "invocation_type text DEFAULT 'RequestResponse'::text, "
        "log_type text DEFAULT 'None'::text, context json DEFAULT NULL::json, "
        "qualifier character varying DEFAULT NULL::character varying, "
        "OUT status_code integer, OUT payload json, OUT executed_version text, "
        "OUT log_result text"
    ),
    (
        "function_name aws_commons._lambda_function_arn_1, payload json, "
        "invocation_type text DEFAULT 'RequestResponse'::text, "
        "log_type text DEFAULT 'None'::text, context json DEFAULT NULL::json, "
        "qualifier character varying DEFAULT NULL::character varying, "
        "OUT status_code integer, OUT payload json, OUT executed_version text, "
        "OUT log_result text"
    ),
    (
        "function_name text, payload jsonb, region text DEFAULT NULL::text, "
        "invocation_type text DEFAULT 'RequestResponse'::text, "
        "log_type text DEFAULT 'None'::text, context jsonb DEFAULT NULL::jsonb, "
        "qualifier character varying DEFAULT NULL::character varying, "
        "OUT status_code integer, OUT payload jsonb, OUT executed_version text, "
        "OUT log_result text"
    ),
    (
        "function_name aws_commons._lambda_function_arn_1, payload jsonb, "
        "invocation_type text DEFAULT 'RequestResponse'::text, "
        "log_type text DEFAULT 'None'::text, context jsonb DEFAULT NULL::jsonb, "
        "qualifier character varying DEFAULT NULL::character varying, "
        "OUT status_code integer, OUT payload jsonb, OUT executed_version text, "
        "OUT log_result text"
    ),
}


def one(conn: psycopg.Connection, sql: str, *params: Any) -> Any:
    row = conn.execute(sql, params).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return row


def sql_error(conn: psycopg.Connection, sql: str, *params: Any) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as excinfo:
        conn.execute(sql, params)  # type: ignore[arg-type]
    return excinfo.value


# -- installation ------------------------------------------------------------------------------


def schema_dump(cluster: TemporaryCluster, dbname: str) -> str:
    return cluster.psql(
        "-At",
        "-c",
        "SELECT p.oid::regprocedure || ' ' || md5(pg_get_functiondef(p.oid)) || ' ' || "
        "coalesce(array_to_string(p.proacl, ','), '') FROM pg_proc p "
        "WHERE p.pronamespace::regnamespace::text IN ('aws_lambda', 'aws_commons') ORDER BY 1",
        dbname=dbname,
    ).stdout


def test_installing_twice_succeeds_silently_and_changes_nothing(
    compat_cluster: TemporaryCluster,
) -> None:
    compat_cluster.create_database("install_twice")
    first = compat_cluster.psql("-f", str(COMPAT_SQL), dbname="install_twice")
    before = schema_dump(compat_cluster, "install_twice")
    second = compat_cluster.psql("-f", str(COMPAT_SQL), dbname="install_twice")
    assert second.stderr == first.stderr == ""
    assert schema_dump(compat_cluster, "install_twice") == before
    assert "aws_lambda.invoke(text,json" in before


def test_the_install_creates_plpython3u_and_both_schemas(db: psycopg.Connection) -> None:
    assert one(db, "SELECT count(*) FROM pg_extension WHERE extname = 'plpython3u'") == (1,)
    assert one(
        db,
        "SELECT count(*) FROM pg_namespace WHERE nspname IN ('aws_lambda', 'aws_commons')",
    ) == (2,)


def test_invoke_has_exactly_auroras_four_overloads(db: psycopg.Connection) -> None:
    rows = db.execute(
        "SELECT pg_get_function_arguments(p.oid) FROM pg_proc p "
        "WHERE p.proname = 'invoke' AND p.pronamespace = 'aws_lambda'::regnamespace"
    ).fetchall()
    assert {row[0] for row in rows} == AURORA_INVOKE_SIGNATURES


def test_create_lambda_function_arn_has_auroras_signature_and_composite(
    db: psycopg.Connection,
) -> None:
    assert one(
        db,
        "SELECT pg_get_function_arguments(p.oid), p.prorettype::regtype::text FROM pg_proc p "
        "WHERE p.proname = 'create_lambda_function_arn'",
    ) == (
        "function_name text, region text DEFAULT NULL::text",
        "aws_commons._lambda_function_arn_1",
    )
    assert one(
        db, "SELECT (aws_commons.create_lambda_function_arn('s3vl-bridge', 'us-east-1')).*"
    ) == ("s3vl-bridge", "us-east-1")
    assert one(db, "SELECT (aws_commons.create_lambda_function_arn('s3vl-bridge')).region") == (
        None,
    )


def test_invoking_needs_auroras_grants_and_works_with_them(db: psycopg.Connection) -> None:
    db.execute("DROP ROLE IF EXISTS compat_outsider")
    db.execute("CREATE ROLE compat_outsider")
    db.execute("GRANT USAGE ON SCHEMA aws_lambda, aws_commons TO compat_outsider")
    call = "SELECT status_code FROM aws_lambda.invoke('s3vl-bridge', '{}'::json)"
    try:
        db.execute("SET ROLE compat_outsider")
        error = sql_error(db, call)
        assert error.diag.sqlstate == "42501"
        assert "permission denied for function invoke" in (error.diag.message_primary or "")
        db.execute("RESET ROLE")
        db.execute("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA aws_lambda TO compat_outsider")
        db.execute("SET ROLE compat_outsider")
        assert one(db, call) == (200,)
    finally:
        db.execute("RESET ROLE")
        db.execute("DROP OWNED BY compat_outsider")
        db.execute("DROP ROLE compat_outsider")


# -- the four overloads ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "payload_type"),
    [
        ("aws_lambda.invoke('s3vl-bridge', '{\"n\": 1}'::json)", "json"),
        ("aws_lambda.invoke('s3vl-bridge', '{\"n\": 1}'::jsonb)", "jsonb"),
        (
            "aws_lambda.invoke(aws_commons.create_lambda_function_arn('s3vl-bridge', "
            "'us-east-1'), '{\"n\": 1}'::json)",
            "json",
        ),
        (
            f"aws_lambda.invoke(aws_commons.create_lambda_function_arn('{ARN}'), "
            "'{\"n\": 1}'::jsonb)",
            "jsonb",
        ),
    ],
)
def test_each_overload_returns_the_handlers_payload_as_its_json_type(
    db: psycopg.Connection, call: str, payload_type: str
) -> None:
    status, payload, version, log, kind = one(
        db, f"SELECT r.*, pg_typeof(r.payload)::text FROM {call} AS r"
    )
    assert (status, version, log, kind) == (200, "$LATEST", None, payload_type)
    assert payload["event"] == {"n": 1}
    assert payload["invoked_function_arn"] == ARN


def test_named_arguments_work_in_any_order(db: psycopg.Connection) -> None:
    status, payload = one(
        db,
        "SELECT status_code, payload FROM aws_lambda.invoke(qualifier => '$LATEST', "
        "log_type => 'None', payload => '{\"named\": true}'::jsonb, function_name => %s, "
        "invocation_type => 'RequestResponse')",
        ARN,
    )
    assert status == 200
    assert payload["event"] == {"named": True}
    assert payload["invoked_function_arn"] == f"{ARN}:$LATEST"


def test_the_composite_as_text_from_psql_gset_is_accepted(db: psycopg.Connection) -> None:
    # Aurora's docs pass the helper's result through \gset as '(name,region)' text.
    status, payload = one(
        db,
        "SELECT status_code, payload FROM aws_lambda.invoke('(s3vl-bridge,us-east-1)', "
        '\'{"via": "gset"}\'::json)',
    )
    assert status == 200
    assert payload["event"] == {"via": "gset"}


def test_log_type_tail_returns_the_base64_log(db: psycopg.Connection) -> None:
    (log,) = one(
        db,
        "SELECT log_result FROM aws_lambda.invoke('s3vl-bridge', '{}'::jsonb, log_type => 'Tail')",
    )
    assert "START RequestId:" in base64.b64decode(log).decode()


def test_the_context_argument_reaches_the_handler_as_client_context(
    db: psycopg.Connection,
) -> None:
    (payload,) = one(
        db,
        "SELECT payload FROM aws_lambda.invoke('s3vl-bridge', '{}'::jsonb, "
        'context => \'{"custom": {"tenant": "t1"}, "env": {"db": "compat"}}\'::jsonb)',
    )
    assert payload["client_context"] == {"custom": {"tenant": "t1"}, "env": {"db": "compat"}}


def test_an_event_invocation_returns_202_and_the_handler_runs(
    db: psycopg.Connection, tmp_path: Path
) -> None:
    evidence = tmp_path / "event.json"
    event = json.dumps({"action": "record", "path": str(evidence)})
    row = one(
        db,
        "SELECT * FROM aws_lambda.invoke('s3vl-bridge', %s::jsonb, invocation_type => 'Event')",
        event,
    )
    assert row == (202, None, None, None)
    assert wait_for(evidence)


def test_a_dry_run_returns_204_and_the_handler_does_not_run(
    db: psycopg.Connection, tmp_path: Path
) -> None:
    evidence = tmp_path / "dry-run.json"
    event = json.dumps({"action": "record", "path": str(evidence)})
    row = one(
        db,
        "SELECT * FROM aws_lambda.invoke('s3vl-bridge', %s::json, invocation_type => 'DryRun')",
        event,
    )
    assert row == (204, None, None, None)
    # A later synchronous invocation has run to its end: a dry run that ran the handler (at
    # once or in the background, started before its 204) would have too.
    witness = tmp_path / "witness.json"
    db.execute(
        "SELECT * FROM aws_lambda.invoke('s3vl-bridge', %s::json)",
        [json.dumps({"action": "record", "path": str(witness)})],
    )
    assert witness.exists()
    assert not evidence.exists()


# -- failures ----------------------------------------------------------------------------------


def test_a_crashing_function_raises_lambda_invocation_failed_with_its_error_in_detail(
    db: psycopg.Connection,
) -> None:
    error = sql_error(
        db,
        "SELECT * FROM aws_lambda.invoke('s3vl-bridge', "
        '\'{"action": "crash", "message": "index exploded"}\'::json)',
    )
    assert error.diag.sqlstate == "38000"
    assert error.diag.message_primary == "lambda invocation failed"
    detail = error.diag.message_detail or ""
    assert detail.startswith('"s3vl-bridge" returned error "Unhandled", details: "{')
    payload = json.loads(detail.split('details: "', 1)[1].removesuffix('".'))
    assert (payload["errorType"], payload["errorMessage"]) == ("ValueError", "index exploded")


def test_a_function_timeout_raises_lambda_invocation_failed(
    db: psycopg.Connection, test_lambda: LocalLambda
) -> None:
    db.execute("SET aws_lambda.request_timeout_ms = 10000")
    with held_at(test_lambda) as (name, gate):
        error = sql_error(
            db,
            "SELECT * FROM aws_lambda.invoke('s3vl-bridge', %s::json)",
            json.dumps({"action": "hold", "gate": name}),
        )
        assert not gate.passed.is_set()  # the function's timeout answered, not the handler
    assert error.diag.sqlstate == "38000"
    assert "Task timed out after 2.00 seconds" in (error.diag.message_detail or "")


def test_a_slow_answer_raises_invoke_api_failed_within_request_timeout_ms(
    db: psycopg.Connection, test_lambda: LocalLambda
) -> None:
    db.execute("SET aws_lambda.request_timeout_ms = 300")
    with held_at(test_lambda) as (name, gate):
        error = sql_error(
            db,
            "SELECT * FROM aws_lambda.invoke('s3vl-bridge', %s::json)",
            json.dumps({"action": "hold", "gate": name}),
        )
        # The request reached the handler, which was still held when the caller gave up: the
        # function's own 2 s timeout (38000) would have answered otherwise.
        assert gate.arrived.wait(30) and not gate.passed.is_set()
    assert error.diag.sqlstate == "58000"
    assert error.diag.message_primary == "invoke API failed"
    assert "Request timed out" in (error.diag.message_detail or "")
    assert "aws_lambda.request_timeout_ms" in (error.diag.message_hint or "")


def test_an_endpoint_nobody_listens_on_raises_unable_to_connect(db: psycopg.Connection) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    db.execute(f"SET aws_lambda.endpoint_override = 'http://127.0.0.1:{closed_port}'")
    error = sql_error(db, "SELECT * FROM aws_lambda.invoke('s3vl-bridge', '{}'::json)")
    assert error.diag.sqlstate == "58000"
    assert "Unable to connect to endpoint" in (error.diag.message_detail or "")


def test_an_unknown_function_or_qualifier_raises_invoke_api_failed(
    db: psycopg.Connection,
) -> None:
    for call in (
        "aws_lambda.invoke('other-function', '{}'::json)",
        "aws_lambda.invoke('s3vl-bridge', '{}'::json, qualifier => 'prod')",
    ):
        error = sql_error(db, f"SELECT * FROM {call}")
        assert error.diag.sqlstate == "58000"
        assert "ResourceNotFoundException: Function not found" in (error.diag.message_detail or "")


@pytest.mark.parametrize(
    ("setup", "call", "named"),
    [
        (
            "",
            "aws_lambda.invoke('s3vl-bridge', '{}'::json, invocation_type => 'event')",
            "invocation_type",
        ),
        ("", "aws_lambda.invoke('s3vl-bridge', '{}'::json, log_type => 'tail')", "log_type"),
        ("", "aws_lambda.invoke('no/such function', '{}'::json)", "function_name"),
        ("", "aws_lambda.invoke('', '{}'::json)", "function_name"),
        ("", f"aws_lambda.invoke('{ARN}', '{{}}'::json, region => 'eu-west-1')", "region"),
        ("", f"aws_lambda.invoke('{ARN}:v1', '{{}}'::json, qualifier => 'v2')", "qualifier"),
        (
            "",
            "aws_lambda.invoke('s3vl-bridge', '{}'::json, "
            "context => json_build_object('custom', repeat('x', 3000)))",
            "context",
        ),
        (
            "SET aws_lambda.request_timeout_ms = 'soon'",
            "aws_lambda.invoke('s3vl-bridge', '{}'::json)",
            "aws_lambda.request_timeout_ms",
        ),
        (
            "SET aws_lambda.connect_timeout_ms = 0",
            "aws_lambda.invoke('s3vl-bridge', '{}'::json)",
            "aws_lambda.connect_timeout_ms",
        ),
        (
            "SET aws_lambda.endpoint_override = 'ftp://x'",
            "aws_lambda.invoke('s3vl-bridge', '{}'::json)",
            "aws_lambda.endpoint_override",
        ),
    ],
)
def test_a_bad_argument_or_setting_raises_22023_naming_it(
    db: psycopg.Connection, setup: str, call: str, named: str
) -> None:
    if setup:
        db.execute(setup)
    error = sql_error(db, f"SELECT * FROM {call}")
    assert error.diag.sqlstate == "22023"
    assert named in (error.diag.message_primary or "")
    assert error.diag.message_hint


def test_without_an_override_and_without_boto3_the_error_says_what_is_missing(
    db: psycopg.Connection,
) -> None:
    db.execute("RESET aws_lambda.endpoint_override")
    error = sql_error(db, "SELECT * FROM aws_lambda.invoke('s3vl-bridge', '{}'::json)")
    assert error.diag.sqlstate == "0A000", (
        "this test expects the database server's Python without boto3 (Debian's python3 "
        f"without python3-boto3); got {error.diag.sqlstate}: {error.diag.message_primary}"
    )
    assert "needs boto3 in the database server's Python" in (error.diag.message_primary or "")
    assert "cannot import boto3" in (error.diag.message_detail or "")
    assert "aws_lambda.endpoint_override" in (error.diag.message_hint or "")


# -- without an override, through boto3 (the server's Python given the venv's boto3) ----------


def test_without_an_override_a_signed_boto3_invoke_reaches_the_function(
    test_lambda: LocalLambda,
) -> None:
    # AWS_ENDPOINT_URL_LAMBDA sends botocore's signed request to the local endpoint.
    cluster = start_cluster(
        environment={
            "PYTHONPATH": sysconfig.get_paths()["purelib"],
            "AWS_ENDPOINT_URL_LAMBDA": test_lambda.url,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": "us-east-1",
            # boto3 takes its region from AWS_DEFAULT_REGION only (it reads no AWS_REGION).
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )
    try:
        install_compat(cluster, "postgres")
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            status, payload, version = one(
                conn,
                "SELECT status_code, payload, executed_version "
                "FROM aws_lambda.invoke(%s, '{\"signed\": true}'::jsonb)",
                ARN,
            )
            assert (status, payload["event"], version) == (200, {"signed": True}, "$LATEST")
            error = sql_error(
                conn,
                "SELECT * FROM aws_lambda.invoke('s3vl-bridge', '{\"action\": \"crash\"}'::json)",
            )
            assert error.diag.message_primary == "lambda invocation failed"
            conn.execute("SET aws_lambda.request_timeout_ms = 300")
            with held_at(test_lambda) as (name, gate):
                error = sql_error(
                    conn,
                    "SELECT * FROM aws_lambda.invoke('s3vl-bridge', %s::json)",
                    json.dumps({"action": "hold", "gate": name}),
                )
                assert not gate.passed.is_set()
            assert "Request timed out" in (error.diag.message_detail or "")
    finally:
        cluster.stop()


# -- through the real bridge handler ---------------------------------------------------------


def test_the_real_bridge_handler_answers_an_availability_check(db: psycopg.Connection) -> None:
    bucket = "arn:aws:s3vectors:us-east-1:123456789012:bucket/compat-check"
    with LocalLambda(
        environment={
            "S3VECTORS_ENDPOINT_URL": "http://127.0.0.1:9",  # availability_check calls nothing
            "S3VL_BUCKET_ARNS": bucket,
            "AWS_REGION": "us-east-1",
        }
    ) as bridge:
        db.execute(f"SET aws_lambda.endpoint_override = '{bridge.url}'")
        status, payload = one(
            db,
            "SELECT status_code, payload FROM aws_lambda.invoke(%s, "
            '\'{"operation": "availability_check"}\'::jsonb)',
            bridge.function_arn,
        )
    assert status == 200
    assert payload["success"] is True, payload
    assert payload["request_id"]
