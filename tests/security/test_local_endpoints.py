"""The local stand-ins answer bad requests as AWS does, with a 4xx and its error shape, never a
crash (issue 9, §6): the local S3 Vectors service with filters and bodies nested too deep and
numbers beyond float64; the local Lambda Invoke endpoint with a bad Content-Length, a body
nested too deep and a function name outside Lambda's pattern.

Both run as servers on 127.0.0.1 (the Invoke endpoint hosting the real bridge, pointed at the
local service); every refused request carries a write, and each test proves nothing was written
by listing the index through boto3.
"""

from __future__ import annotations

import base64
import json
import socket
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.exceptions
import pytest

from devstack.json_depth import MAX_JSON_DEPTH
from devstack.lambda_invoke.server import LocalLambda
from tests.support.s3vectors import local_service_with_index

pytestmark = pytest.mark.slow

ACCOUNT = "123456789012"
REGION = "us-east-1"
BUCKET = "sec-endpoints"
BUCKET_ARN = f"arn:aws:s3vectors:{REGION}:{ACCOUNT}:bucket/{BUCKET}"
INDEX_ARN = f"{BUCKET_ARN}/index/docs"
MAX_FILTER_DEPTH = 32
BIG = 10**400  # 1e400 as PostgreSQL's jsonb hands it on: an integer of 401 digits
SEED = [
    {"key": f"seed-{i}", "data": {"float32": [1.0, 0.1 * i, 0.5]}, "metadata": {"n": i}}
    for i in range(3)
]
SEED_KEYS = [v["key"] for v in SEED]


@pytest.fixture(scope="module")
def aws() -> Iterator[Any]:
    with local_service_with_index(BUCKET, INDEX_ARN, 3, SEED) as client:
        yield client


@pytest.fixture(scope="module")
def bridge(aws: Any) -> Iterator[LocalLambda]:
    environment = {
        "S3VECTORS_ENDPOINT_URL": aws.meta.endpoint_url,
        "S3VL_INDEX_ARNS": INDEX_ARN,
        "AWS_REGION": REGION,
    }
    with LocalLambda(environment=environment) as function:
        yield function


@pytest.fixture(autouse=True)
def restore_the_index(aws: Any) -> Iterator[None]:
    """Whatever a failing test let through is removed, so the next test starts from SEED."""
    yield
    extra = [key for key in stored_keys(aws) if key not in SEED_KEYS]
    if extra:
        aws.delete_vectors(indexArn=INDEX_ARN, keys=extra)


def stored_keys(aws: Any) -> list[str]:
    page = aws.list_vectors(indexArn=INDEX_ARN, maxResults=1000)
    return sorted(v["key"] for v in page["vectors"])


def nothing_written(aws: Any) -> None:
    assert stored_keys(aws) == SEED_KEYS


def raw_exchange(url: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are (no client fixing up headers); the status, headers and body."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            # A server that refuses a request without reading its body closes with the body
            # unread (a reset): what it answered before is what counts.
            if not received:
                raise
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    length = int(headers.get("content-length", len(body)))
    return status, headers, body[:length]


def aws_error(status: int, headers: dict[str, str], body: bytes, kind: str) -> str:
    """Assert a 4xx in AWS's shape (x-amzn-ErrorType and a JSON message); the message."""
    assert 400 <= status < 500, (status, body[:300])
    assert headers["x-amzn-errortype"] == kind, (headers, body[:300])
    assert headers["content-type"].startswith("application/json")
    document = json.loads(body)
    message: str = document.get("message") or document["Message"]
    return message


# -- the local S3 Vectors service ---------------------------------------------------------------


def nested_filter(depth: int) -> dict[str, Any]:
    """$and inside $and (two levels each) around {"n": {"$eq": 1}}, `depth` levels in all."""
    document: dict[str, Any] = {"n": {"$eq": 1}} if depth % 2 == 0 else {"n": 1}
    for _ in range((depth - 1) // 2):
        document = {"$and": [document]}
    return document


@pytest.mark.parametrize("depth", [MAX_FILTER_DEPTH + 1, 301])
def test_the_service_refuses_a_filter_deeper_than_32_levels(aws: Any, depth: int) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        aws.query_vectors(
            indexArn=INDEX_ARN,
            queryVector={"float32": [1, 0, 0]},
            topK=3,
            filter=nested_filter(depth),
        )
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "ValidationException"
    assert f"nested {depth} levels deep" in error["Error"]["Message"]
    assert error["fieldList"][0]["path"] == "filter"
    nothing_written(aws)


def test_the_service_answers_a_filter_of_32_levels(aws: Any) -> None:
    found = aws.query_vectors(
        indexArn=INDEX_ARN,
        queryVector={"float32": [1, 0, 0]},
        topK=3,
        filter=nested_filter(MAX_FILTER_DEPTH),
    )
    assert [v["key"] for v in found["vectors"]] == ["seed-1"]


SIGNED = (
    "Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3vectors/aws4_request, "
    "SignedHeaders=host, Signature=0\r\n"
)


def service_post(aws: Any, operation: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    """A POST to the service as boto3 sends it (moto routes by the credential scope)."""
    request = (
        f"POST /{operation} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"{SIGNED}Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    return raw_exchange(aws.meta.endpoint_url, request)


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        (
            "QueryVectors",
            f'{{"indexArn":"{INDEX_ARN}","topK":3,"queryVector":{{"float32":[1,0,0]}},'
            '"filter":' + '{"$and":[' * 1000 + '{"n":1}' + "]}" * 1000 + "}",
        ),
        (
            "PutVectors",
            f'{{"indexArn":"{INDEX_ARN}","vectors":[{{"key":"deep","data":{{"float32":[1,0,0]}},'
            '"metadata":{"x":' + "[" * 3000 + "1" + "]" * 3000 + "}}]}",
        ),
        ("PutVectors", "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)),
    ],
    ids=["filter-2001", "metadata-3003", "body-513"],
)
def test_the_service_refuses_a_body_nested_too_deep_to_parse(
    aws: Any, operation: str, body: str
) -> None:
    status, headers, answer = service_post(aws, operation, body.encode())
    assert status == 400
    message = aws_error(status, headers, answer, "ValidationException")
    assert f"at most {MAX_JSON_DEPTH} levels" in message
    nothing_written(aws)


def test_the_service_still_parses_a_body_at_the_depth_limit(aws: Any) -> None:
    # 512 levels in all: the body passes, the filter check answers (in AWS's shape).
    filter_text = '{"a":' * (MAX_JSON_DEPTH - 1) + "1" + "}" * (MAX_JSON_DEPTH - 1)
    body = f'{{"indexArn":"{INDEX_ARN}","topK":3,"queryVector":{{"float32":[1,0,0]}},'
    body += f'"filter":{filter_text}}}'
    status, headers, answer = service_post(aws, "QueryVectors", body.encode())
    message = aws_error(status, headers, answer, "ValidationException")
    assert f"nested {MAX_JSON_DEPTH - 1} levels deep" in message


@pytest.mark.parametrize(
    ("metadata", "where"),
    [
        ({"price": BIG}, "vectors[1].metadata.price"),
        ({"price": -BIG}, "vectors[1].metadata.price"),
        ({"tags": ["a", BIG]}, "vectors[1].metadata.tags[1]"),
        ({"price": float("inf")}, "vectors[1].metadata.price"),
    ],
    ids=["401-digit", "negative", "list-element", "infinity"],
)
def test_the_service_refuses_metadata_numbers_beyond_float64(
    aws: Any, metadata: dict[str, Any], where: str
) -> None:
    vectors = [
        {"key": "fine", "data": {"float32": [1, 0, 0]}, "metadata": {"n": 1}},
        {"key": "bad", "data": {"float32": [0, 1, 0]}, "metadata": metadata},
    ]
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        aws.put_vectors(indexArn=INDEX_ARN, vectors=vectors)
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "ValidationException"
    assert error["fieldList"][0]["path"] == where
    assert "float64" in error["Error"]["Message"]
    nothing_written(aws)


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ({"n": BIG}, "filter.n"),
        ({"n": {"$gte": -BIG}}, "filter.n.$gte"),
        ({"n": {"$nin": [1, BIG]}}, "filter.n.$nin[1]"),
        ({"n": {"$lt": float("inf")}}, "filter.n.$lt"),
    ],
    ids=["$eq", "$gte", "$nin-element", "infinity"],
)
def test_the_service_refuses_filter_numbers_beyond_float64(
    aws: Any, document: dict[str, Any], where: str
) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        aws.query_vectors(
            indexArn=INDEX_ARN, queryVector={"float32": [1, 0, 0]}, topK=3, filter=document
        )
    error = caught.value.response
    assert error["Error"]["Code"] == "ValidationException"
    assert error["fieldList"][0]["path"] == where
    assert "float64" in error["Error"]["Message"]
    nothing_written(aws)


@pytest.mark.parametrize("suffix", ["\n", "\r\n"], ids=["LF", "CRLF"])
def test_the_service_refuses_bucket_and_index_names_with_a_newline(aws: Any, suffix: str) -> None:
    buckets = aws.list_vector_buckets()["vectorBuckets"]
    indexes = aws.list_indexes(vectorBucketName=BUCKET)["indexes"]
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        aws.create_vector_bucket(vectorBucketName="other-bucket" + suffix)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        aws.create_index(
            vectorBucketName=BUCKET,
            indexName="other" + suffix,
            dataType="float32",
            dimension=3,
            distanceMetric="cosine",
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert aws.list_vector_buckets()["vectorBuckets"] == buckets
    assert aws.list_indexes(vectorBucketName=BUCKET)["indexes"] == indexes
    nothing_written(aws)


# -- the local Lambda Invoke endpoint -----------------------------------------------------------


def put_event(key: str = "written") -> bytes:
    """A put_vectors event the bridge would carry out if the endpoint let it through."""
    vector = {"key": key, "data": [1.0, 0.0, 0.0], "metadata": {"n": 7}}
    event = {"operation": "put_vectors", "index_arn": INDEX_ARN, "vectors": [vector]}
    return json.dumps(event).encode()


def invoke_raw(
    bridge: LocalLambda, head: str, body: bytes, *, name: str = "s3vl-bridge", query: str = ""
) -> tuple[int, dict[str, str], bytes]:
    request = (
        f"POST /2015-03-31/functions/{name}/invocations{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\n{head}\r\n"
    ).encode() + body
    return raw_exchange(bridge.url, request)


def test_a_well_formed_invoke_writes(bridge: LocalLambda, aws: Any) -> None:
    # The baseline the refusals below are measured against: the same event, sent properly.
    body = put_event("baseline")
    status, _, answer = invoke_raw(bridge, f"Content-Length: {len(body)}\r\n", body)
    try:
        assert status == 200
        assert json.loads(answer)["success"] is True
        assert "baseline" in stored_keys(aws)
    finally:
        aws.delete_vectors(indexArn=INDEX_ARN, keys=["baseline"])


@pytest.mark.parametrize("value", ["abc", "-1", "+5", "1e3", "0x10", "", "5 5", "٣"])
def test_a_malformed_content_length_is_a_400(bridge: LocalLambda, aws: Any, value: str) -> None:
    body = put_event()
    status, headers, answer = invoke_raw(
        bridge, f"Content-Length: {value}\r\nConnection: keep-alive\r\n", body
    )
    assert status == 400
    message = aws_error(status, headers, answer, "InvalidRequestContentException")
    assert "Content-Length" in message
    assert headers.get("connection") == "close"  # where the next request starts is unknown
    nothing_written(aws)


@pytest.mark.parametrize(
    "head",
    ["", "Transfer-Encoding: chunked\r\n"],
    ids=["no-length", "chunked"],
)
def test_a_post_without_content_length_is_a_411(bridge: LocalLambda, aws: Any, head: str) -> None:
    body = put_event()
    if head:
        body = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    status, headers, answer = invoke_raw(bridge, head, body)
    assert status == 411
    message = aws_error(status, headers, answer, "LengthRequiredException")
    assert "Content-Length" in message
    nothing_written(aws)


def deep_put(depth: int) -> bytes:
    """A put_vectors event whose metadata value nests so the whole body is `depth` deep."""
    inner = depth - 4  # the event, vectors, the vector and its metadata
    value = "[" * inner + "1" + "]" * inner
    return (
        f'{{"operation":"put_vectors","index_arn":"{INDEX_ARN}","vectors":[{{"key":"deep",'
        f'"data":[1,0,0],"metadata":{{"x":{value}}}}}]}}'
    ).encode()


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 2_000, 100_000])
def test_a_body_nested_too_deep_is_a_400_before_the_function_runs(
    bridge: LocalLambda, aws: Any, depth: int
) -> None:
    body = deep_put(depth)
    status, headers, answer = invoke_raw(bridge, f"Content-Length: {len(body)}\r\n", body)
    assert status == 400
    message = aws_error(status, headers, answer, "InvalidRequestContentException")
    assert f"nested {depth} levels deep" in message
    assert f"at most {MAX_JSON_DEPTH}" in message
    nothing_written(aws)


def test_a_body_at_the_depth_limit_reaches_the_function(bridge: LocalLambda, aws: Any) -> None:
    body = deep_put(MAX_JSON_DEPTH)
    status, _, answer = invoke_raw(bridge, f"Content-Length: {len(body)}\r\n", body)
    assert status == 200
    envelope = json.loads(answer)
    # The bridge refuses the nested metadata value itself (lists of scalars only).
    assert envelope["error"]["type"] == "ValidationError"
    assert envelope["error"]["field"] == "vectors[0].metadata.x"
    nothing_written(aws)


def test_a_client_context_nested_too_deep_is_a_400(bridge: LocalLambda, aws: Any) -> None:
    context = base64.b64encode(b'{"custom":' + b"[" * 2_000 + b"]" * 2_000 + b"}").decode()
    body = put_event()
    head = f"Content-Length: {len(body)}\r\nX-Amz-Client-Context: {context}\r\n"
    status, headers, answer = invoke_raw(bridge, head, body)
    assert status == 400
    aws_error(status, headers, answer, "InvalidRequestContentException")
    nothing_written(aws)


def test_an_integer_too_long_for_python_is_a_400(bridge: LocalLambda, aws: Any) -> None:
    # 1e5000 from jsonb: json.loads refuses integers over 4,300 digits with a ValueError.
    body = put_event().replace(b'"n": 7', b'"n": 1' + b"0" * 5000)
    status, headers, answer = invoke_raw(bridge, f"Content-Length: {len(body)}\r\n", body)
    assert status == 400
    aws_error(status, headers, answer, "InvalidRequestContentException")
    nothing_written(aws)


FULL_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:s3vl-bridge"


@pytest.mark.parametrize(
    "name",
    [
        "s3vl-bridge%0A",
        "s3vl-bridge%0D%0A",
        "%0As3vl-bridge",
        "s3vl-bridge%00",
        "s3vl%20bridge",
        "s3vl-bridge%3A%24LATEST%0A",
        f"{ACCOUNT}%3Afunction%3As3vl-bridge%0A",
        FULL_ARN.replace(":", "%3A") + "%0A",
        "s3vl-bridg%C3%A9",
        "s3vl-bridge%FF",
    ],
)
def test_a_function_name_outside_lambdas_pattern_is_refused(
    bridge: LocalLambda, aws: Any, name: str
) -> None:
    body = put_event()
    status, headers, answer = invoke_raw(
        bridge, f"Content-Length: {len(body)}\r\n", body, name=name
    )
    assert status in (400, 404), (status, answer)
    kind = "ValidationException" if status == 400 else "ResourceNotFoundException"
    aws_error(status, headers, answer, kind)
    nothing_written(aws)


@pytest.mark.parametrize("qualifier", ["%24LATEST%0A", "%0A", "prod%20x"])
def test_a_qualifier_outside_lambdas_pattern_is_refused(
    bridge: LocalLambda, aws: Any, qualifier: str
) -> None:
    body = put_event()
    status, headers, answer = invoke_raw(
        bridge, f"Content-Length: {len(body)}\r\n", body, query=f"?Qualifier={qualifier}"
    )
    assert status == 400, (status, answer)
    message = aws_error(status, headers, answer, "ValidationException")
    assert "qualifier" in message
    nothing_written(aws)


def test_the_endpoint_still_serves_after_the_refusals(bridge: LocalLambda, aws: Any) -> None:
    client = boto3.client(
        "lambda",
        endpoint_url=bridge.url,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    answer = client.invoke(FunctionName=bridge.function_name, Payload=b'{"operation": "ping"}')
    assert json.loads(answer["Payload"].read())["success"] is True
    assert str(uuid.UUID(answer["ResponseMetadata"]["RequestId"]))
    nothing_written(aws)
