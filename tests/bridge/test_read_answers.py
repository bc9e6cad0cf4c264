"""The answers that carry vectors are decoded once (read_answers.py): what the bridge's client
hands back for GetVectors, ListVectors and QueryVectors is what botocore's own two-pass parse
gives, against the local S3 Vectors service, and errors still go through botocore."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from s3vl_bridge import client, read_answers
from s3vl_bridge.errors import NotFound

from tests.support.bridge import BUCKET, DOCS, DOCS_ARN, REGION

# What botocore's walk of an output shape would change besides decoding JSON: timestamps,
# blobs, members bound to headers or the status code. None may appear in these answers.
_DECODED_AS_IS = {"string", "integer", "long", "float", "double", "boolean", "list",
                  "structure", "map", "document"}  # fmt: skip


def _shape_problems(shape: Any, path: str, seen: set[str]) -> list[str]:
    if shape.name in seen:
        return []
    seen.add(shape.name)
    problems = [] if shape.type_name in _DECODED_AS_IS else [f"{path}: {shape.type_name}"]
    if shape.serialization.get("location") or shape.serialization.get("jsonvalue"):
        problems.append(f"{path}: {shape.serialization}")
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            if member.serialization.get("location"):
                problems.append(f"{path}.{name}: bound to {member.serialization['location']}")
            problems += _shape_problems(member, f"{path}.{name}", seen)
    elif shape.type_name == "list":
        problems += _shape_problems(shape.member, f"{path}[]", seen)
    elif shape.type_name == "map":
        problems += _shape_problems(shape.value, f"{path}{{}}", seen)
    return problems


@pytest.mark.parametrize("operation", read_answers.OPERATIONS)
def test_the_output_shapes_hold_nothing_botocore_would_convert(operation):
    model = botocore.session.get_session().get_service_model("s3vectors")
    shape = model.operation_model(operation).output_shape
    assert _shape_problems(shape, operation, set()) == []


def _plain_client() -> Any:
    """A botocore client as the bridge's is made, without the single decode."""
    return botocore.session.get_session().create_client("s3vectors", region_name=REGION)


def _without_metadata(answer: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in answer.items() if name != "ResponseMetadata"}


CALLS = [
    pytest.param(
        "get_vectors",
        {"indexArn": DOCS_ARN, "keys": ["doc-03", "missing", "doc-07"],
         "returnData": True, "returnMetadata": True},
        id="GetVectors",
    ),
    pytest.param(
        "list_vectors",
        {"indexArn": DOCS_ARN, "maxResults": 5, "returnData": True, "returnMetadata": True},
        id="ListVectors, a page with its nextToken",
    ),
    pytest.param(
        "query_vectors",
        {"indexArn": DOCS_ARN, "queryVector": {"float32": [1.0, 0.2, 0.1, 0.0]}, "topK": 5,
         "returnMetadata": True, "returnDistance": True},
        id="QueryVectors",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("call", "params"), CALLS)
def test_the_bridges_client_reads_what_botocores_parse_reads(s3v, call, params):
    ours = client.s3vectors()
    bodies: list[bytes] = []
    ours.meta.events.register(  # after read_answers' hook: what botocore was left to parse
        "before-parse.s3vectors", lambda response_dict, **_: bodies.append(response_dict["body"])
    )
    answer = getattr(ours, call)(**params)
    expected = getattr(_plain_client(), call)(**params)
    assert _without_metadata(answer) == _without_metadata(expected)
    assert answer["vectors"]
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert bodies == [b"{}"]


def test_get_vectors_answers_every_float_as_stored(s3v):
    answer = client.call(
        "get_vectors", indexArn=DOCS_ARN, keys=[d["key"] for d in DOCS], returnData=True
    )
    got = {item["key"]: item["data"]["float32"] for item in answer.body["vectors"]}
    assert set(got) == {d["key"] for d in DOCS}
    for doc in DOCS:  # float32 as stored: within float32's precision of what was put
        assert got[doc["key"]] == pytest.approx(doc["data"], rel=1e-6)


def test_an_error_answer_is_still_parsed_by_botocore(s3v):
    with pytest.raises(NotFound) as refused:
        client.call(
            "get_vectors",
            vectorBucketName=BUCKET,
            indexName="no-such-index",
            keys=["doc-01"],
            returnData=True,
        )
    assert refused.value.details == {"aws_error_code": "NotFoundException"}
    # The service's own words, which botocore reads from the error body.
    assert refused.value.message == "S3 Vectors get_vectors: The specified index could not be found"
