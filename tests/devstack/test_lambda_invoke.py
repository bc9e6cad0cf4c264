"""The local Lambda Invoke API: real HTTP, real boto3 client, a real handler behind it."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import botocore.exceptions
import pytest

from devstack.lambda_invoke.function import HandlerImportError
from devstack.lambda_invoke.server import LocalLambda
from tests.support.lambda_test_handlers import TEST_HANDLER, held_at, wait_for

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def lambda_client(function: LocalLambda) -> Any:
    return boto3.client(
        "lambda",
        endpoint_url=function.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def post(
    function: LocalLambda, name: str, body: bytes, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(
        f"{function.url}/2015-03-31/functions/{name}/invocations",
        data=body,
        headers=headers or {},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def invoke(function: LocalLambda, event: Any, **kwargs: Any) -> tuple[dict[str, Any], Any]:
    response = lambda_client(function).invoke(
        FunctionName=function.function_name, Payload=json.dumps(event), **kwargs
    )
    raw = response["Payload"].read()
    return response, json.loads(raw) if raw else None


def test_a_synchronous_invocation_returns_the_handlers_json_with_a_lambda_context(
    local_lambda: LocalLambda,
) -> None:
    response, payload = invoke(local_lambda, {"hello": "world"})
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    assert payload["event"] == {"hello": "world"}
    assert payload["function_name"] == "s3vl-bridge"
    assert payload["invoked_function_arn"] == local_lambda.function_arn
    assert payload["memory_limit_in_mb"] == 512
    assert payload["log_group_name"] == "/aws/lambda/s3vl-bridge"
    assert payload["aws_request_id"] == response["ResponseMetadata"]["RequestId"]
    assert 0 < payload["remaining_ms"] <= 1000


def test_the_function_arn_is_the_accounts_arn_for_the_name() -> None:
    assert LocalLambda(environment={"AWS_REGION": "eu-west-1"}).function_arn == (
        "arn:aws:lambda:eu-west-1:123456789012:function:s3vl-bridge"
    )


@pytest.mark.parametrize(
    "name",
    [
        "s3vl-bridge",
        "s3vl-bridge:$LATEST",
        "123456789012:function:s3vl-bridge",
        "arn:aws:lambda:us-east-1:123456789012:function:s3vl-bridge",
        "arn:aws:lambda:us-east-1:123456789012:function:s3vl-bridge:$LATEST",
    ],
)
def test_the_function_is_found_by_name_partial_arn_or_url_encoded_full_arn(
    local_lambda: LocalLambda, name: str
) -> None:
    status, _, body = post(local_lambda, quote(name, safe=""), b'{"by": "name"}')
    assert status == 200
    assert json.loads(body)["invoked_function_arn"].startswith(local_lambda.function_arn)


@pytest.mark.parametrize(
    "name",
    [
        "another-function",
        "arn:aws:lambda:eu-west-1:123456789012:function:s3vl-bridge",
        "arn:aws:lambda:us-east-1:210987654321:function:s3vl-bridge",
        "s3vl-bridge:prod",
    ],
)
def test_any_other_function_answers_resource_not_found(
    local_lambda: LocalLambda, name: str
) -> None:
    with pytest.raises(lambda_client(local_lambda).exceptions.ResourceNotFoundException) as exc:
        lambda_client(local_lambda).invoke(FunctionName=name, Payload=b"{}")
    assert "Function not found: arn:aws:lambda:" in str(exc.value)


def test_a_qualifier_that_contradicts_the_name_is_rejected(local_lambda: LocalLambda) -> None:
    with pytest.raises(botocore.exceptions.ClientError, match="derived qualifier"):
        lambda_client(local_lambda).invoke(FunctionName="s3vl-bridge:v1", Qualifier="v2")


def test_a_crash_is_an_unhandled_function_error_with_the_runtimes_payload(
    local_lambda: LocalLambda,
) -> None:
    response, payload = invoke(local_lambda, {"action": "crash", "message": "bad vector"})
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "ValueError"
    assert payload["errorMessage"] == "bad vector"
    assert "lambda_test_handlers.py" in payload["stackTrace"][0]


def test_a_handler_slower_than_the_timeout_answers_lambdas_timeout_error(
    local_lambda: LocalLambda,
) -> None:
    with held_at(local_lambda) as (name, gate):
        response, payload = invoke(local_lambda, {"action": "hold", "gate": name})
        # Answered at the 1 s timeout while the handler was still held, not at its return.
        assert not gate.passed.is_set()
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Sandbox.Timedout"
    assert payload["errorMessage"].endswith("Error: Task timed out after 1.00 seconds")


def test_a_result_that_is_not_json_is_a_marshal_error(local_lambda: LocalLambda) -> None:
    response, payload = invoke(local_lambda, {"action": "unserializable"})
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.MarshalError"
    assert "not JSON serializable" in payload["errorMessage"]


def test_a_response_over_six_megabytes_is_a_function_error(local_lambda: LocalLambda) -> None:
    response, payload = invoke(local_lambda, {"action": "large", "bytes": 6_300_000})
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Function.ResponseSizeTooLarge"


def test_an_event_invocation_answers_202_and_runs_the_handler_in_the_background(
    local_lambda: LocalLambda, tmp_path: Path
) -> None:
    evidence = tmp_path / "event.json"
    response, payload = invoke(
        local_lambda, {"action": "record", "path": str(evidence)}, InvocationType="Event"
    )
    assert response["StatusCode"] == 202
    assert payload is None
    wait_for(evidence)
    assert json.loads(evidence.read_text())["action"] == "record"


def test_a_dry_run_answers_204_without_running_the_handler(
    local_lambda: LocalLambda, tmp_path: Path
) -> None:
    evidence = tmp_path / "dry-run.json"
    response, payload = invoke(
        local_lambda, {"action": "record", "path": str(evidence)}, InvocationType="DryRun"
    )
    assert response["StatusCode"] == 204
    assert payload is None
    # A later synchronous invocation of the same function has run to its end: a dry run that
    # ran the handler (at once or in the background, started before its 204) would have too.
    witness = tmp_path / "witness.json"
    assert invoke(local_lambda, {"action": "record", "path": str(witness)})[0]["StatusCode"] == 200
    assert witness.exists()
    assert not evidence.exists()


def test_log_type_tail_returns_the_base64_log_of_the_invocation(local_lambda: LocalLambda) -> None:
    response, _ = invoke(local_lambda, {}, LogType="Tail")
    log = base64.b64decode(response["LogResult"]).decode()
    request_id = response["ResponseMetadata"]["RequestId"]
    assert f"START RequestId: {request_id} Version: $LATEST" in log
    assert f"REPORT RequestId: {request_id}" in log


def test_the_client_context_reaches_the_handler(local_lambda: LocalLambda) -> None:
    context = {"custom": {"caller": "psql"}, "env": {"locale": "C"}}
    _, payload = invoke(
        local_lambda, {}, ClientContext=base64.b64encode(json.dumps(context).encode()).decode()
    )
    assert payload["client_context"] == context


def test_a_body_that_is_not_json_is_rejected_before_the_handler_runs(
    local_lambda: LocalLambda,
) -> None:
    with pytest.raises(botocore.exceptions.ClientError, match="InvalidRequestContentException"):
        lambda_client(local_lambda).invoke(FunctionName="s3vl-bridge", Payload=b"{not json")


def test_an_unknown_invocation_type_is_a_validation_error(local_lambda: LocalLambda) -> None:
    status, headers, body = post(
        local_lambda, "s3vl-bridge", b"{}", {"X-Amz-Invocation-Type": "Sometime"}
    )
    assert status == 400
    assert headers["x-amzn-ErrorType"] == "ValidationException"
    assert "invocationType" in json.loads(body)["message"]


def test_an_oversized_request_is_rejected_with_413(local_lambda: LocalLambda) -> None:
    body = json.dumps({"blob": "x" * 6_300_000}).encode()
    status, headers, _ = post(local_lambda, "s3vl-bridge", body)
    assert status == 413
    assert headers["x-amzn-ErrorType"] == "RequestTooLargeException"


def test_invocations_run_concurrently() -> None:
    # Each call waits at a two-party barrier of this test's own: both succeed only if they run
    # at the same time. The function's timeout is long, so a slow machine only waits longer.
    event = {"action": "rendezvous", "barrier": uuid.uuid4().hex, "seconds": 30}
    with (
        LocalLambda(handler=TEST_HANDLER, timeout_s=40) as function,
        ThreadPoolExecutor(max_workers=2) as pool,
    ):
        results = list(pool.map(lambda _: invoke(function, event), [1, 2]))
    assert [payload for _, payload in results] == [{"met": True}, {"met": True}]


def test_the_environment_is_applied_before_import_and_restored_on_stop() -> None:
    before = {key: os.environ.get(key) for key in ("S3VL_TEST_SETTING", "AWS_REGION")}
    with LocalLambda(
        handler=TEST_HANDLER,
        environment={"S3VL_TEST_SETTING": "visible", "AWS_REGION": "eu-west-1"},
    ) as function:
        _, payload = invoke(function, {})
        assert payload["environment"] == {"AWS_REGION": "eu-west-1", "S3VL_TEST_SETTING": "visible"}
        assert payload["invoked_function_arn"].startswith("arn:aws:lambda:eu-west-1:")
    assert {key: os.environ.get(key) for key in before} == before


def test_the_environment_is_the_functions_own_and_applied_only_while_it_runs(
    local_lambda: LocalLambda,
) -> None:
    assert os.environ.get("S3VL_TEST_SETTING") is None  # the function is up, but not running
    _, payload = invoke(local_lambda, {})
    assert payload["environment"]["S3VL_TEST_SETTING"] == "from-env"
    assert os.environ.get("S3VL_TEST_SETTING") is None


def test_functions_with_different_environments_each_see_their_own() -> None:
    settings = ("first", "second")
    functions = [
        LocalLambda(handler=TEST_HANDLER, function_name=f"fn-{setting}",
                    environment={"S3VL_TEST_SETTING": setting})
        for setting in settings
    ]  # fmt: skip
    with functions[0], functions[1], ThreadPoolExecutor(max_workers=8) as pool:
        seen = list(pool.map(lambda i: invoke(functions[i % 2], {})[1], range(16)))
    assert [payload["environment"]["S3VL_TEST_SETTING"] for payload in seen] == [
        settings[i % 2] for i in range(16)
    ]


def test_a_timed_out_invocation_does_not_hold_up_another_function(
    local_lambda: LocalLambda,
) -> None:
    # local_lambda times out after 1 s; its handler stays held at a gate, in a thread that
    # cannot be killed. Another function with other settings answers while it is still held.
    with held_at(local_lambda) as (name, gate):
        response, _ = invoke(local_lambda, {"action": "hold", "gate": name})
        assert response["FunctionError"] == "Unhandled"
        assert gate.arrived.wait(30)
        with LocalLambda(
            handler=TEST_HANDLER, function_name="other", environment={"S3VL_TEST_SETTING": "other"}
        ) as other:
            _, payload = invoke(other, {})
        assert not gate.passed.is_set()
    assert payload["environment"]["S3VL_TEST_SETTING"] == "other"


def test_stop_is_idempotent_and_closes_the_port() -> None:
    function = LocalLambda(handler=TEST_HANDLER).start()
    url = function.url
    function.stop()
    function.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{url}/2015-03-31/functions/s3vl-bridge/invocations", b"{}", 2)


@pytest.mark.parametrize(
    ("handler", "message"),
    [
        ("no_such_module.handler", "cannot import handler module 'no_such_module'"),
        ("tests.support.lambda_test_handlers.missing", "has no callable 'missing'"),
        ("handler", "must be a dotted path"),
    ],
)
def test_a_handler_that_cannot_be_imported_fails_at_start(handler: str, message: str) -> None:
    with pytest.raises(HandlerImportError, match=message):
        LocalLambda(handler=handler).start()


def run_cli(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # the CLI imports tests.support's handler
    return subprocess.Popen(
        [sys.executable, "-m", "devstack", "lambda", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_the_cli_prints_its_url_and_arn_serves_and_stops_on_sigterm() -> None:
    process = run_cli(
        "--s3vectors-url",
        "http://127.0.0.1:9",
        "--bucket-arn",
        "arn:aws:s3vectors:us-east-1:123456789012:bucket/demo",
        "--handler",
        TEST_HANDLER,
    )
    try:
        assert process.stdout is not None
        url_line = process.stdout.readline().strip()
        arn_line = process.stdout.readline().strip()
        assert url_line.startswith("LAMBDA_URL=http://127.0.0.1:")
        assert arn_line == "LAMBDA_ARN=arn:aws:lambda:us-east-1:123456789012:function:s3vl-bridge"
        request = urllib.request.Request(
            f"{url_line.split('=', 1)[1]}/2015-03-31/functions/"
            f"{quote(arn_line.split('=', 1)[1], safe='')}/invocations",
            data=b'{"via": "cli"}',
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            payload = json.loads(response.read())
        assert payload["event"] == {"via": "cli"}
        assert payload["environment"]["AWS_REGION"] == "us-east-1"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_the_cli_requires_an_allowlist() -> None:
    process = run_cli("--s3vectors-url", "http://127.0.0.1:9")
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "--bucket-arn or --index-arn" in stderr
