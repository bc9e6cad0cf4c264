"""The request models' own checks (models/, arns.py; issue 14): ARNs and names of the wrong
shape, selectors given twice or not at all, and checks across fields. Each is refused as a
validation error naming the field and saying what is expected, before any AWS call.
"""

from __future__ import annotations

from typing import Any

import pytest

PREFIX = "arn:aws:s3vectors:us-east-1:123456789012"
DOCS_ARN = f"{PREFIX}:bucket/bridge-test/index/docs"
BUCKET_ARN = f"{PREFIX}:bucket/bridge-test"
INDEX_SHAPE = "expected arn:aws:s3vectors:<region>:<account>:bucket/<bucket>/index/<index>"
BUCKET_SHAPE = "expected arn:aws:s3vectors:<region>:<account>:bucket/<bucket>"


def _refused(response: dict[str, Any], field: str) -> str:
    assert response["success"] is False, response
    error = response["error"]
    assert (error["type"], error["field"], error["retryable"]) == ("ValidationError", field, False)
    message: str = error["message"]
    assert message.startswith(f"{field}: ")
    return message.removeprefix(f"{field}: ")


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:s3vectors:us-east-1:12345678901:bucket/bridge-test/index/docs",  # 11 digits
        "arn:aws:s3vectors:us-east-1:1234567890123:bucket/bridge-test/index/docs",
        "arn:aws:s3vectors:US-EAST-1:123456789012:bucket/bridge-test/index/docs",
        "arn:aws:s3:us-east-1:123456789012:bucket/bridge-test/index/docs",
        "arn:gov:s3vectors:us-east-1:123456789012:bucket/bridge-test/index/docs",
        f"{DOCS_ARN}/index/more",
        f"{BUCKET_ARN}/index/Docs",
        f"{PREFIX}:bucket/bridge_test/index/docs",
    ],
)
def test_an_index_arn_of_the_wrong_shape_is_refused_naming_the_shape(invoke, s3v, arn):
    message = _refused(invoke({"operation": "describe_index", "index_arn": arn}), "index_arn")
    assert message == f"not an S3 Vectors index ARN; {INDEX_SHAPE}"
    assert s3v.sent == []


@pytest.mark.parametrize(
    "arn", [f"{PREFIX}:bucket/Bridge-Test", f"{PREFIX}:bucket/b", DOCS_ARN, f"{BUCKET_ARN}/"]
)
def test_a_bucket_arn_of_the_wrong_shape_is_refused_naming_the_shape(invoke, s3v, arn):
    message = _refused(
        invoke({"operation": "list_indexes", "vector_bucket_arn": arn}), "vector_bucket_arn"
    )
    assert message == f"not an S3 Vectors vector bucket ARN; {BUCKET_SHAPE}"
    assert s3v.sent == []


@pytest.mark.parametrize(
    ("names", "field", "expected"),
    [
        (
            {"vector_bucket_name": "bridge.test", "index_name": "docs"},
            "vector_bucket_name",
            "not a vector bucket name: 3-63 lowercase letters, digits and hyphens",
        ),
        (
            {"vector_bucket_name": "bridge-test", "index_name": "do"},
            "index_name",
            "not an index name: 3-63 lowercase letters, digits, hyphens and dots",
        ),
        (
            {"vector_bucket_name": "bridge-test", "index_name": "d" * 64},
            "index_name",
            "not an index name: 3-63 lowercase letters, digits, hyphens and dots",
        ),
    ],
)
def test_a_name_of_the_wrong_shape_is_refused_saying_what_a_name_is(
    invoke, s3v, names, field, expected
):
    assert _refused(invoke({"operation": "describe_index", **names}), field) == expected
    assert s3v.sent == []


def test_names_of_63_characters_and_dotted_index_names_are_well_formed(invoke, s3v):
    response = invoke(
        {"operation": "describe_index", "vector_bucket_name": "b" * 63, "index_name": "a.b-c"}
    )
    assert response["error"]["type"] == "AccessDenied"  # well formed, and not served


@pytest.mark.parametrize(
    ("selector", "field", "expected"),
    [
        (
            {"vector_bucket_arn": BUCKET_ARN, "vector_bucket_name": "bridge-test"},
            "vector_bucket_arn",
            "give either vector_bucket_arn or vector_bucket_name, not both",
        ),
        ({}, "vector_bucket_arn", "vector_bucket_arn or vector_bucket_name is required"),
    ],
)
def test_a_bucket_is_selected_by_its_arn_or_its_name_exactly_once(
    invoke, s3v, selector, field, expected
):
    response = invoke({"operation": "list_indexes", **selector})
    assert response["success"] is False, response
    error = response["error"]
    assert (error["type"], error["field"], error["message"]) == ("ValidationError", field, expected)
    assert s3v.sent == []


@pytest.mark.parametrize(
    ("selector", "field"),
    [
        ({"index_name": "docs"}, "vector_bucket_name"),
        ({"vector_bucket_name": "bridge-test"}, "index_name"),
        ({}, "index_arn"),
    ],
)
def test_an_index_selected_by_half_its_names_names_the_missing_one(invoke, s3v, selector, field):
    error = invoke({"operation": "describe_index", **selector})["error"]
    assert (error["type"], error["field"]) == ("ValidationError", field)
    assert error["message"] == (
        "index_arn is required (or vector_bucket_name together with index_name)"
    )


def test_return_scores_without_query_texts_is_refused(invoke, s3v):
    response = invoke(
        {
            "operation": "query_vectors",
            "index_arn": DOCS_ARN,
            "query_vector": [1.0, 0.0, 0.0, 0.0],
            "return_scores": True,
        }
    )
    error = response["error"]
    assert (error["type"], error["field"]) == ("ValidationError", "return_scores")
    assert error["message"] == "return_scores needs query_texts"
    assert s3v.sent == []


def test_batch_rows_of_different_lengths_are_refused_naming_the_first_odd_row(invoke, s3v):
    response = invoke(
        {
            "operation": "query_vectors_batch",
            "index_arn": DOCS_ARN,
            "query_vectors": [[1.0, 0, 0, 0], [0, 1.0, 0, 0], [1.0, 0, 0], [1.0]],
        }
    )
    error = response["error"]
    assert (error["type"], error["field"]) == ("ValidationError", "query_vectors[2]")
    assert error["message"].startswith("has 3 values but query_vectors[0] has 4")
    assert s3v.sent == []


def test_put_vectors_of_different_lengths_are_refused_naming_the_odd_one(invoke, s3v):
    vectors = [
        {"key": "a", "data": [1.0, 0, 0, 0]},
        {"key": "b", "data": [1.0, 0, 0, 0, 0]},
    ]
    response = invoke({"operation": "put_vectors", "index_arn": DOCS_ARN, "vectors": vectors})
    error = response["error"]
    assert (error["type"], error["field"]) == ("ValidationError", "vectors[1].data")
    assert error["message"].startswith("has 5 values but vectors[0] has 4")
    assert s3v.sent == []
