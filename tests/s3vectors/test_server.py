"""The service over HTTP: LocalS3Vectors in this process and the CLI as a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from botocore.exceptions import ClientError

from devstack.s3vectors import faults
from devstack.s3vectors.server import LocalS3Vectors
from tests.support.s3vectors import create_index, make_client, query_all

pytestmark = pytest.mark.slow
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server():
    service = LocalS3Vectors()
    service.start()
    yield service
    service.stop()


@pytest.fixture
def url(server):
    server.reset()
    yield server.url
    server.reset()


def control(url, method, route, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{url}/_devstack/{route}", data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def make_index(client, dimension=4):
    client.create_vector_bucket(vectorBucketName="srv-bucket")
    create_index(client, "srv-bucket", "srv-index", dimension, "euclidean")
    return {"vectorBucketName": "srv-bucket", "indexName": "srv-index"}


def test_the_url_is_loopback_with_the_bound_port(server):
    assert server.url.startswith("http://127.0.0.1:")
    assert int(server.url.rsplit(":", 1)[1]) > 0


def test_boto3_queries_over_http_with_pages(url):
    client = make_client(url)
    selector = make_index(client)
    rng = np.random.default_rng(1)
    data = rng.standard_normal((250, 4)).astype(np.float32)
    client.put_vectors(
        **selector,
        vectors=[
            {"key": f"k{i:03d}", "data": {"float32": r.tolist()}} for i, r in enumerate(data[:200])
        ],
    )
    client.put_vectors(
        **selector,
        vectors=[
            {"key": f"k{i + 200:03d}", "data": {"float32": r.tolist()}}
            for i, r in enumerate(data[200:])
        ],
    )
    results = query_all(
        client, selector, topK=250, queryVector={"float32": [0, 0, 0, 0]}, returnDistance=True
    )
    expected = sorted(
        (float(np.linalg.norm(r.astype(np.float64))), f"k{i:03d}") for i, r in enumerate(data)
    )
    assert [v["key"] for v in results] == [k for _, k in expected]


def test_concurrent_queries_each_get_their_own_answer(url):
    client = make_client(url)
    selector = make_index(client)
    client.put_vectors(
        **selector, vectors=[{"key": f"k{i}", "data": {"float32": [i, 0, 0, 0]}} for i in range(50)]
    )

    def nearest(i):
        return client.query_vectors(**selector, topK=1, queryVector={"float32": [i, 0, 0, 0]})[
            "vectors"
        ][0]["key"]

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(nearest, range(40))) == [f"k{i}" for i in range(40)]


def test_concurrent_writes_and_queries_leave_every_vector_stored(url):
    client = make_client(url)
    selector = make_index(client)

    def write(worker):
        for batch in range(5):
            client.put_vectors(
                **selector,
                vectors=[
                    {"key": f"w{worker}-{batch}-{i}", "data": {"float32": [worker, batch, i, 1]}}
                    for i in range(20)
                ],
            )
            client.query_vectors(**selector, topK=10, queryVector={"float32": [1, 1, 1, 1]})

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(4)))
    listed = client.list_vectors(**selector, maxResults=1000)["vectors"]
    assert len(listed) == len({v["key"] for v in listed}) == 4 * 5 * 20


def test_validation_errors_keep_their_shape_over_http(url):
    client = make_client(url, validate=False)
    selector = make_index(client)
    with pytest.raises(ClientError) as caught:
        client.query_vectors(**selector, topK=10_001, queryVector={"float32": [1, 0, 0, 0]})
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "'topK'" in caught.value.response["Error"]["Message"]


def post_refused(url, operation, body):
    """Send `body` as the whole JSON body of `operation`, signed as an SDK signs it, with no
    SDK serialising it (what the client would send is swapped just before signing); the
    service must refuse it: (status, answer)."""
    client = make_client(url, validate=False)

    def swap(params, **_):
        params["body"] = body

    client.meta.events.register(f"before-call.s3vectors.{operation}", swap)
    call = {"PutVectors": client.put_vectors, "QueryVectors": client.query_vectors}[operation]
    with pytest.raises(ClientError) as caught:
        call()
    answer = caught.value.response
    assert answer["Error"]["Code"] == "ValidationException"
    return answer["ResponseMetadata"]["HTTPStatusCode"], answer["Error"]


# PutVectors and QueryVectors bodies are read as plain JSON, not through botocore's model: what
# no SDK would send (and the model's parser turned away) is still refused, naming the field.
@pytest.mark.parametrize(
    ("body", "problem"),
    [(b'{"indexArn": "arn:', "is not valid JSON"), (b"[1, 2]", "must be a JSON object")],
    ids=["cut short", "not an object"],
)
@pytest.mark.parametrize("operation", ["PutVectors", "QueryVectors"])
def test_a_body_that_is_not_a_json_object_is_a_validation_error(url, operation, body, problem):
    status, error = post_refused(url, operation, body)
    assert status == 400
    assert "'body'" in error["Message"]
    assert problem in error["Message"]


@pytest.mark.parametrize(
    ("vectors", "field"),
    [
        ([{"key": "a", "data": {"float32": [1, 1, 1, 1]}}, 7], "vectors[1]"),
        ([{"key": "a", "data": {"float32": [1, None, 1, 1]}}], "vectors[0].data"),
        ([{"key": "a", "data": {"float32": [1, "one", 1, 1]}}], "vectors[0].data"),
        ([{"key": "a", "data": {"float32": [1, [1], 1, 1]}}], "vectors[0].data"),
        ([{"key": "a", "data": [1, 1, 1, 1]}], "vectors[0].data"),
        (
            [{"key": "a", "data": {"float32": [1, 1, 1, 1]}}, {"data": {"float32": [1] * 4}}],
            "vectors[1].key",
        ),
    ],
    ids=["not an object", "null", "text", "a list", "not under float32", "no key"],
)
def test_a_put_no_sdk_would_send_is_refused_naming_the_field(url, vectors, field):
    client = make_client(url)
    selector = make_index(client)
    body = json.dumps({**selector, "vectors": vectors}).encode()
    status, error = post_refused(url, "PutVectors", body)
    assert status == 400
    assert f"'{field}'" in error["Message"]
    assert client.list_vectors(**selector)["vectors"] == []


def test_reset_empties_every_bucket(server, url):
    client = make_client(url)
    make_index(client)
    server.reset()
    assert client.list_vector_buckets()["vectorBuckets"] == []


def test_in_process_faults_apply_to_the_server(url):
    client = make_client(url)
    selector = make_index(client)
    faults.inject("ListVectors", code="ServiceUnavailableException", status=503)
    with pytest.raises(ClientError) as caught:
        client.list_vectors(**selector)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert client.list_vectors(**selector)["vectors"] == []


def test_faults_can_be_injected_and_cleared_over_http(url):
    client = make_client(url)
    selector = make_index(client)
    status, body = control(url, "POST", "faults", {"operation": "GetIndex", "times": 2})
    assert status == 200
    assert body["pending"][0]["operation"] == "GetIndex"
    with pytest.raises(ClientError) as caught:
        client.get_index(**selector)
    assert caught.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert control(url, "DELETE", "faults") == (200, {"pending": []})
    assert client.get_index(**selector)["index"]["indexName"] == "srv-index"


@pytest.mark.parametrize(
    "body",
    [
        {"times": 1},
        {"operation": "GetIndex", "times": 0},
        {"operation": "GetIndex", "colour": "red"},
    ],
    ids=str,
)
def test_a_bad_http_injection_is_a_400_with_the_reason(url, body):
    status, answer = control(url, "POST", "faults", body)
    assert status == 400
    assert answer["error"]
    assert faults.pending() == []


def test_the_health_route_answers(url):
    assert control(url, "GET", "health") == (200, {"ok": True})


def test_the_cli_prints_the_url_serves_and_exits_cleanly_on_sigterm():
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack", "s3vectors", "--port", "0"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = _read_line(process, timeout=30)
        assert line.startswith("S3VECTORS_URL=http://127.0.0.1:"), line
        cli_url = line.strip().split("=", 1)[1]
        client = make_client(cli_url)
        client.create_vector_bucket(vectorBucketName="cli-bucket")
        assert [b["vectorBucketName"] for b in client.list_vector_buckets()["vectorBuckets"]] == [
            "cli-bucket"
        ]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _read_line(process, timeout):
    found = []
    reader = threading.Thread(target=lambda: found.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not found or not found[0]:
        process.kill()
        pytest.fail(f"the CLI printed no S3VECTORS_URL line; stderr: {process.stderr.read()}")
    return found[0]
