"""The checks the bridge makes on JSON values itself (json_checks.py, the put_vectors model;
issue 14): how deep a metadata filter nests, numbers S3 Vectors cannot keep (beyond float64,
infinite, NaN) in a filter or in metadata, and what a metadata value or a vector's data may
be. Each refusal names the field and the place in the value, before any AWS call; the values
just inside each limit pass.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from s3vl_bridge import json_checks
from s3vl_bridge.errors import BridgeError, InvalidRequest

DOCS_ARN = "arn:aws:s3vectors:us-east-1:123456789012:bucket/bridge-test/index/docs"
QUERY = {"operation": "query_vectors", "index_arn": DOCS_ARN, "query_vector": [1.0, 0, 0, 0]}
FLOAT64_MAX = 1.7976931348623157e308
LARGEST_INT = int(FLOAT64_MAX)  # 309 digits, exactly float64's largest finite value
BEYOND = 10**400  # what PostgreSQL's jsonb keeps of 1e400: 401 digits
HINT = (
    "S3 Vectors keeps metadata numbers as float64 (finite, at most ±1.7976931348623157e308); "
    "store a larger number as a string"
)


def _nested_objects(depth: int) -> dict[str, Any]:
    """A filter of `depth` objects, one inside the other: {"a": {"a": ... {"a": 1}}}."""
    document: Any = 1
    for _ in range(depth):
        document = {"a": document}
    return document


def _nested_lists(depth: int) -> dict[str, Any]:
    """One object holding `depth - 1` arrays, one inside the other: {"a": [[... [1] ...]]}."""
    document: Any = 1
    for _ in range(depth - 1):
        document = [document]
    return {"a": document}


def _refused(response: dict[str, Any], field: str) -> str:
    assert response["success"] is False, response
    error = response["error"]
    assert (error["type"], error["field"], error["retryable"]) == ("ValidationError", field, False)
    message: str = error["message"]
    return message


@pytest.mark.parametrize("nest", [_nested_objects, _nested_lists])
def test_a_filter_of_32_levels_passes_and_one_of_33_is_refused_before_s3_vectors(invoke, s3v, nest):
    json_checks.check_filter(nest(32))
    message = _refused(invoke({**QUERY, "metadata_filter": nest(33)}), "metadata_filter")
    assert message == (
        "is nested 33 levels deep; at most 32 are allowed (each JSON object or array on the "
        "longest path counts one level, the filter itself the first); flatten it: several keys "
        "in one object are an AND, and one $and or $or takes many conditions"
    )
    assert s3v.sent == []


@pytest.mark.parametrize(
    ("document", "depth"),
    [
        ({"a": 1}, 1),
        ({"a": {"$in": [1, 2]}}, 3),
        ({"$and": [{"a": 1}]}, 3),
        ({"$or": [{"a": 1}, {"b": {"$in": [[1]]}}]}, 6),
        ([[[]]], 3),
        ({}, 1),
    ],
)
def test_the_depth_of_a_filter_counts_each_object_and_array_on_its_longest_path(document, depth):
    """Checked as check_filter's own field would be, with the limit moved to `depth`: the
    document passes at its depth and is refused one level below it."""
    limit = json_checks.FILTER_DEPTH_MAX
    try:
        json_checks.FILTER_DEPTH_MAX = depth
        json_checks.check_filter(document)
        json_checks.FILTER_DEPTH_MAX = depth - 1
        with pytest.raises(InvalidRequest, match=f"^is nested {depth} levels deep; at most "):
            json_checks.check_filter(document, field="f")
    finally:
        json_checks.FILTER_DEPTH_MAX = limit


@pytest.mark.parametrize(
    ("metadata_filter", "problem", "place"),
    [
        ({"n": BEYOND}, "a number of about 401 digits is beyond float64", ".n"),
        ({"n": {"$gt": -BEYOND}}, "a number of about 401 digits is beyond float64", ".n.$gt"),
        (
            {"n": {"$in": [1, LARGEST_INT + 1]}},
            "a number of about 309 digits is beyond float64",
            ".n.$in[1]",
        ),
        ({"$or": [{"a": 1}, {"b": math.inf}]}, "inf is not a finite number", ".$or[1].b"),
        ({"a": [{"b": [0, -math.inf]}]}, "-inf is not a finite number", ".a[0].b[1]"),
        ({"n": math.nan}, "nan is not a finite number", ".n"),
    ],
)
def test_a_filter_number_s3_vectors_cannot_keep_is_refused_naming_its_place(
    invoke, s3v, metadata_filter, problem, place
):
    message = _refused(invoke({**QUERY, "metadata_filter": metadata_filter}), "metadata_filter")
    assert message.startswith(f"{problem} at metadata_filter{place}; {HINT}")
    assert s3v.sent == []


@pytest.mark.parametrize(
    "value", [LARGEST_INT, -LARGEST_INT, FLOAT64_MAX, -FLOAT64_MAX, 0, True, False, 2.5, -0.0]
)
def test_numbers_float64_can_hold_pass_the_filter_check(value):
    assert json_checks.not_float64(value) is None
    json_checks.check_filter({"n": {"$in": [value]}, "m": value})


@pytest.mark.parametrize(
    ("value", "digits"),
    [(LARGEST_INT + 1, 309), (-LARGEST_INT - 1, 309), (10**308 * 2, 309), (BEYOND, 401)],
)
def test_an_integer_beyond_float64_is_refused_with_its_number_of_digits(value, digits):
    assert len(str(abs(value))) == digits
    assert json_checks.not_float64(value) == f"a number of about {digits} digits is beyond float64"


def test_a_filter_names_the_first_bad_number_only(invoke, s3v):
    message = _refused(
        invoke({**QUERY, "metadata_filter": {"a": {"$in": [BEYOND]}}}), "metadata_filter"
    )
    assert message.count("beyond float64") == 1


def _put(metadata: Any = None, data: Any = None) -> dict[str, Any]:
    record = {"key": "v1", "data": [1.0, 0.5, 0.25, 0.0] if data is None else data}
    if metadata is not None:
        record["metadata"] = metadata
    return {"operation": "put_vectors", "index_arn": DOCS_ARN, "vectors": [record]}


@pytest.mark.parametrize(
    ("metadata", "field", "message"),
    [
        (
            {"n": BEYOND},
            "vectors[0].metadata.n",
            f"a number of about 401 digits is beyond float64; {HINT}",
        ),
        (
            {"n": ["fine", True, 1.5, BEYOND]},
            "vectors[0].metadata.n",
            f"a number of about 401 digits is beyond float64 (element [3]); {HINT}",
        ),
        (
            {"n": [1, LARGEST_INT + 1]},
            "vectors[0].metadata.n",
            f"a number of about 309 digits is beyond float64 (element [1]); {HINT}",
        ),
        (
            {"n": {"nested": 1}},
            "vectors[0].metadata.n",
            "must be a string, a finite number, a boolean, or a list of those",
        ),
        (
            {"n": ["a", None]},
            "vectors[0].metadata.n",
            "must be a string, a finite number, a boolean, or a list of those",
        ),
    ],
)
def test_a_metadata_value_s3_vectors_cannot_store_is_refused_before_the_first_put(
    invoke, s3v, metadata, field, message
):
    error = _refused(invoke(_put(metadata)), field)
    assert error == f"{field}: {message}"
    assert s3v.sent == []


def test_metadata_values_s3_vectors_stores_are_written(invoke, s3v):
    metadata = {
        "s": "text",
        "b": False,
        "i": -LARGEST_INT,
        "f": FLOAT64_MAX,
        "l": ["x", True, 2, 0.5, LARGEST_INT],
    }
    response = invoke(_put(metadata))
    assert response["success"] is True, response
    stored = s3v.aws.get_vectors(indexArn=DOCS_ARN, keys=["v1"], returnMetadata=True)
    assert stored["vectors"][0]["metadata"]["s"] == "text"
    assert stored["vectors"][0]["metadata"]["l"][:2] == ["x", True]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (5, "vectors[0].data"),
        (["float32"], "vectors[0].data[0]"),
        ({"float32": [1.0, 0, 0, 0], "float16": [1.0]}, "vectors[0].data"),
        ({"float64": [1.0, 0, 0, 0]}, "vectors[0].data"),
    ],
)
def test_vector_data_other_than_a_list_or_float32_wrapper_is_refused(invoke, s3v, data, field):
    _refused(invoke(_put(data=data)), field)
    assert s3v.sent == []


def test_the_put_vectors_file_format_float32_wrapper_is_unwrapped(invoke, s3v):
    response = invoke(_put(data={"float32": [0.5, 0.25, 0.0, 1.0]}))
    assert response["success"] is True, response
    stored = s3v.aws.get_vectors(indexArn=DOCS_ARN, keys=["v1"], returnData=True)
    assert stored["vectors"][0]["data"]["float32"] == [0.5, 0.25, 0.0, 1.0]


@pytest.mark.parametrize("error", [InvalidRequest("bad top_k", field="top_k"), BridgeError("x")])
def test_a_domain_error_prints_as_its_message(error):
    assert str(error) == error.message
