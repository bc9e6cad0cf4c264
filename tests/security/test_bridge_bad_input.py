"""Bad input the bridge must refuse itself, before anything reaches S3 Vectors (issue 9, §6):
filters nested too deep, numbers S3 Vectors cannot keep (not a finite float64), allowlisted
ARNs and names with a trailing newline, batch rows of different lengths.

The real bridge runs behind the real Lambda Invoke endpoint (devstack.lambda_invoke), against
the local S3 Vectors service over HTTP; requests are sent through boto3's Lambda client as raw
JSON text, as PostgreSQL sends it (jsonb prints 1e400 as a 401-digit integer). Each test also
proves nothing reached S3 Vectors: a fault queued for every operation is still pending (any
request would have consumed it), and the index holds the same keys.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from devstack.lambda_invoke.server import LocalLambda
from devstack.s3vectors import faults
from tests.support.s3vectors import local_service_with_index

pytestmark = pytest.mark.slow

ACCOUNT = "123456789012"
REGION = "us-east-1"
BUCKET = "sec-bad-input"
BUCKET_ARN = f"arn:aws:s3vectors:{REGION}:{ACCOUNT}:bucket/{BUCKET}"
INDEX_ARN = f"{BUCKET_ARN}/index/docs"
MAX_FILTER_DEPTH = 32
FLOAT64_MAX = 1.7976931348623157e308
BIG = "1" + "0" * 400  # 1e400 as PostgreSQL's jsonb prints it
SEED = [
    {"key": f"seed-{i}", "data": {"float32": [1.0, 0.1 * i, 0.5, 0.25]}, "metadata": {"n": i}}
    for i in range(4)
]


@pytest.fixture(scope="module")
def aws() -> Iterator[Any]:
    with local_service_with_index(BUCKET, INDEX_ARN, 4, SEED) as client:
        yield client


@pytest.fixture(scope="module")
def bridge(aws: Any) -> Iterator[LocalLambda]:
    # A bucket allowlist: the case where "<index ARN>\n" passed the allowlist before (the
    # bucket part of the ARN was in it).
    environment = {
        "S3VECTORS_ENDPOINT_URL": aws.meta.endpoint_url,
        "S3VL_BUCKET_ARNS": BUCKET_ARN,
        "AWS_REGION": REGION,
        "S3VL_MAX_ATTEMPTS": "1",
    }
    with LocalLambda(environment=environment) as function:
        yield function


@pytest.fixture(autouse=True)
def any_call_is_caught() -> Iterator[None]:
    """A fault for every S3 Vectors operation: a request that reaches the service takes it."""
    faults.clear()
    faults.inject("*", code="ServiceUnavailableException", status=503, times=1000)
    yield
    faults.clear()


def stored_keys(aws: Any) -> list[str]:
    faults.clear()  # the listing itself must not take the fault
    page = aws.list_vectors(indexArn=INDEX_ARN, maxResults=1000)
    return sorted(v["key"] for v in page["vectors"])


def nothing_reached_s3_vectors(aws: Any) -> None:
    assert faults.pending() and faults.pending()[0]["times"] == 1000, "S3 Vectors was called"
    assert stored_keys(aws) == [r["key"] for r in SEED]


def invoke(bridge: LocalLambda, payload: str | bytes) -> dict[str, Any]:
    """One synchronous Invoke over HTTP through boto3; the bridge's envelope."""
    client = boto3.client(
        "lambda",
        endpoint_url=bridge.url,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    body = payload.encode() if isinstance(payload, str) else payload
    response = client.invoke(FunctionName=bridge.function_name, Payload=body)
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response, response["Payload"].read()
    envelope: dict[str, Any] = json.loads(response["Payload"].read())
    return envelope


def refused(envelope: dict[str, Any], field: str) -> str:
    assert envelope["success"] is False, envelope
    error = envelope["error"]
    assert error["type"] == "ValidationError", error
    assert error["field"] == field, error
    assert error["retryable"] is False
    message: str = error["message"]
    return message


# -- metadata filters nested too deep -------------------------------------------------------


def objects(depth: int) -> str:
    """{"a": {"a": ... 1}} with `depth` objects."""
    return '{"a":' * depth + "1" + "}" * depth


def ands(depth: int) -> str:
    """$and wrapped around $and (two levels each: the object and its array), `depth` in all."""
    inner = '{"n":1}' if depth % 2 else '{"n":{"$eq":1}}'
    wraps = (depth - 1) // 2 if depth % 2 else (depth - 2) // 2
    return '{"$and":[' * wraps + inner + "]}" * wraps


def in_arrays(depth: int) -> str:
    """{"n": {"$in": [[[... 1]]]}}: arrays count as levels too."""
    return '{"n":{"$in":' + "[" * (depth - 2) + "1" + "]" * (depth - 2) + "}}"


def query(filter_text: str, *, batch: bool = False) -> str:
    if batch:
        head = '{"operation":"query_vectors_batch","query_vectors":[[1,0,0,0],[0,1,0,0]]'
    else:
        head = '{"operation":"query_vectors","query_vector":[1,0,0,0]'
    return f'{head},"index_arn":"{INDEX_ARN}","top_k":3,"metadata_filter":{filter_text}}}'


def test_the_depth_of_a_filter_counts_objects_and_arrays() -> None:
    # The builders above make what they say (the definition the SQL side shares).
    from s3vl_bridge.limits import FILTER_DEPTH_MAX as BRIDGE_LIMIT

    from devstack.json_depth import value_depth

    assert BRIDGE_LIMIT == MAX_FILTER_DEPTH
    assert value_depth({"a": 1}) == 1
    assert value_depth({"a": {"$in": [1, 2]}}) == 3
    assert value_depth({"$and": [{"a": 1}]}) == 3
    for depth in (1, 2, 3, 32, 33, 100):
        for build in (objects, ands):
            assert value_depth(json.loads(build(depth))) == depth
    assert value_depth(json.loads(in_arrays(40))) == 40


@pytest.mark.parametrize("batch", [False, True], ids=["query_vectors", "query_vectors_batch"])
@pytest.mark.parametrize(
    ("build", "depth"),
    [
        (objects, MAX_FILTER_DEPTH + 1),
        (ands, MAX_FILTER_DEPTH + 1),
        (in_arrays, MAX_FILTER_DEPTH + 1),
        (ands, 490),  # an InternalError of the bridge before (botocore recursed)
        (objects, 510),  # the deepest a request may be at the Invoke endpoint (512 in all)
    ],
    ids=["objects-33", "and-33", "in-arrays-33", "and-490", "objects-510"],
)
def test_a_filter_nested_deeper_than_the_limit_is_refused_before_s3_vectors(
    bridge: LocalLambda, aws: Any, build: Any, depth: int, batch: bool
) -> None:
    message = refused(invoke(bridge, query(build(depth), batch=batch)), "metadata_filter")
    assert f"nested {depth} levels deep" in message
    assert f"at most {MAX_FILTER_DEPTH}" in message
    nothing_reached_s3_vectors(aws)


@pytest.mark.parametrize("depth", [1_000, 20_000])
def test_a_filter_deeper_than_any_http_request_is_refused_by_the_handler_itself(
    bridge: LocalLambda, aws: Any, depth: int
) -> None:
    # The Invoke endpoint refuses a body over 512 levels; the handler must not depend on it
    # (another caller, or Lambda's own runtime, may hand it a deeper event). The event is
    # built without recursion and given to the real function as the endpoint would.
    deep: Any = {"n": 1}
    for _ in range(depth - 1):
        deep = {"a": deep}
    event = {
        "operation": "query_vectors",
        "index_arn": INDEX_ARN,
        "query_vector": [1, 0, 0, 0],
        "metadata_filter": deep,
    }
    assert bridge.function is not None
    outcome = bridge.function.invoke(
        event, request_id=str(uuid.uuid4()), invoked_arn=bridge.function_arn
    )
    assert outcome.function_error is None, outcome.payload[:500]
    message = refused(json.loads(outcome.payload), "metadata_filter")
    assert f"nested {depth} levels deep" in message
    nothing_reached_s3_vectors(aws)


def nested(depth: int, *, objects: bool = False) -> Any:
    """A value `depth` arrays (or objects) deep, built without recursion."""
    value: Any = 1
    for _ in range(depth):
        value = {"a": value} if objects else [value]
    return value


QUERY = {"operation": "query_vectors", "index_arn": INDEX_ARN, "query_vector": [1, 0, 0, 0]}
PUT = {"operation": "put_vectors", "index_arn": INDEX_ARN}
DEEP_FIELDS: dict[str, tuple[dict[str, Any], str]] = {
    "operation": ({"operation": nested(20_000)}, "operation"),
    "correlation_id": ({**QUERY, "correlation_id": nested(20_000)}, "correlation_id"),
    "unknown field": ({**QUERY, "zzz": nested(20_000)}, "zzz"),
    "query_vector": ({**QUERY, "query_vector": nested(20_000)}, "query_vector[0]"),
    "index_arn": ({**QUERY, "index_arn": nested(20_000, objects=True)}, "index_arn"),
    "query_vectors": (
        {"operation": "query_vectors_batch", "index_arn": INDEX_ARN, "query_vectors": nested(9)},
        "query_vectors[0][0]",
    ),
    "metadata value": (
        {**PUT, "vectors": [{"key": "k", "data": [1, 0, 0, 0], "metadata": {"x": nested(20_000)}}]},
        "vectors[0].metadata.x",
    ),
    "metadata": (
        {
            **PUT,
            "vectors": [
                {"key": "k", "data": [1, 0, 0, 0], "metadata": nested(20_000, objects=True)}
            ],
        },
        "vectors[0].metadata.a",
    ),
    "data": ({**PUT, "vectors": [{"key": "k", "data": nested(20_000)}]}, "vectors[0].data[0]"),
    "vector_ids": (
        {"operation": "get_vectors", "index_arn": INDEX_ARN, "vector_ids": nested(20_000)},
        "vector_ids[0]",
    ),
}


@pytest.mark.parametrize("case", DEEP_FIELDS)
def test_any_field_nested_far_deeper_than_http_allows_is_a_validation_error(
    bridge: LocalLambda, aws: Any, case: str
) -> None:
    # The handler itself, as the Lambda runtime would call it with a deep event: never an
    # InternalError (a RecursionError) and never a call to S3 Vectors.
    event, field = DEEP_FIELDS[case]
    assert bridge.function is not None
    outcome = bridge.function.invoke(
        event, request_id=str(uuid.uuid4()), invoked_arn=bridge.function_arn
    )
    assert outcome.function_error is None, outcome.payload[:500]
    refused(json.loads(outcome.payload), field)
    nothing_reached_s3_vectors(aws)


@pytest.mark.parametrize("batch", [False, True], ids=["query_vectors", "query_vectors_batch"])
def test_a_filter_exactly_at_the_limit_still_reaches_s3_vectors(
    bridge: LocalLambda, aws: Any, batch: bool
) -> None:
    faults.clear()
    envelope = invoke(bridge, query(ands(MAX_FILTER_DEPTH), batch=batch))
    assert envelope["success"] is True, envelope
    assert {row["vector_id"] for row in envelope["result"]} == {"seed-1"}


@pytest.mark.parametrize("batch", [False, True], ids=["query_vectors", "query_vectors_batch"])
@pytest.mark.parametrize(
    ("filter_text", "where"),
    [
        ('{"n":' + BIG + "}", "metadata_filter.n"),
        ('{"n":{"$gt":-' + BIG + "}}", "metadata_filter.n.$gt"),
        ('{"n":{"$in":[1,' + BIG + "]}}", "metadata_filter.n.$in[1]"),
        ('{"$or":[{"n":1},{"n":{"$lt":1e400}}]}', "metadata_filter.$or[1].n.$lt"),  # inf
        ('{"n":{"$ne":NaN}}', "metadata_filter.n.$ne"),
        ('{"n":{"$lte":-Infinity}}', "metadata_filter.n.$lte"),
    ],
    ids=["401-digit", "$gt-negative-401-digit", "$in-element", "1e400-float", "NaN", "-Infinity"],
)
def test_a_filter_number_that_is_not_a_finite_float64_is_refused(
    bridge: LocalLambda, aws: Any, filter_text: str, where: str, batch: bool
) -> None:
    message = refused(invoke(bridge, query(filter_text, batch=batch)), "metadata_filter")
    assert f"at {where};" in message
    assert "float64" in message
    nothing_reached_s3_vectors(aws)


# -- metadata numbers beyond float64 --------------------------------------------------------


def put_text(vectors: list[str]) -> str:
    return (
        f'{{"operation":"put_vectors","index_arn":"{INDEX_ARN}","vectors":[{",".join(vectors)}]}}'
    )


def vector_text(i: int, metadata: str = '{"n":1}') -> str:
    return f'{{"key":"new-{i:04d}","data":[1,0.5,0.25,{i}],"metadata":{metadata}}}'


@pytest.mark.parametrize(
    ("bad_at", "metadata", "field", "said"),
    [
        (3, '{"price":' + BIG + "}", "vectors[3].metadata.price", "about 401 digits"),
        (500, '{"price":-' + BIG + "}", "vectors[500].metadata.price", "about 401 digits"),
        (0, '{"tags":[1,"a",' + BIG + "]}", "vectors[0].metadata.tags", "(element [2])"),
        (7, '{"price":1e400}', "vectors[7].metadata.price", "inf is not a finite number"),
        (8, '{"price":NaN}', "vectors[8].metadata.price", "nan is not a finite number"),
    ],
    ids=["401-digit", "in-the-second-chunk", "list-element", "1e400-float", "NaN"],
)
def test_a_metadata_number_beyond_float64_is_refused_before_the_first_put(
    bridge: LocalLambda, aws: Any, bad_at: int, metadata: str, field: str, said: str
) -> None:
    # 501 vectors: two PutVectors chunks; the first went out before anything checked.
    vectors = [vector_text(i, metadata if i == bad_at else '{"n":1}') for i in range(501)]
    message = refused(invoke(bridge, put_text(vectors)), field)
    assert said in message
    assert "float64" in message
    nothing_reached_s3_vectors(aws)


def test_the_largest_float64_and_a_308_digit_integer_are_stored(
    bridge: LocalLambda, aws: Any
) -> None:
    faults.clear()
    vectors = [
        vector_text(0, '{"price":1.7976931348623157e308}'),
        vector_text(1, '{"price":-1' + "0" * 307 + "}"),
    ]
    try:
        envelope = invoke(bridge, put_text(vectors))
        assert envelope["success"] is True, envelope
        got = aws.get_vectors(indexArn=INDEX_ARN, keys=["new-0000"], returnMetadata=True)
        assert got["vectors"][0]["metadata"]["price"] == FLOAT64_MAX
    finally:
        aws.delete_vectors(indexArn=INDEX_ARN, keys=["new-0000", "new-0001"])


# -- names and ARNs must match whole ----------------------------------------------------------

SELECTORS = {
    "index_arn": {"index_arn": INDEX_ARN + "\n"},
    "index_name": {"vector_bucket_name": BUCKET, "index_name": "docs\n"},
    "vector_bucket_name": {"vector_bucket_name": BUCKET + "\n", "index_name": "docs"},
}
OPERATIONS = {
    "get_vectors": {"vector_ids": ["seed-1"]},
    "put_vectors": {"vectors": [{"key": "nl", "data": [1, 0, 0, 0]}]},
    "delete_vectors": {"vector_ids": ["seed-1"]},
    "query_vectors": {"query_vector": [1, 0, 0, 0]},
    "list_vectors": {},
    "describe_index": {},
}


@pytest.mark.parametrize("selector", SELECTORS)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_an_allowlisted_index_plus_a_newline_is_refused(
    bridge: LocalLambda, aws: Any, operation: str, selector: str
) -> None:
    event = {"operation": operation, **SELECTORS[selector], **OPERATIONS[operation]}
    message = refused(invoke(bridge, json.dumps(event)), selector)
    assert "not" in message
    nothing_reached_s3_vectors(aws)


@pytest.mark.parametrize(
    "selector",
    [{"vector_bucket_arn": BUCKET_ARN + "\n"}, {"vector_bucket_name": BUCKET + "\n"}],
    ids=["vector_bucket_arn", "vector_bucket_name"],
)
def test_an_allowlisted_bucket_plus_a_newline_is_refused(
    bridge: LocalLambda, aws: Any, selector: dict[str, str]
) -> None:
    event = {"operation": "list_indexes", **selector}
    refused(invoke(bridge, json.dumps(event)), next(iter(selector)))
    nothing_reached_s3_vectors(aws)


# -- query_vectors_batch rows of different lengths ------------------------------------------


@pytest.mark.parametrize(
    ("rows", "field"),
    [
        ([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1], [0, 0, 0, 1]], "query_vectors[2]"),
        ([[1, 0, 0, 0], [0, 1, 0, 0, 0]], "query_vectors[1]"),
        ([[1, 0, 0], [1, 0, 0], [1, 0, 0, 0]], "query_vectors[2]"),
    ],
    ids=["shorter", "longer", "row-0-wrong-then-a-longer-one"],
)
def test_batch_rows_of_different_lengths_are_refused_before_any_query(
    bridge: LocalLambda, aws: Any, rows: list[list[float]], field: str
) -> None:
    event = {"operation": "query_vectors_batch", "index_arn": INDEX_ARN, "query_vectors": rows}
    message = refused(invoke(bridge, json.dumps(event)), field)
    assert "query_vectors[0] has" in message
    nothing_reached_s3_vectors(aws)
