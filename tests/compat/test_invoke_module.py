"""sql/compat/aws_lambda_invoke.py, the Python of aws_lambda._invoke_http, without PostgreSQL: a
stand-in plpy answers its queries, and a stand-in Invoke endpoint on 127.0.0.1 its requests.
tests/compat/test_aws_lambda_compat.py runs the same code inside a real PostgreSQL."""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sql.compat import aws_lambda_invoke as module
from tests.compat.plpy_stand_in import Reply, Request, StandInEndpoint, StandInPlpy

ARN = "arn:aws:lambda:us-east-1:123456789012:function:s3vl-bridge"
DEFAULTS: dict[str, Any] = {
    "function_name": "s3vl-bridge",
    "payload": '{"n": 1}',
    "region": None,
    "invocation_type": "RequestResponse",
    "log_type": "None",
    "context": None,
    "qualifier": None,
}


@pytest.fixture
def endpoint() -> Iterator[StandInEndpoint]:
    with StandInEndpoint() as stand_in:
        yield stand_in


def admin_plpy(url: str, **settings: str) -> StandInPlpy:
    """A superuser's session pointed at url (the administrator's own choice)."""
    return StandInPlpy({"aws_lambda.endpoint_override": url, **settings}, superuser_session=True)


def invoke(plpy: StandInPlpy, sd: dict[str, Any] | None = None, **arguments: Any) -> dict:
    return module.invoke(plpy, {} if sd is None else sd, **{**DEFAULTS, **arguments})


def failure(plpy: StandInPlpy, sd: dict[str, Any] | None = None, **arguments: Any) -> dict:
    row = invoke(plpy, sd, **arguments)
    assert row["error_sqlstate"] is not None, row
    assert (row["status_code"], row["payload"]) == (None, None)
    return row


# -- the row it returns ------------------------------------------------------------------------


def test_an_answer_fills_the_result_columns_and_leaves_the_error_columns_null(
    endpoint: StandInEndpoint,
) -> None:
    endpoint.reply = Reply(body=b'{"answer": 42}', headers={"X-Amz-Executed-Version": "$LATEST"})
    row = invoke(admin_plpy(endpoint.url))
    assert row == {
        "status_code": 200,
        "payload": '{"answer": 42}',
        "executed_version": "$LATEST",
        "log_result": None,
        "error_sqlstate": None,
        "error_message": None,
        "error_detail": None,
        "error_hint": None,
    }
    assert tuple(row) == module.RESULT_COLUMNS + module.ERROR_COLUMNS


def test_an_empty_answer_is_a_null_payload(endpoint: StandInEndpoint) -> None:
    endpoint.reply = Reply(status=202, body=b"")
    row = invoke(admin_plpy(endpoint.url), invocation_type="Event")
    assert (row["status_code"], row["payload"]) == (202, None)


# -- arguments and settings: 22023 naming what is wrong, with a hint, before any request ------


@pytest.mark.parametrize(
    ("arguments", "settings", "named"),
    [
        ({"invocation_type": "event"}, {}, "invocation_type"),
        ({"invocation_type": None}, {}, "invocation_type"),
        ({"log_type": "tail"}, {}, "log_type"),
        ({"function_name": "no/such function"}, {}, "function_name"),
        ({"function_name": ""}, {}, "function_name"),
        ({"function_name": None}, {}, "function_name"),
        ({"function_name": "  "}, {}, "function_name"),
        ({"function_name": "s3vl-bridge\nother"}, {}, "function_name"),
        ({"function_name": "a" * 65}, {}, "function_name"),
        ({"function_name": "s3vl-bridge:" + "q" * 129}, {}, "function_name"),
        ({"function_name": ARN, "region": "eu-west-1"}, {}, "region"),
        ({"function_name": f"{ARN}:v1", "qualifier": "v2"}, {}, "qualifier"),
        ({"function_name": "s3vl-bridge:v1", "qualifier": "v2"}, {}, "qualifier"),
        ({"context": json.dumps({"custom": "x" * 3000})}, {}, "context"),
        ({}, {"aws_lambda.request_timeout_ms": "soon"}, "aws_lambda.request_timeout_ms"),
        ({}, {"aws_lambda.request_timeout_ms": "900001"}, "aws_lambda.request_timeout_ms"),
        ({}, {"aws_lambda.connect_timeout_ms": "0"}, "aws_lambda.connect_timeout_ms"),
        ({}, {"aws_lambda.connect_timeout_ms": "-5"}, "aws_lambda.connect_timeout_ms"),
        ({}, {"aws_lambda.endpoint_override": "ftp://x"}, "aws_lambda.endpoint_override"),
        ({}, {"aws_lambda.endpoint_override": "http://"}, "aws_lambda.endpoint_override"),
    ],
)
def test_a_bad_argument_or_setting_is_22023_naming_it(
    endpoint: StandInEndpoint, arguments: dict[str, Any], settings: dict[str, str], named: str
) -> None:
    plpy = admin_plpy(endpoint.url, **settings)
    row = failure(plpy, **arguments)
    assert row["error_sqlstate"] == "22023"
    assert named in row["error_message"]
    assert row["error_hint"]
    assert endpoint.requests == []


def test_the_messages_of_bad_types_read_as_before() -> None:
    row = failure(StandInPlpy(), invocation_type="event")
    assert row["error_message"] == (
        "invocation_type 'event' is not one of RequestResponse, Event, DryRun"
    )
    assert row["error_hint"] == "the value is case-sensitive; the default is 'RequestResponse'"
    row = failure(StandInPlpy(), log_type="tail")
    assert row["error_message"] == "log_type 'tail' is not one of None, Tail"
    assert row["error_hint"] == "the value is case-sensitive; the default is 'None'"


def context_of(size: int) -> str:
    return '{"custom": "' + "x" * (size - 14) + '"}'


def test_client_context_up_to_lambdas_maximum_is_sent_base64_encoded(
    endpoint: StandInEndpoint,
) -> None:
    # 2,685 bytes encode to 3,580 (the largest multiple of 4 within 3,583); 2,686 to 3,584.
    largest = context_of(2685)
    assert len(base64.b64encode(largest.encode())) == 3580 <= module.MAX_CLIENT_CONTEXT
    assert invoke(admin_plpy(endpoint.url), context=largest)["status_code"] == 200
    sent = endpoint.requests[-1].headers["X-Amz-Client-Context"]
    assert base64.b64decode(sent).decode() == largest
    too_large = context_of(2686)
    row = failure(admin_plpy(endpoint.url), context=too_large)
    assert row["error_message"] == (
        "context is 3584 bytes once base64-encoded; Lambda accepts 3583"
    )


@pytest.mark.parametrize(
    ("name", "region", "qualifier", "parts"),
    [
        ("s3vl-bridge", None, None, ("s3vl-bridge", None, None)),
        (" s3vl-bridge ", "eu-west-1", None, ("s3vl-bridge", "eu-west-1", None)),
        ("s3vl-bridge:prod", None, None, ("s3vl-bridge:prod", None, None)),
        ("s3vl-bridge:prod", None, "prod", ("s3vl-bridge:prod", None, "prod")),
        (
            "123456789012:function:s3vl-bridge",
            None,
            "7",
            ("123456789012:function:s3vl-bridge", None, "7"),
        ),
        (ARN, None, None, (ARN, "us-east-1", None)),
        (ARN, "us-east-1", None, (ARN, "us-east-1", None)),
        ("(s3vl-bridge,us-west-2)", None, None, ("s3vl-bridge", "us-west-2", None)),
        ("(s3vl-bridge,us-west-2)", "eu-west-1", None, ("s3vl-bridge", "eu-west-1", None)),
        ("(s3vl-bridge,)", None, None, ("s3vl-bridge", None, None)),
    ],
)
def test_the_function_identifier_is_checked_and_kept_as_given(
    name: str, region: str | None, qualifier: str | None, parts: tuple[Any, ...]
) -> None:
    call = module.Call(
        StandInPlpy(),
        {},
        **{**DEFAULTS, "function_name": name, "region": region, "qualifier": qualifier},
    )
    assert (call.function_name, call.region, call.qualifier) == parts
    assert call.endpoint == ""


def test_the_composite_text_form_is_read_by_postgresql() -> None:
    plpy = StandInPlpy()
    module.Call(plpy, {}, **{**DEFAULTS, "function_name": "(s3vl-bridge,us-west-2)"})
    assert plpy.ran(module.COMPOSITE_QUERY) == 1
    module.Call(plpy, {}, **DEFAULTS)
    assert plpy.ran(module.COMPOSITE_QUERY) == 1  # only for the text form


def test_settings_are_read_with_one_plan_per_session_and_trimmed(
    endpoint: StandInEndpoint,
) -> None:
    plpy = admin_plpy(
        f"  {endpoint.url} ",
        **{"aws_lambda.request_timeout_ms": " 1234 ", "aws_lambda.connect_timeout_ms": "77"},
    )
    sd: dict[str, Any] = {}
    call = module.Call(plpy, sd, **DEFAULTS)
    assert (call.endpoint, call.connect_ms, call.request_ms) == (endpoint.url, 77, 1234)
    module.Call(plpy, sd, **DEFAULTS)
    assert plpy.prepared.count(" ".join(module.SETTING_QUERY.split())) == 1
    assert plpy.ran(module.SETTING_QUERY) == 6


def test_unset_timeouts_are_auroras_defaults() -> None:
    call = module.Call(StandInPlpy(), {}, **DEFAULTS)
    assert (call.connect_ms, call.request_ms) == (1000, 3000)


# -- who chose the endpoint: 42501 unless an administrator did ---------------------------------


def test_a_session_value_of_a_non_superuser_is_refused_with_42501_before_any_request(
    endpoint: StandInEndpoint,
) -> None:
    plpy = StandInPlpy({"aws_lambda.endpoint_override": endpoint.url})
    row = failure(plpy)
    assert row["error_sqlstate"] == "42501"
    assert row["error_message"] == "aws_lambda.endpoint_override was not set by an administrator"
    assert repr(endpoint.url) in row["error_detail"]
    assert row["error_hint"].startswith("RESET aws_lambda.endpoint_override")
    assert endpoint.requests == [] and endpoint.connections == 0


@pytest.mark.parametrize(
    "who",
    ["superuser_session", "database_setting", "server_setting"],
)
def test_an_endpoint_an_administrator_chose_is_used(endpoint: StandInEndpoint, who: str) -> None:
    plpy = StandInPlpy(
        {"aws_lambda.endpoint_override": endpoint.url},
        superuser_session=who == "superuser_session",
        database_endpoint=endpoint.url if who == "database_setting" else "http://elsewhere",
        server_endpoint=endpoint.url if who == "server_setting" else None,
    )
    assert invoke(plpy)["status_code"] == 200
    assert len(endpoint.requests) == 1


def test_the_trust_check_asks_for_the_exact_endpoint_with_plans_made_once(
    endpoint: StandInEndpoint,
) -> None:
    plpy = StandInPlpy({"aws_lambda.endpoint_override": endpoint.url}, server_endpoint=endpoint.url)
    sd: dict[str, Any] = {}
    for _ in range(3):
        assert invoke(plpy, sd)["status_code"] == 200
    assert plpy.ran(module.TRUST_QUERY) == plpy.ran(module.SERVER_ENDPOINT_QUERY) == 3
    words = " ".join(module.TRUST_QUERY.split())
    assert plpy.prepared.count(words) == 1
    # The query names pg_catalog for what a caller could shadow, and the endpoint is a parameter.
    assert "pg_catalog.pg_roles" in words and "pg_catalog.pg_db_role_setting" in words
    assert "'aws_lambda.endpoint_override=' || $1" in words


def test_without_an_endpoint_no_trust_check_runs() -> None:
    plpy = StandInPlpy()
    module.Call(plpy, {}, **DEFAULTS)
    assert plpy.ran(module.TRUST_QUERY) == 0


# -- over the endpoint ------------------------------------------------------------------------


def test_the_request_is_lambdas_invoke_api(endpoint: StandInEndpoint) -> None:
    plpy = admin_plpy(endpoint.url + "/base/")
    context = '{"custom": {"tenant": "t1"}}'
    row = invoke(
        plpy,
        function_name=f"{ARN}:$LATEST",
        qualifier="$LATEST",
        invocation_type="DryRun",
        log_type="Tail",
        context=context,
    )
    assert row["status_code"] == 200
    (request,) = endpoint.requests
    assert request.path == (
        "/base/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction"
        "%3As3vl-bridge%3A%24LATEST/invocations?Qualifier=%24LATEST"
    )
    assert request.body == b'{"n": 1}'
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Amz-Invocation-Type"] == "DryRun"
    assert request.headers["X-Amz-Log-Type"] == "Tail"
    assert base64.b64decode(request.headers["X-Amz-Client-Context"]).decode() == context


def test_no_payload_is_an_empty_body_and_no_context_no_header(endpoint: StandInEndpoint) -> None:
    invoke(admin_plpy(endpoint.url), payload=None)
    (request,) = endpoint.requests
    assert request.body == b""
    assert "X-Amz-Client-Context" not in request.headers
    assert "?" not in request.path


def test_the_log_tail_and_version_come_from_the_headers(endpoint: StandInEndpoint) -> None:
    tail = base64.b64encode(b"START RequestId: 1\nEND\n").decode()
    endpoint.reply = Reply(headers={"X-Amz-Log-Result": tail, "X-Amz-Executed-Version": "7"})
    row = invoke(admin_plpy(endpoint.url), log_type="Tail")
    assert (row["executed_version"], row["log_result"]) == ("7", tail)


def test_a_function_error_is_38000_with_auroras_detail(endpoint: StandInEndpoint) -> None:
    crash = b'{"errorMessage": "index exploded", "errorType": "ValueError"}'
    endpoint.reply = Reply(body=crash, headers={"X-Amz-Function-Error": "Unhandled"})
    row = failure(admin_plpy(endpoint.url))
    assert (row["error_sqlstate"], row["error_message"]) == ("38000", "lambda invocation failed")
    assert row["error_detail"] == (
        f'"s3vl-bridge" returned error "Unhandled", details: "{crash.decode()}".'
    )
    assert "log_type => 'Tail'" in row["error_hint"]


@pytest.mark.parametrize(
    ("reply", "detail"),
    [
        (
            Reply(
                status=404,
                body=b'{"Type": "User", "message": "Function not found: x"}',
                headers={"x-amzn-ErrorType": "ResourceNotFoundException:http://internal"},
            ),
            "AWS Lambda client returned 'ResourceNotFoundException: Function not found: x' "
            "(HTTP 404)",
        ),
        (
            Reply(status=413, body=b'{"Message": "too large"}'),
            "AWS Lambda client returned '413: too large' (HTTP 413)",
        ),
        (
            Reply(status=500, body=b"<html>oops</html>"),
            "AWS Lambda client returned '500: <html>oops</html>' (HTTP 500)",
        ),
        (
            Reply(status=400, body=b'["not", "an object"]'),
            'AWS Lambda client returned \'400: ["not", "an object"]\' (HTTP 400)',
        ),
    ],
)
def test_a_refusal_of_the_invoke_api_is_58000_naming_type_and_message(
    endpoint: StandInEndpoint, reply: Reply, detail: str
) -> None:
    endpoint.reply = reply
    row = failure(admin_plpy(endpoint.url))
    assert (row["error_sqlstate"], row["error_message"]) == ("58000", "invoke API failed")
    assert row["error_detail"] == detail
    assert "function_name and qualifier" in row["error_hint"]


def test_an_endpoint_nobody_listens_on_is_unable_to_connect() -> None:
    with StandInEndpoint() as gone:
        url = gone.url
    row = failure(admin_plpy(url))
    assert row["error_sqlstate"] == "58000"
    assert row["error_detail"].startswith(
        f"AWS Lambda client returned 'Unable to connect to endpoint' ({url}: "
    )
    assert "aws_lambda.connect_timeout_ms" in row["error_hint"]


def test_one_connection_serves_a_sessions_calls(endpoint: StandInEndpoint) -> None:
    plpy, sd = admin_plpy(endpoint.url), {}
    for _ in range(3):
        assert invoke(plpy, sd)["status_code"] == 200
    assert [r.connection for r in endpoint.requests] == [1, 1, 1]
    assert sd["connection"][0] == ("http", "127.0.0.1", int(endpoint.url.rsplit(":", 1)[1]))


def test_a_connection_the_endpoint_closed_while_idle_is_replaced_once(
    endpoint: StandInEndpoint,
) -> None:
    plpy, sd = admin_plpy(endpoint.url), {}
    assert invoke(plpy, sd)["status_code"] == 200
    endpoint.drop_connections()
    assert invoke(plpy, sd)["status_code"] == 200
    assert [r.connection for r in endpoint.requests] == [1, 2]


def test_a_new_endpoint_closes_the_old_connection(endpoint: StandInEndpoint) -> None:
    sd: dict[str, Any] = {}
    with StandInEndpoint() as other:
        assert invoke(admin_plpy(endpoint.url), sd)["status_code"] == 200
        old = sd["connection"][1]
        assert invoke(admin_plpy(other.url), sd)["status_code"] == 200
        assert old.sock is None  # closed
        assert len(other.requests) == 1


@pytest.mark.parametrize(
    "reply",
    [
        Reply(http10=True, body=b'{"via": "HTTP/1.0"}'),
        Reply(close=True, body=b'{"via": "Connection: close"}'),
        Reply(http10=True, body=b"x" * 200_000),
    ],
    ids=["http10", "connection-close", "http10-large"],
)
def test_an_answer_that_closes_the_connection_is_read_whole_and_not_kept(
    endpoint: StandInEndpoint, reply: Reply
) -> None:
    endpoint.reply = reply
    plpy, sd = admin_plpy(endpoint.url), {}
    row = invoke(plpy, sd)
    assert (row["status_code"], row["payload"]) == (200, reply.body.decode())
    assert "connection" not in sd
    assert invoke(plpy, sd)["status_code"] == 200
    assert [r.connection for r in endpoint.requests] == [1, 2]


@pytest.mark.parametrize(
    "reply",
    [
        Reply(delay_s=60),
        Reply(body=b"x" * 200_000, stall_after=70_000),
        Reply(body=b"x" * 200_000, stall_after=70_000, http10=True),
        Reply(body=b"x" * 200_000, stall_after=70_000, close=True),
    ],
    ids=["no-answer", "stalled-body", "stalled-http10-body", "stalled-closing-body"],
)
def test_an_answer_not_complete_within_request_timeout_ms_is_request_timed_out(
    endpoint: StandInEndpoint, reply: Reply
) -> None:
    endpoint.reply = reply
    plpy, sd = admin_plpy(endpoint.url, **{"aws_lambda.request_timeout_ms": "300"}), {}
    row = failure(plpy, sd)
    # The endpoint had the request and was holding its reply, and still was when the caller
    # gave up (the hold lasts a minute, or until the test ends).
    assert endpoint.holding.wait(30) and not endpoint.held_to_the_end.is_set()
    assert row["error_sqlstate"] == "58000"
    assert row["error_detail"] == (
        "AWS Lambda client returned 'Request timed out': no complete answer from "
        f"{endpoint.url} within aws_lambda.request_timeout_ms = 300"
    )
    assert row["error_hint"] == module.REQUEST_HINT
    assert "connection" not in sd  # a connection in an unknown state is not reused


def test_a_reply_chosen_per_request_sees_the_request(endpoint: StandInEndpoint) -> None:
    def echo(request: Request) -> Reply:
        return Reply(body=request.body)

    endpoint.reply = echo
    assert invoke(admin_plpy(endpoint.url), payload='{"echo": true}')["payload"] == (
        '{"echo": true}'
    )


# -- without an override: boto3 ----------------------------------------------------------------


def test_without_boto3_the_failure_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # import boto3 raises ImportError
    row = failure(StandInPlpy())
    assert row["error_sqlstate"] == "0A000"
    assert row["error_message"] == (
        "aws_lambda.invoke needs boto3 in the database server's Python to call AWS Lambda"
    )
    assert "cannot import boto3" in row["error_detail"]
    assert sys.executable in row["error_detail"]
    assert "aws_lambda.endpoint_override" in row["error_hint"]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, endpoint: StandInEndpoint) -> None:
    """botocore's signed requests go to the stand-in endpoint; no file or instance metadata
    of this machine is read."""
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_SESSION_TOKEN", "AWS_DEFAULTS_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # boto3 reads no AWS_REGION
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", endpoint.url)


@pytest.mark.usefixtures("aws")
def test_without_an_override_a_signed_invoke_goes_through_boto3(
    endpoint: StandInEndpoint,
) -> None:
    endpoint.reply = Reply(body=b'{"signed": true}', headers={"X-Amz-Executed-Version": "3"})
    sd: dict[str, Any] = {}
    row = invoke(StandInPlpy(), sd, function_name=ARN, qualifier="3", context="{}")
    assert (row["status_code"], row["payload"], row["executed_version"]) == (
        200,
        '{"signed": true}',
        "3",
    )
    (request,) = endpoint.requests
    assert request.headers["Authorization"].startswith("AWS4-HMAC-SHA256 ")
    assert "/us-east-1/lambda/aws4_request" in request.headers["Authorization"]
    assert request.path.endswith("/invocations?Qualifier=3")
    assert base64.b64decode(request.headers["X-Amz-Client-Context"]) == b"{}"
    client = sd["client"]
    invoke(StandInPlpy(), sd, function_name=ARN)
    assert sd["client"] is client  # one client per session while region and timeouts hold
    invoke(StandInPlpy({"aws_lambda.request_timeout_ms": "2000"}), sd, function_name=ARN)
    assert sd["client"] is not client


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize(
    ("reply", "sqlstate", "detail"),
    [
        (
            Reply(body=b'{"errorMessage": "boom"}', headers={"X-Amz-Function-Error": "Unhandled"}),
            "38000",
            '"s3vl-bridge" returned error "Unhandled", details: "{"errorMessage": "boom"}".',
        ),
        (
            Reply(
                status=404,
                body=b'{"Type": "User", "message": "Function not found: s3vl-bridge"}',
                headers={"x-amzn-ErrorType": "ResourceNotFoundException"},
            ),
            "58000",
            "AWS Lambda client returned 'ResourceNotFoundException: Function not found: "
            "s3vl-bridge'",
        ),
        (
            Reply(delay_s=60),
            "58000",
            "AWS Lambda client returned 'Request timed out': no answer within "
            "aws_lambda.request_timeout_ms = 300",
        ),
    ],
    ids=["function-error", "refused", "timed-out"],
)
def test_boto3_outcomes_read_as_over_an_endpoint(
    endpoint: StandInEndpoint, reply: Reply, sqlstate: str, detail: str
) -> None:
    endpoint.reply = reply
    row = failure(StandInPlpy({"aws_lambda.request_timeout_ms": "300"}))
    assert (row["error_sqlstate"], row["error_detail"]) == (sqlstate, detail)
    assert not endpoint.held_to_the_end.is_set()  # a timeout came while the reply was held


@pytest.mark.usefixtures("aws")
def test_boto3_without_a_region_is_22023_asking_for_one(
    endpoint: StandInEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real case: no endpoint but AWS's, where botocore refuses to build the client.
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_ENDPOINT_URL_LAMBDA")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    sd: dict[str, Any] = {}
    row = failure(StandInPlpy(), sd)
    assert (row["error_sqlstate"], row["error_message"]) == (
        "22023",
        "cannot tell which region the function is in",
    )
    assert "AWS_DEFAULT_REGION" in row["error_hint"]
    assert "client_key" not in sd  # the next call builds a client again
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", endpoint.url)
    assert invoke(StandInPlpy(), sd, region="us-east-1")["status_code"] == 200
    assert len(endpoint.requests) == 1


@pytest.mark.usefixtures("aws")
def test_boto3_that_cannot_connect_is_unable_to_connect(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with StandInEndpoint() as gone:
        monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", gone.url)
    row = failure(StandInPlpy())
    assert row["error_sqlstate"] == "58000"
    assert row["error_detail"].startswith(
        "AWS Lambda client returned 'Unable to connect to endpoint' ("
    )
